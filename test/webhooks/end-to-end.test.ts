// Status callbacks end to end: subscribe through the API, send an SMS through the API, and receive the
// signed callbacks (real order object, queue, simulator, shard writer and callback object; only the
// receiver is faked).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { postSms, smsRequest } from "../support/api";
import { readShipmentAs, waitForShipment, shipmentIdOf } from "../support/shipments";
import { orderStubForShipment } from "../../src/orders/order-key";
import { shardOf, shardWriter } from "../../src/store/shards";
import { WebhookObject } from "../../src/webhooks/webhook-object";
import { deliveriesOf, runDueAttempts, subscribe } from "../support/callbacks";
import { fakeReceiver, verifyCallback, type FakeReceiver } from "../support/fake-receiver";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

interface CallbackBody {
  type: string;
  timestamp: string;
  data: { shipmentId: string; status: string; lastUpdate: string; recipients: { status: string; destination: string }[] };
}

const newOrg = () => `e2e${crypto.randomUUID().slice(0, 8)}`;

describe("status callbacks, end to end", () => {
  it("an SMS's statuses arrive signed, each within a second of its change, the last one equal to the manifest", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/all"), "all");
    const code = `${Math.floor(100_000 + Math.random() * 899_999)}`;
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ body: `Your code is ${code}` }), { org }));

    await vi.waitFor(() => expect(receiver.at("/all").length).toBeGreaterThanOrEqual(4), { timeout: 8_000, interval: 20 });
    const callbacks = receiver.at("/all");
    const bodies = callbacks.map((c) => verifyCallback(secret, c) as CallbackBody);
    expect(bodies.map((b) => b.data.recipients[0]!.status).sort()).toEqual(["SMS_Accepted", "SMS_Delivered", "SMS_New", "SMS_Sending"]);
    for (const [i, callback] of callbacks.entries()) {
      const body = bodies[i]!;
      expect(body.type).toBe("shipment.status");
      expect(body.data.shipmentId).toBe(shipmentId);
      expect(callback.headers["webhook-id"]).toMatch(new RegExp(`^${shipmentId}\\.\\d+$`));
      // The first attempt left within a second of the status change (`timestamp` is when it changed).
      expect(callback.at - Date.parse(body.timestamp)).toBeLessThan(1000);
      expect(callback.body).not.toContain(code);
    }
    expect(new Set(callbacks.map((c) => c.headers["webhook-id"])).size).toBe(4);

    const final = bodies.find((b) => b.data.recipients[0]!.status === "SMS_Delivered")!;
    // The manifest at the final status is what GET shows; its lastUpdate is the event's time, which the
    // order may have read a millisecond apart from the shipment's own.
    const manifest = await readShipmentAs(org, shipmentId);
    const at = expect.any(String) as unknown as string;
    expect(final.data).toEqual({ ...manifest, lastUpdate: at, recipients: [{ ...manifest.recipients[0]!, lastUpdate: at }] });
    expect(Math.abs(Date.parse(final.data.lastUpdate) - Date.parse(manifest.lastUpdate))).toBeLessThan(50);
    await vi.waitFor(async () => expect((await deliveriesOf(org, "delivered")).length).toBe(4), { timeout: 3_000, interval: 20 });
  });

  it("events: final sends one callback per shipment, a failure included; another organisation hears nothing", async () => {
    const [org, other] = [newOrg(), newOrg()];
    const { secret } = await subscribe(org, receiver.url("/final"), "final");
    await subscribe(other, receiver.url("/other"), "all");
    const delivered = await shipmentIdOf(await postSms(smsRequest(), { org }));
    const undelivered = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000002" }), { org }));

    await vi.waitFor(() => expect(receiver.at("/final").length).toBeGreaterThanOrEqual(2), { timeout: 8_000, interval: 20 });
    const finals = Object.fromEntries(receiver.at("/final").map((c) => {
      const body = verifyCallback(secret, c) as CallbackBody;
      return [body.data.shipmentId, body.data.recipients[0]!.status];
    }));
    expect(finals).toEqual({ [delivered]: "SMS_Delivered", [undelivered]: "SMS_Failed_Undelivered" });
    // Nothing more follows for them, and nothing reaches the other organisation's receiver. Everything that
    // could still send runs now: the orders hand their last changes on, the shard writer's alarm forwards
    // its callback outbox, and each callback object runs its due attempts (retry waits passed).
    for (const id of [delivered, undelivered]) await orderStubForShipment(env, id).syncNow();
    await runDurableObjectAlarm(shardWriter(env, await shardOf(env, org)));
    await runDueAttempts(org);
    await runDueAttempts(other);
    expect(receiver.at("/final")).toHaveLength(2);
    expect(receiver.at("/other")).toHaveLength(0);
    expect((await deliveriesOf(org)).map((d) => d.state)).toEqual(["delivered", "delivered"]);
    expect(await deliveriesOf(other)).toEqual([]);
  });

  it("a status event survives its organisation's callback object failing: the shard writer keeps it and its alarm forwards it", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/outbox"), "final");
    const down = vi.spyOn(WebhookObject.prototype, "enqueue").mockRejectedValue(new Error("callback object unavailable"));
    const shipmentId = await shipmentIdOf(await postSms(smsRequest(), { org }));
    await waitForShipment(shipmentId, (s) => s.recipients[0]!.status === "SMS_Delivered", { org });

    const writer = shardWriter(env, await shardOf(env, org));
    const waiting = () =>
      runInDurableObject(writer, (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM callback_outbox WHERE org = ?", org).one().n);
    await vi.waitFor(async () => expect(down).toHaveBeenCalled(), { timeout: 3_000 });
    expect(await waiting()).toBeGreaterThan(0);
    expect(receiver.at("/outbox")).toHaveLength(0);

    down.mockRestore();
    expect(await runDurableObjectAlarm(writer)).toBe(true);
    await vi.waitFor(() => expect(receiver.at("/outbox")).toHaveLength(1), { timeout: 3_000, interval: 20 });
    const body = verifyCallback(secret, receiver.at("/outbox")[0]!) as CallbackBody;
    expect(body.data).toMatchObject({ shipmentId, status: "Order_Completed" });
    expect(await waiting()).toBe(0);
  });
});
