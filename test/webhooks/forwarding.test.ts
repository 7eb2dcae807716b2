// What reaches an organisation's callback object, and when: the shard writer forwards nothing for an
// organisation it knows has no subscription, a new subscription still gets every status change after it
// exists, and an order gathers its non-final changes into one hand-off only where no subscriber wants
// every status, while the final status still goes at once (each callback within a second).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call, postSms, smsRequest } from "../support/api";
import { waitForShipment, shipmentIdOf } from "../support/shipments";
import { orderObjectOf, storedOrder, syncToD1 } from "../support/order";
import { ShardWriter } from "../../src/store/shard-writer";
import type { ShipmentChange } from "../../src/store/changes";
import { shardOf, shardWriter } from "../../src/store/shards";
import { WebhookObject } from "../../src/webhooks/webhook-object";
import { subscribe } from "../support/callbacks";
import { fakeReceiver, verifyCallback, type FakeReceiver } from "../support/fake-receiver";
import { retentionMs } from "../../src/config/settings";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

const newOrg = () => `fwd${crypto.randomUUID().slice(0, 8)}`;

async function writerOf(org: string) {
  return shardWriter(env, await shardOf(env, org));
}

/** What the organisation's shard writer knows of its subscription ('final', 'all', 'none'), or null. */
async function knownSubscription(org: string): Promise<string | null> {
  return runInDurableObject(await writerOf(org), (_i, state) => state.storage.sql.exec<{ events: string }>("SELECT events FROM callback_orgs WHERE org = ?", org).toArray()[0]?.events ?? null);
}

async function outboxOf(org: string): Promise<number> {
  return runInDurableObject(await writerOf(org), (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM callback_outbox WHERE org = ?", org).one().n);
}

/** Sends an SMS for `org` and waits until it is delivered and D1 knows it; answers its shipment id. */
async function deliveredSms(org: string): Promise<string> {
  const shipmentId = await shipmentIdOf(await postSms(smsRequest(), { org }));
  await waitForShipment(shipmentId, (s) => s.recipients[0]!.status === "SMS_Delivered", { org });
  await syncToD1(shipmentId);
  return shipmentId;
}

const callsFor = (spy: { mock: { calls: unknown[][] } }, org: string) =>
  spy.mock.calls.filter(([events]) => (events as { org: string }[]).some((e) => e.org === org));

describe("forwarding to the callback object", () => {
  it("an organisation without a subscription costs no callback-object call once its shard writer has learnt it has none", async () => {
    const org = newOrg();
    const enqueue = vi.spyOn(WebhookObject.prototype, "enqueue");
    await deliveredSms(org);
    // The first time, the writer does not know: it asks, and keeps the answer.
    await vi.waitFor(async () => expect(await knownSubscription(org)).toBe("none"), { timeout: 3_000, interval: 20 });
    expect(callsFor(enqueue, org).length).toBeGreaterThan(0);

    enqueue.mockClear();
    await deliveredSms(org);
    await deliveredSms(org);
    // Nothing of theirs was even stored for forwarding, so nothing can be forwarded later either.
    expect(await outboxOf(org)).toBe(0);
    expect(callsFor(enqueue, org)).toEqual([]);
  });

  it("a new subscription gets every status change after it exists, though the writer had learnt there was none", async () => {
    const org = newOrg();
    await deliveredSms(org);
    await vi.waitFor(async () => expect(await knownSubscription(org)).toBe("none"), { timeout: 3_000, interval: 20 });

    const { secret } = await subscribe(org, receiver.url("/new"), "all");
    expect(await knownSubscription(org)).toBe("all");
    const shipmentId = await deliveredSms(org);
    await vi.waitFor(() => expect(receiver.at("/new").length).toBeGreaterThanOrEqual(4), { timeout: 8_000, interval: 20 });
    const statuses = receiver.at("/new").map((c) => (verifyCallback(secret, c) as { data: { shipmentId: string; recipients: { status: string }[] } }).data);
    expect(statuses.every((d) => d.shipmentId === shipmentId)).toBe(true);
    expect(statuses.map((d) => d.recipients[0]!.status).sort()).toEqual(["SMS_Accepted", "SMS_Delivered", "SMS_New", "SMS_Sending"]);
  });

  it("DELETE makes the writer forget what it knew, so it asks the callback object again", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/gone"), "final");
    expect(await knownSubscription(org)).toBe("final");
    expect((await call("DELETE", "/future/webhook", undefined, { org })).status).toBe(204);
    expect(await knownSubscription(org)).toBeNull();
    await deliveredSms(org);
    await vi.waitFor(async () => expect(await knownSubscription(org)).toBe("none"), { timeout: 3_000, interval: 20 });
  });

  it("a callback object of the previous version (its answer says nothing of a subscription) keeps the organisation forwarded", async () => {
    const org = newOrg();
    vi.spyOn(WebhookObject.prototype, "enqueue").mockResolvedValue({ accepted: 0 } as never);
    await deliveredSms(org);
    await vi.waitFor(async () => expect(await outboxOf(org)).toBe(0), { timeout: 3_000, interval: 20 });
    expect(await knownSubscription(org)).toBeNull();
  });

  it("a PUT the shard writer could not note answers 503 and stores no subscription", async () => {
    const org = newOrg();
    vi.spyOn(ShardWriter.prototype, "noteSubscription").mockRejectedValue(new Error("injected: shard writer unreachable"));
    const response = await call("PUT", "/future/webhook", { url: receiver.url("/never"), events: "all" }, { org });
    expect(response.status).toBe(503);
    vi.restoreAllMocks();
    expect((await call("GET", "/future/webhook", undefined, { org })).status).toBe(404);
  });

  it("a PUT made while the writer waits for a 'no subscription' answer is not undone by that answer", async () => {
    const org = newOrg();
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const enqueue = vi.spyOn(WebhookObject.prototype, "enqueue").mockImplementationOnce(async () => {
      await answered; // the callback object answers late: it had no subscription when asked
      return { accepted: 0, subscribed: false };
    });
    await postSms(smsRequest(), { org });
    await vi.waitFor(() => expect(callsFor(enqueue, org).length).toBeGreaterThan(0), { timeout: 3_000, interval: 10 });
    await subscribe(org, receiver.url("/race"), "final");
    answer();
    await vi.waitFor(async () => expect(await outboxOf(org)).toBe(0), { timeout: 3_000, interval: 20 });
    expect(await knownSubscription(org)).toBe("final");
  });
});

describe("hand-offs to the shard writer", () => {
  /** The hand-offs that carried this shipment's changes. */
  const handOffsOf = (append: { mock: { calls: unknown[][] } }, shipmentId: string) =>
    append.mock.calls.filter(([, changes]) => (changes as ShipmentChange[]).some((c) => c.kind === "state" && c.shipmentId === shipmentId));

  it("without a subscription to every status, a shipment's changes go in one hand-off; its final callback still leaves within a second", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/final"), "final");
    await deliveredSms(org); // the first order learns the organisation's subscription from the writer
    const append = vi.spyOn(ShardWriter.prototype, "append");
    const shipmentId = await deliveredSms(org);
    expect(handOffsOf(append, shipmentId)).toHaveLength(1);
    // D1 learnt every status.
    const statuses = await env.DB.prepare("SELECT status FROM status_events WHERE shipment_id = ? AND applied = 1 ORDER BY event_seq").bind(shipmentId).all<{ status: string }>();
    expect(statuses.results.map((r) => r.status)).toEqual(["SMS_New", "SMS_Sending", "SMS_Accepted", "SMS_Delivered"]);

    await vi.waitFor(() => expect(receiver.at("/final")).toHaveLength(2), { timeout: 5_000, interval: 20 });
    const last = receiver.at("/final")[1]!;
    const body = verifyCallback(secret, last) as { timestamp: string; data: { shipmentId: string } };
    expect(body.data.shipmentId).toBe(shipmentId);
    expect(last.at - Date.parse(body.timestamp)).toBeLessThan(1000);
  });

  it("once D1 has a final shipment's changes, its alarm waits for retention: no sync retry fires for nothing", async () => {
    const shipmentId = await deliveredSms(newOrg());
    const stub = await orderObjectOf(shipmentId);
    const row = await storedOrder(shipmentId); // deliveredSms waited for the hand-off
    expect(row.pushed_seq).toBe(row.change_seq);
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).toBe((row.created_at as number) + retentionMs(env));
  });

  it("with a subscription to every status, each change goes at once: every callback of a later order leaves within a second", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/all"), "all");
    await deliveredSms(org);
    await vi.waitFor(() => expect(receiver.at("/all")).toHaveLength(4), { timeout: 5_000, interval: 20 });
    const shipmentId = await shipmentIdOf(await postSms(smsRequest(), { org }));
    await vi.waitFor(() => expect(receiver.at("/all")).toHaveLength(8), { timeout: 8_000, interval: 20 });
    for (const callback of receiver.at("/all").slice(4)) {
      const body = verifyCallback(secret, callback) as { timestamp: string; data: { shipmentId: string } };
      expect(body.data.shipmentId).toBe(shipmentId);
      expect(callback.at - Date.parse(body.timestamp)).toBeLessThan(1000);
    }
  });
});
