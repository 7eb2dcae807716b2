// Fault injection through the real queues, Durable Objects and D1. After each fault: the shipment ends
// final, there is no second hand-over, no status moved backwards, and D1 matches the order's own state.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { orderStatusOf } from "../../src/status/transitions";
import type { RecipientStatus } from "../../src/status/statuses";
import { postSms, smsRequest } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { fireAlarm, orderObjectOf, shiftOrderTimes, simulatorHandovers, storedOrder, syncToD1 } from "../support/order";
import { shardWriter } from "../../src/store/shards";
import { todaysStats } from "../support/stats";
import { loseNextQueueMessage } from "../support/queue";

const final = (s: { status: string }) => s.status === "Order_Completed";

afterEach(() => vi.restoreAllMocks());

/** D1 (what clients read) agrees with the order's Durable Object, and has every event it recorded. */
async function expectD1MatchesOrder(shipmentId: string) {
  await syncToD1(shipmentId);
  const order = await storedOrder(shipmentId);
  const row = await env.DB.prepare("SELECT s.status AS order_status, r.status, r.provider_ref FROM shipments s JOIN recipients r USING (shipment_id) WHERE shipment_id = ?")
    .bind(shipmentId)
    .first<{ order_status: string; status: string; provider_ref: string | null }>();
  expect(row).toEqual({ order_status: orderStatusOf(order.status as RecipientStatus), status: order.status, provider_ref: order.provider_ref });
  const { results } = await env.DB.prepare("SELECT event_seq, status, applied FROM status_events WHERE shipment_id = ? ORDER BY event_seq").bind(shipmentId).all();
  const events = await runInDurableObject(await orderObjectOf(shipmentId), (_i, state) =>
    state.storage.sql.exec("SELECT seq AS event_seq, status, applied FROM events ORDER BY seq").toArray(),
  );
  expect(results).toEqual(events);
}

/** The statuses D1 applied, in order, never step back. */
async function expectForwardOnly(shipmentId: string) {
  await syncToD1(shipmentId);
  const { results } = await env.DB.prepare("SELECT status FROM status_events WHERE shipment_id = ? AND applied = 1 ORDER BY event_seq").bind(shipmentId).all<{ status: RecipientStatus }>();
  const rank = (s: RecipientStatus) => ["Order_Registered", "Order_Processing", "Order_Processed", "Order_Completed"].indexOf(orderStatusOf(s));
  const ranks = results.map((r) => rank(r.status));
  expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  expect(ranks.filter((r) => r === 3).length).toBeLessThanOrEqual(1);
}

describe("faults in D1", () => {
  it("a D1 write that fails during a status update is kept by the shard writer and retried until D1 matches the order", async () => {
    loseNextQueueMessage();
    const org = "faults-d1-write";
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000003" }), { org }));
    vi.restoreAllMocks();
    const order = await orderObjectOf(id);
    await syncToD1(id);

    await env.DB.exec("ALTER TABLE recipients RENAME TO recipients_offline");
    try {
      const claim = await order.claim(id);
      if (claim.kind !== "send") throw new Error(claim.reason);
      await order.record(id, claim.claimId, { kind: "accepted", status: "SMS_Accepted", providerRef: "SMfault" });
      await order.syncNow(); // the writer has the change…
      expect(await shardWriter(env, "DB").flush()).toBeGreaterThan(0); // …and cannot write it yet
      // Reads do not wait for D1: the manifest comes from the order.
      expect((await waitForShipment(id, () => true, { org })).recipients[0]!.status).toBe("SMS_Accepted");
      expect(await todaysStats(org)).toMatchObject({ registered: 1, handedOver: 0, pending: 1 }); // the hand-over is delayed
    } finally {
      await env.DB.exec("ALTER TABLE recipients_offline RENAME TO recipients");
    }
    const stale = await env.DB.prepare("SELECT status FROM recipients WHERE shipment_id = ?").bind(id).first<{ status: string }>();
    expect(stale?.status).not.toBe("SMS_Accepted"); // D1 is behind
    expect(await shardWriter(env, "DB").flush()).toBe(0); // D1 is back: the writer catches up
    await expectD1MatchesOrder(id);
    expect(await todaysStats(org)).toMatchObject({ registered: 1, handedOver: 1, pending: 1 });
    await expectForwardOnly(id);
  });
});

describe("faults in the consumer", () => {
  it("a consumer that throws before it claims is retried by the queue and hands over once", async () => {
    const namespace = Object.getPrototypeOf(env.ORDERS) as DurableObjectNamespace;
    const idFromString = vi.spyOn(namespace, "idFromString").mockImplementationOnce(() => {
      throw new Error("injected: order object unreachable");
    });
    const id = await shipmentIdOf(await postSms(smsRequest()));
    const done = await waitForShipment(id, final, { timeoutMs: 10_000 });
    expect(idFromString.mock.calls.length).toBeGreaterThanOrEqual(2); // failed once, then redelivered
    expect(done.recipients[0]!.status).toBe("SMS_Delivered");
    expect(await simulatorHandovers(id)).toBe(1);
    await expectD1MatchesOrder(id);
    await expectForwardOnly(id);
  });

  it("a consumer that dies during the provider call leaves the hand-over in doubt: never sent again, final by deadline + grace", async () => {
    loseNextQueueMessage();
    const org = "faults-consumer-died";
    const id = await shipmentIdOf(await postSms(smsRequest(), { org }));
    vi.restoreAllMocks();
    const order = await orderObjectOf(id);
    const claim = await order.claim(id); // a consumer claimed, then its isolate died mid-call
    expect(claim.kind).toBe("send");
    await shiftOrderTimes(id, ["claim_until"], -60_000);
    await fireAlarm(id);
    expect((await storedOrder(id)).handover).toBe("in_doubt");
    await shiftOrderTimes(id, ["deadline"], -(120_000 + Number(env.SMS_REPORT_GRACE_SECONDS) * 1000));
    await fireAlarm(id);
    expect((await waitForShipment(id, final, { org })).recipients[0]!.status).toBe("SMS_Failed_TTL");
    expect(await simulatorHandovers(id)).toBe(0);
    await expectD1MatchesOrder(id);
    await expectForwardOnly(id);
    // Never accepted: a failure the service owns, so it stays in the within-10 s share's denominator.
    expect(await todaysStats(org)).toMatchObject({ registered: 1, handedOver: 0, failed: { SMS_Failed_TTL: 1 }, pending: 0, failedForRecipientBeforeHandOver: 0 });
  });

  it("duplicated, reordered and late delivery reports leave one final status", async () => {
    loseNextQueueMessage();
    const org = "faults-reports";
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000003" }), { org }));
    vi.restoreAllMocks();
    const order = await orderObjectOf(id);
    const claim = await order.claim(id);
    if (claim.kind !== "send") throw new Error(claim.reason);
    // Reports overtake the provider's own answer, arrive twice, and out of order.
    await order.report(id, { kind: "final", status: "SMS_Delivered" }, "r:delivered", "test", "SMx");
    await order.report(id, { kind: "progress", status: "SMS_Accepted" }, "r:sent", "test", "SMx");
    await order.report(id, { kind: "final", status: "SMS_Delivered" }, "r:delivered", "test", "SMx");
    await order.report(id, { kind: "final", status: "SMS_Failed_Undelivered" }, "r:undelivered", "test", "SMx");
    await order.record(id, claim.claimId, { kind: "accepted", status: "SMS_Accepted", providerRef: "SMx" });
    expect((await waitForShipment(id, final, { org })).recipients[0]!.status).toBe("SMS_Delivered");
    await expectD1MatchesOrder(id);
    await expectForwardOnly(id);
    await syncToD1(id);
    expect(await todaysStats(org)).toMatchObject({ registered: 1, handedOver: 1, delivered: 1, failed: {}, pending: 0 });
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM feed WHERE shipment_id = ?").bind(id).all<{ n: number }>();
    expect(results[0]!.n).toBe(1);
  });
});
