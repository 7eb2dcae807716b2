// Issue 28, item 2: a verification's message is a normal shipment whose manifest names its verification,
// also where it is read from D1 (the feed): the order puts `verificationId` on its state changes and the
// shard writer keeps it with the shipment (migrations/0004_verifications.sql).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ShipmentChange, ShipmentState } from "../../src/store/changes";
import { shardWriter } from "../../src/store/shards";
import { call } from "../support/api";
import { describeStatus } from "../../src/status/descriptions";
import { VERIFICATION_ENDED_DETAIL } from "../../src/status/verification";

const db = env.DB; // every organisation here is on the first shard (vitest.config.ts)
const writer = shardWriter(env, "DB");

function state(org: string, version: number, verificationId?: string | null): ShipmentState {
  const completed = version >= 4;
  return {
    kind: "state",
    shipmentId: crypto.randomUUID(),
    org,
    orderId: crypto.randomUUID(),
    idempotencyId: crypto.randomUUID(),
    orderRef: "0".repeat(64),
    sendersReference: "login-1234",
    channel: "sms",
    destination: "+4790000123",
    createdAt: "2026-01-01T00:00:00.000Z",
    deadline: "2026-01-01T00:05:00.000Z",
    version,
    orderStatus: completed ? "Order_Completed" : "Order_Processing",
    recipientStatus: completed ? "SMS_Delivered" : "SMS_Sending",
    lastUpdate: `2026-01-01T00:00:0${version}.000Z`,
    providerRef: null,
    events: [],
    completed,
    ...(verificationId !== undefined ? { verificationId } : {}),
  };
}

async function write(...changes: ShipmentChange[]) {
  await writer.append("DB", changes);
  expect(await writer.flush()).toBe(0);
}

async function feed(org: string): Promise<Record<string, unknown>[]> {
  const response = await call("GET", "/future/shipment/feed", undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>[];
}

describe("a verification's message in D1", () => {
  it("keeps its verificationId with the shipment, and the feed's manifest carries it (a plain order's none)", async () => {
    const org = "verif-rows-feed";
    const verificationId = crypto.randomUUID();
    const sending = state(org, 2, verificationId);
    const plain = state(org, 4);
    await write(sending, plain);
    // A later state without the field (a change of an order object of the previous version) keeps it.
    await write({ ...sending, version: 4, orderStatus: "Order_Completed", recipientStatus: "SMS_Delivered", lastUpdate: "2026-01-01T00:00:04.000Z", completed: true, verificationId: undefined });

    const row = await db.prepare("SELECT verification_id FROM shipments WHERE shipment_id = ?").bind(sending.shipmentId).first<{ verification_id: string | null }>();
    expect(row?.verification_id).toBe(verificationId);
    const entries = await feed(org);
    expect(entries.map((e) => [e.shipmentId, e.verificationId])).toEqual([
      [plain.shipmentId, undefined],
      [sending.shipmentId, verificationId],
    ]);
    expect(Object.keys(entries[0]!)).not.toContain("verificationId");
    expect(entries[1]).toMatchObject({ status: "Order_Completed", sendersReference: "login-1234" });
    expect((entries[1]!.recipients as { statusDescription: string }[])[0]!.statusDescription).toBe(describeStatus("SMS_Delivered"));
  });

  it("keeps the order's own status description of a message its verification's end kept from being sent, so the feed says it too", async () => {
    const org = "verif-rows-ended";
    const waiting = state(org, 1, crypto.randomUUID());
    await write(waiting);
    const notSent: ShipmentState = { ...waiting, version: 3, orderStatus: "Order_Completed", recipientStatus: "SMS_Failed", lastUpdate: "2026-01-01T00:00:03.000Z", completed: true, statusDescription: VERIFICATION_ENDED_DETAIL };
    await write(notSent, waiting); // the older state again (a replay) changes nothing
    const [entry] = await feed(org);
    expect(entry).toMatchObject({ shipmentId: waiting.shipmentId, verificationId: waiting.verificationId, recipients: [{ status: "SMS_Failed", statusDescription: VERIFICATION_ENDED_DETAIL }] });
  });
});
