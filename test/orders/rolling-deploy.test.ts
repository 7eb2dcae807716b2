// A rolling deploy: the new order code must carry on with whatever the previous version left in flight
// (orders it stored, queue messages, shard-writer changes, reports for orders mid-life), and an old
// Worker still calling a new order object must not corrupt it.
import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { orderStubForShipment } from "../../src/orders/order-key";
import { OrderObject } from "../../src/orders/order-object";
import { deliverReport } from "../../src/reports/deliver";
import { shardWriter } from "../../src/store/shards";
import { variedPhoneNumber } from "../support/api";
import { waitForShipment } from "../support/shipments";
import { fireAlarm, orderObjectOf, orderRefOf, storedOrder, syncToD1 } from "../support/order";
import { PREVIOUS_ORDER_SCHEMA, previousSeal } from "../support/previous-version";
import { deliveriesOf, statusEvent, subscribe } from "../support/callbacks";

afterEach(() => vi.restoreAllMocks());

/** Stores an order exactly as the previous version's registration did (its INSERTs, relying on the column defaults). */
async function orderStoredByPreviousVersion(phoneNumber: string): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  const sealed = await previousSeal(env.CONTENT_KEY!, id, "Your code is 123456");
  const response = JSON.stringify({ notificationOrderId: crypto.randomUUID(), notification: { shipmentId: id } });
  await runInDurableObject(orderStubForShipment(env, id), (_instance, state) => {
    const sql = state.storage.sql;
    sql.exec(PREVIOUS_ORDER_SCHEMA);
    sql.exec(
      `INSERT INTO shipment (id, org, shipment_id, order_id, idempotency_id, senders_reference, channel, destination, sender, content_type,
         fingerprint, salt, response, created_at, deadline, status, last_update, handover, dispatch_at, enqueued)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, 1)`,
      "ttd", id, crypto.randomUUID(), `old-${id}`, null, "sms", phoneNumber, "Altinn", null, "fp", "salt", response, now, now + 120_000, "SMS_New", now, now,
    );
    sql.exec("INSERT INTO content (id, body, subject) VALUES (1, ?, NULL)", sealed);
    sql.exec("INSERT INTO events (status, applied, source, detail, at) VALUES ('SMS_New', 1, 'registration', NULL, ?)", now);
    sql.exec("UPDATE shipment SET change_seq = change_seq + 1 WHERE id = 1");
  });
  return id;
}

async function dispatchBatch(bodies: unknown[]) {
  const batch = createMessageBatch("sms-dispatch", bodies.map((body, i) => ({ id: `old-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Env>)(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("what the previous version left in flight", () => {
  it("completes an order the previous version stored, dispatched by its queue message (no channel)", async () => {
    const id = await orderStoredByPreviousVersion(variedPhoneNumber());
    const result = await dispatchBatch([{ orderRef: await orderRefOf(id), shipmentId: id }]); // the old message shape
    expect(result.retryMessages).toEqual([]);
    const shipment = await waitForShipment(id, (s) => s.status === "Order_Completed");
    expect(shipment.recipients[0]!.status).toBe("SMS_Delivered");
    expect(await storedOrder(id)).toMatchObject({ handover: "accepted", attempts: 1, content: null });
    await syncToD1(id);
    const row = await env.DB.prepare("SELECT r.status FROM recipients r WHERE shipment_id = ?").bind(id).first();
    expect(row).toEqual({ status: "SMS_Delivered" });
  });

  it("completes an order the previous version sealed (no key id) under a key since rotated out to CONTENT_KEYS_PREVIOUS", async () => {
    const keyA = env.CONTENT_KEY!;
    const id = await orderStoredByPreviousVersion(variedPhoneNumber());
    env.CONTENT_KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    env.CONTENT_KEYS_PREVIOUS = keyA;
    try {
      expect((await dispatchBatch([{ orderRef: await orderRefOf(id), shipmentId: id }])).retryMessages).toEqual([]);
      expect((await waitForShipment(id, (s) => s.status === "Order_Completed")).recipients[0]!.status).toBe("SMS_Delivered");
    } finally {
      env.CONTENT_KEY = keyA;
      delete env.CONTENT_KEYS_PREVIOUS;
    }
  });

  it("lets the new alarm take over an old order whose queue message was lost", async () => {
    const id = await orderStoredByPreviousVersion(variedPhoneNumber());
    await runInDurableObject(orderStubForShipment(env, id), (_i, state) => state.storage.sql.exec("UPDATE shipment SET dispatch_at = dispatch_at - 60000"));
    await runInDurableObject(orderStubForShipment(env, id), (_i, state) => state.storage.setAlarm(Date.now() + 60_000)); // the old version's alarm
    expect(await fireAlarm(id)).toBe(true); // a new message goes on the queue, and the consumer hands it over
    expect((await waitForShipment(id, (s) => s.status === "Order_Completed")).recipients[0]!.status).toBe("SMS_Delivered");
  });

  it("applies a report for an order the previous version handed over, once", async () => {
    const id = await orderStoredByPreviousVersion("+4740000003"); // the simulator accepts, and never reports
    await dispatchBatch([{ orderRef: await orderRefOf(id), shipmentId: id }]);
    const accepted = await waitForShipment(id, (s) => s.recipients[0]!.status === "SMS_Accepted");
    expect(accepted.status).toBe("Order_Processed");
    const providerRef = (await storedOrder(id)).provider_ref as string;
    const report = { shipmentId: id, outcome: { kind: "final" as const, status: "SMS_Delivered" as const }, dedupeKey: `${providerRef}:delivered`, source: "simulator report", providerRef };
    expect(await deliverReport(env, report)).toEqual({ kind: "applied" });
    expect(await deliverReport(env, report)).toEqual({ kind: "duplicate" });
    expect((await waitForShipment(id, () => true)).recipients[0]!.status).toBe("SMS_Delivered");
  });

  it("writes a shard-writer change of the previous version's shape to D1", async () => {
    const id = crypto.randomUUID();
    const previous = {
      kind: "state", shipmentId: id, org: "ttd", orderId: "o", idempotencyId: `k-${id}`, orderRef: "0".repeat(64), sendersReference: null,
      channel: "sms", destination: "+4790001234", createdAt: "2026-01-01T00:00:00.000Z", deadline: "2026-01-01T00:02:00.000Z", version: 4,
      orderStatus: "Order_Completed", recipientStatus: "SMS_Delivered", lastUpdate: "2026-01-01T00:00:03.000Z", providerRef: "p-1",
      events: [{ seq: 1, status: "SMS_New", applied: true, source: "registration", detail: null, at: "2026-01-01T00:00:00.000Z" }],
      completed: true,
    };
    const writer = shardWriter(env, "DB");
    await runInDurableObject(writer, (_i, state) => {
      state.storage.sql.exec("INSERT INTO meta (key, value) VALUES ('shard', 'DB') ON CONFLICT (key) DO NOTHING");
      state.storage.sql.exec("INSERT INTO pending (change) VALUES (?)", JSON.stringify(previous)); // left by the previous version
    });
    expect(await writer.flush()).toBe(0);
    expect(await env.DB.prepare("SELECT status, version FROM shipments WHERE shipment_id = ?").bind(id).first()).toEqual({ status: "Order_Completed", version: 4 });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM feed WHERE shipment_id = ?").bind(id).first()).toEqual({ n: 1 });
  });
});

describe("what the previous version left in its queues and its writer's outbox", () => {
  it("applies a report the previous version put on the provider-reports queue (its shape, without the provider's name)", async () => {
    const id = await orderStoredByPreviousVersion("+4740000003"); // the simulator accepts, and never reports
    await dispatchBatch([{ orderRef: await orderRefOf(id), shipmentId: id }]);
    await waitForShipment(id, (s) => s.recipients[0]!.status === "SMS_Accepted");
    const providerRef = (await storedOrder(id)).provider_ref as string;
    // DeliveryReport as the previous version enqueued it when the order could not be reached.
    const previous = { orderRef: await orderRefOf(id), shipmentId: id, outcome: { kind: "final", status: "SMS_Delivered" }, dedupeKey: `${providerRef}:delivered`, source: "simulator report", providerRef };
    const batch = createMessageBatch("provider-reports", [{ id: `old-report-${id}`, timestamp: new Date(), attempts: 1, body: previous }]);
    const ctx = createExecutionContext();
    await (worker.queue as ExportedHandlerQueueHandler<Env>)(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toEqual([`old-report-${id}`]);
    expect((await waitForShipment(id, () => true)).recipients[0]!.status).toBe("SMS_Delivered");
  });

  it("forwards a callback event the previous version's shard writer left in its outbox", async () => {
    const org = `rolling-${crypto.randomUUID().slice(0, 8)}`;
    await subscribe(org, "https://receiver.rolling.test/hook", "all");
    const shipmentId = crypto.randomUUID();
    const writer = shardWriter(env, "DB"); // every organisation of the tests but one is on DB
    await runInDurableObject(writer, (_i, state) => {
      // A row of the previous version's outbox (the same table and event shape), and its alarm.
      state.storage.sql.exec("INSERT INTO callback_outbox (org, event) VALUES (?, ?)", org, JSON.stringify(statusEvent(org, shipmentId, 2, "SMS_Accepted")));
      return state.storage.setAlarm(Date.now() + 60_000); // run below, not by itself
    });
    expect(await runDurableObjectAlarm(writer)).toBe(true);
    await vi.waitFor(async () => expect((await deliveriesOf(org)).map((d) => [d.id, d.shipmentId, d.status])).toEqual([[`${shipmentId}.2`, shipmentId, "SMS_Accepted"]]), { timeout: 5_000 });
  });
});

describe("an old Worker calling a new order object", () => {
  it("keeps working with the old calls (claim without a provider, record without a name, report without a provider id)", async () => {
    const id = await orderStoredByPreviousVersion(variedPhoneNumber()); // no queue message, so no consumer races this test
    const order = await orderObjectOf(id);
    const claim = await order.claim(id); // an old dispatcher names no provider
    if (claim.kind !== "send") throw new Error(`expected a claim, got ${JSON.stringify(claim)}`);
    expect(await order.claim(id)).toEqual({ kind: "skip", reason: "claimed" }); // still one hand-over
    await order.record(id, claim.claimId, { kind: "accepted", status: "SMS_Accepted", providerRef: `old-${id}` });
    expect(await order.report(id, { kind: "final", status: "SMS_Delivered" }, `old-${id}:delivered`, "old worker")).toEqual({ kind: "applied" });
    expect(await storedOrder(id)).toMatchObject({ status: "SMS_Delivered", handover: "accepted", provider_ref: `old-${id}` });
  });

  it("still answers every call the previous version's Workers make", () => {
    const previousCalls = ["register", "claim", "refuse", "release", "record", "report", "manifest", "history", "syncNow", "alarm"];
    for (const name of previousCalls) expect(typeof (OrderObject.prototype as unknown as Record<string, unknown>)[name]).toBe("function");
  });
});
