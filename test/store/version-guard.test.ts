// The D1 writes are safe to repeat and to replay out of order because `version` guards the state
// (src/store/changes.ts): an older state handed to the shard writer after a newer one must not win.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ShipmentState } from "../../src/store/changes";
import { shardWriter } from "../../src/store/shards";
import { call } from "../support/api";

function state(shipmentId: string, version: number, recipientStatus: ShipmentState["recipientStatus"], at: string): ShipmentState {
  const completed = recipientStatus === "SMS_Delivered";
  return {
    kind: "state",
    shipmentId,
    org: "org-version-guard",
    orderId: `order-${shipmentId}`,
    idempotencyId: `key-${shipmentId}`,
    orderRef: "0".repeat(64),
    sendersReference: null,
    channel: "sms",
    destination: "+4790000123",
    createdAt: "2026-01-01T00:00:00.000Z",
    deadline: "2026-01-01T00:02:00.000Z",
    version,
    orderStatus: completed ? "Order_Completed" : "Order_Processing",
    recipientStatus,
    lastUpdate: at,
    providerRef: completed ? "ref-1" : null,
    events: [],
    completed,
  };
}

async function feedOf(org: string) {
  const response = await call("GET", "/future/shipment/feed?seq=0", undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as { shipmentId: string; status: string; recipients: { status: string }[] }[];
}

describe("the D1 writer's version guard", () => {
  it.each([
    ["in one batch", true],
    ["in two batches (a replay after the newer state was written)", false],
  ])("keeps the newer state when an older one arrives after it, %s, in D1 and in the feed", async (_name, oneBatch) => {
    const id = crypto.randomUUID();
    const newer = state(id, 5, "SMS_Delivered", "2026-01-01T00:00:05.000Z");
    const older = state(id, 3, "SMS_Sending", "2026-01-01T00:00:01.000Z");
    const writer = shardWriter(env, "DB");
    if (oneBatch) await writer.append("DB", [newer, older]);
    else {
      await writer.append("DB", [newer]);
      expect(await writer.flush()).toBe(0);
      await writer.append("DB", [older]);
    }
    expect(await writer.flush()).toBe(0);
    const shipment = await env.DB.prepare("SELECT status, last_update, version FROM shipments WHERE shipment_id = ?").bind(id).first();
    expect(shipment).toEqual({ status: "Order_Completed", last_update: newer.lastUpdate, version: 5 });
    const recipient = await env.DB.prepare("SELECT status, last_update, provider_ref FROM recipients WHERE shipment_id = ?").bind(id).first();
    expect(recipient).toEqual({ status: "SMS_Delivered", last_update: newer.lastUpdate, provider_ref: "ref-1" });
    const entry = (await feedOf(newer.org)).find((e) => e.shipmentId === id);
    expect(entry).toMatchObject({ status: "Order_Completed", recipients: [{ status: "SMS_Delivered" }] });
  });

  it("lets a newer state replace an older one (the guard is not a write-once lock)", async () => {
    const id = crypto.randomUUID();
    const writer = shardWriter(env, "DB");
    await writer.append("DB", [state(id, 2, "SMS_Sending", "2026-01-01T00:00:01.000Z"), state(id, 4, "SMS_Delivered", "2026-01-01T00:00:04.000Z")]);
    expect(await writer.flush()).toBe(0);
    const recipient = await env.DB.prepare("SELECT status FROM recipients WHERE shipment_id = ?").bind(id).first();
    expect(recipient).toEqual({ status: "SMS_Delivered" });
  });
});
