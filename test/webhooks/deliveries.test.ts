// Deliveries of status callbacks, from the organisation's callback object to a (fake) receiver: events
// handed over by `enqueue` as the shard writer does, time moved by the object's alarm and stored times.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call, problemOf } from "../support/api";
import { callbackObject, deliveriesOf, runDueAttempts, shiftSubscriptionTimes, smsLife, statusEvent, storedDelivery, subscribe } from "../support/callbacks";
import { answer, fakeReceiver, verifyCallback, type FakeReceiver, type ReceivedCallback } from "../support/fake-receiver";
import { RETRY_SCHEDULE_MS } from "../../src/webhooks/schedule";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

let orgs = 0;
/** A fresh organisation (so a fresh callback object) and receiver path per test. */
const newOrg = () => `org${++orgs}${crypto.randomUUID().slice(0, 8)}`;

async function arrivals(path: string, count: number): Promise<ReceivedCallback[]> {
  await vi.waitFor(() => expect(receiver.at(path).length).toBeGreaterThanOrEqual(count), { timeout: 5_000, interval: 10 });
  return receiver.at(path);
}

async function deliveryOf(org: string, id: string) {
  const delivery = (await deliveriesOf(org)).find((d) => d.id === id);
  expect(delivery).toBeDefined();
  return delivery!;
}

/** Waits until the delivery's current attempt has ended (it is no longer in flight). */
async function settled(org: string, id: string, attempts: number) {
  await vi.waitFor(
    async () => {
      const row = await storedDelivery(org, id);
      expect(row).toMatchObject({ attempts, leased: 0 });
    },
    { timeout: 5_000, interval: 10 },
  );
  return deliveryOf(org, id);
}

describe("a delivery", () => {
  it("leaves within a second of the status change, signed so the reference library verifies it", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/a"), "all");
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    const handedOver = Date.now();
    expect(await callbackObject(org).enqueue([event])).toEqual({ accepted: 1, subscribed: true });

    const [callback] = await arrivals("/a", 1);
    expect(callback!.at - handedOver).toBeLessThan(1000);
    expect(callback!.method).toBe("POST");
    expect(callback!.redirect).toBe("manual");
    expect(callback!.headers["content-type"]).toBe("application/json");
    expect(callback!.headers["webhook-id"]).toBe(`${event.shipmentId}.4`);
    expect(Math.abs(Number(callback!.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(5);
    expect(verifyCallback(secret, callback!)).toEqual({ type: "shipment.status", timestamp: event.at, data: event.manifest });

    const delivery = await settled(org, event.eventId, 1);
    expect(delivery).toMatchObject({ id: event.eventId, shipmentId: event.shipmentId, status: "SMS_Delivered", state: "delivered", attempts: 1, lastResponseStatus: 200 });
    expect(delivery.nextAttemptAt).toBeUndefined();
    // A delivered body is not kept.
    expect((await storedDelivery(org, event.eventId))!.body).toBeNull();
  });

  it("events: final sends only the final status; events: all sends every one", async () => {
    const [finalOrg, allOrg] = [newOrg(), newOrg()];
    await subscribe(finalOrg, receiver.url("/final"), "final");
    await subscribe(allOrg, receiver.url("/all"), "all");
    const shipmentId = crypto.randomUUID();
    expect(await callbackObject(finalOrg).enqueue(smsLife(finalOrg, shipmentId, "SMS_Failed_Undelivered"))).toEqual({ accepted: 1, subscribed: true });
    expect(await callbackObject(allOrg).enqueue(smsLife(allOrg, shipmentId, "SMS_Failed_Undelivered"))).toEqual({ accepted: 4, subscribed: true });

    await arrivals("/all", 4);
    const statuses = receiver.at("/all").map((c) => (JSON.parse(c.body) as { data: { recipients: { status: string }[] } }).data.recipients[0]!.status);
    expect(statuses.sort()).toEqual(["SMS_Accepted", "SMS_Failed_Undelivered", "SMS_New", "SMS_Sending"]);
    const [final] = await arrivals("/final", 1);
    expect(final!.headers["webhook-id"]).toBe(`${shipmentId}.4`);
    expect(JSON.parse(final!.body)).toMatchObject({ type: "shipment.status", data: { status: "Order_Completed" } });
    expect(receiver.at("/final")).toHaveLength(1);
  });

  it("is made once for an event handed over twice", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/twice"), "final");
    const event = statusEvent(org, crypto.randomUUID(), 2, "Email_Delivered");
    expect(await callbackObject(org).enqueue([event])).toEqual({ accepted: 1, subscribed: true });
    expect(await callbackObject(org).enqueue([event, event])).toEqual({ accepted: 0, subscribed: true });
    await arrivals("/twice", 1);
    await settled(org, event.eventId, 1);
    expect(receiver.at("/twice")).toHaveLength(1);
  });

  it("is only made for status changes after the subscription was created, and only with one", async () => {
    const org = newOrg();
    const before = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered", new Date(Date.now() - 60_000));
    expect(await callbackObject(org).enqueue([before])).toEqual({ accepted: 0, subscribed: false }); // no subscription yet
    await subscribe(org, receiver.url("/late"), "all");
    expect(await callbackObject(org).enqueue([before])).toEqual({ accepted: 0, subscribed: true });
    expect(await deliveriesOf(org)).toEqual([]);
  });
});

describe("retries", () => {
  it("tries again after a 500 on the schedule, with the same webhook-id, until a 2xx", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/flaky"));
    receiver.script("/flaky", [answer.status(500), answer.status(503), answer.status(204)]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    await callbackObject(org).enqueue([event]);

    await arrivals("/flaky", 1);
    let delivery = await settled(org, event.eventId, 1);
    expect(delivery).toMatchObject({ state: "pending", attempts: 1, lastResponseStatus: 500 });
    expect(Date.parse(delivery.nextAttemptAt!) - Date.parse(delivery.lastAttemptAt!)).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[0]!);
    expect(Date.parse(delivery.nextAttemptAt!) - Date.parse(delivery.lastAttemptAt!)).toBeLessThan(RETRY_SCHEDULE_MS[0]! + 1000);

    expect(await runDueAttempts(org)).toBe(true);
    delivery = await settled(org, event.eventId, 2);
    expect(delivery).toMatchObject({ state: "pending", attempts: 2, lastResponseStatus: 503 });
    expect(Date.parse(delivery.nextAttemptAt!) - Date.parse(delivery.lastAttemptAt!)).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[1]!);

    await runDueAttempts(org);
    delivery = await settled(org, event.eventId, 3);
    expect(delivery).toMatchObject({ state: "delivered", attempts: 3, lastResponseStatus: 204 });

    const attempts = receiver.at("/flaky");
    expect(attempts.map((a) => a.headers["webhook-id"])).toEqual([event.eventId, event.eventId, event.eventId]);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    for (const attempt of attempts) expect(verifyCallback(secret, attempt)).toMatchObject({ type: "shipment.status" });
  });

  it("tries again after a timeout and after a refused connection", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/down"));
    receiver.script("/down", [answer.hang(), answer.refuse(), answer.ok()]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    await callbackObject(org).enqueue([event]);

    await arrivals("/down", 1);
    let delivery = await settled(org, event.eventId, 1); // the test's CALLBACK_TIMEOUT_MS is 500 ms
    expect(delivery).toMatchObject({ state: "pending", attempts: 1 });
    expect(delivery.lastResponseStatus).toBeUndefined();

    await runDueAttempts(org);
    delivery = await settled(org, event.eventId, 2);
    expect(delivery).toMatchObject({ state: "pending", attempts: 2 });
    expect(delivery.lastResponseStatus).toBeUndefined();

    await runDueAttempts(org);
    expect(await settled(org, event.eventId, 3)).toMatchObject({ state: "delivered", attempts: 3, lastResponseStatus: 200 });
    expect(receiver.at("/down").map((a) => [a.answered, a.headers["webhook-id"]])).toEqual([
      ["hang", event.eventId],
      ["refuse", event.eventId],
      [200, event.eventId],
    ]);
  });

  it("does not follow a redirect: a 3xx is a failure, and the Location is never called", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/moved"));
    receiver.script("/moved", [answer.redirect(receiver.url("/elsewhere"))]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    await callbackObject(org).enqueue([event]);
    await arrivals("/moved", 1);
    expect(await settled(org, event.eventId, 1)).toMatchObject({ state: "pending", lastResponseStatus: 302 });
    expect(receiver.at("/elsewhere")).toHaveLength(0);
  });

  // Any ENVIRONMENT but "local" is a deployment (src/config/environment.ts), a misspelt one included.
  it.each(["production", "Production"])("deployed (ENVIRONMENT %j), never calls a stored URL the receiver rules now refuse (one stored before them): the attempt fails", async (ENVIRONMENT) => {
    const org = newOrg();
    await subscribe(org, receiver.url("/stored-before"));
    const refusedUrl = "https://[::ffff:0:7f00:1]/stored-before"; // IPv4-translated 127.0.0.1, once let through
    await runInDurableObject(callbackObject(org), (instance, state) => {
      state.storage.sql.exec("UPDATE subscription SET url = ?", refusedUrl);
      (instance as unknown as { env: Env }).env = { ...env, ENVIRONMENT }; // this object, as deployed
    });
    const called: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      called.push(new Request(input, init).url); // nothing leaves the test, whatever the object does
      return new Response("ok");
    });
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    expect(await callbackObject(org).enqueue([event])).toEqual({ accepted: 1, subscribed: true });
    const delivery = await settled(org, event.eventId, 1);
    expect(delivery).toMatchObject({ state: "pending", attempts: 1 });
    expect(delivery.lastResponseStatus).toBeUndefined();
    expect(called).toEqual([]);
  });

  it("fails after the 8th attempt; a manual retry sends it again with the same id", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/broken"));
    receiver.script("/broken", [answer.status(500)]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Failed_TTL");
    await callbackObject(org).enqueue([event]);
    await arrivals("/broken", 1);
    await settled(org, event.eventId, 1);
    for (let attempt = 2; attempt <= 8; attempt++) {
      await runDueAttempts(org);
      await settled(org, event.eventId, attempt);
    }
    const failed = await deliveryOf(org, event.eventId);
    expect(failed).toMatchObject({ state: "failed", attempts: 8, lastResponseStatus: 500 });
    expect(failed.nextAttemptAt).toBeUndefined();
    expect(await runDueAttempts(org)).toBe(false); // nothing left to wake up for
    expect(await deliveriesOf(org, "failed")).toHaveLength(1);

    receiver.script("/broken", [answer.ok()]);
    const retried = await call("POST", `/future/webhook/deliveries/${event.eventId}/retry`, undefined, { org });
    expect(retried.status).toBe(202);
    await arrivals("/broken", 9);
    expect(await settled(org, event.eventId, 9)).toMatchObject({ state: "delivered", attempts: 9, lastResponseStatus: 200 });
    expect(new Set(receiver.at("/broken").map((a) => a.headers["webhook-id"]))).toEqual(new Set([event.eventId]));
    // A delivered one cannot be retried.
    expect((await call("POST", `/future/webhook/deliveries/${event.eventId}/retry`, undefined, { org })).status).toBe(409);
  });
});

describe("410 Gone", () => {
  it("disables the subscription: nothing more is sent, pending deliveries wait, and a PUT resumes them", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/gone"), "all");
    receiver.script("/gone", [answer.status(500), answer.gone(), answer.ok()]);
    const [waiting, goneFor] = [statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered"), statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered")];
    await callbackObject(org).enqueue([waiting]);
    await arrivals("/gone", 1);
    await settled(org, waiting.eventId, 1); // 500: pending
    await callbackObject(org).enqueue([goneFor]);
    await arrivals("/gone", 2);
    expect(await settled(org, goneFor.eventId, 1)).toMatchObject({ state: "failed", lastResponseStatus: 410 });

    const subscription = (await (await call("GET", "/future/webhook", undefined, { org })).json()) as { disabled: boolean; disabledReason?: string };
    expect(subscription.disabled).toBe(true);
    expect(subscription.disabledReason).toMatch(/410 Gone/);
    // Disabled: new events are not taken, the pending one is not sent, a failed one cannot be retried.
    expect(await callbackObject(org).enqueue([statusEvent(org, crypto.randomUUID(), 1, "SMS_New")])).toEqual({ accepted: 0, subscribed: true });
    await runDueAttempts(org);
    expect((await call("POST", `/future/webhook/deliveries/${goneFor.eventId}/retry`, undefined, { org })).status).toBe(409);
    expect(receiver.at("/gone")).toHaveLength(2);
    expect(await deliveryOf(org, waiting.eventId)).toMatchObject({ state: "pending", attempts: 1 });

    // A PUT enables it again, and the waiting delivery goes out.
    await subscribe(org, receiver.url("/gone"), "all");
    await arrivals("/gone", 3);
    expect(await settled(org, waiting.eventId, 2)).toMatchObject({ state: "delivered" });
    expect(receiver.at("/gone")[2]!.headers["webhook-id"]).toBe(waiting.eventId);
  });
});

describe("secret rotation", () => {
  it("signs with both secrets for 24 hours, each verifying on its own; then only with the new one", async () => {
    const org = newOrg();
    const { secret: oldSecret } = await subscribe(org, receiver.url("/rotate"));
    const { secret: newSecret } = await subscribe(org, receiver.url("/rotate"), "final", true);
    expect(newSecret).not.toBe(oldSecret);

    await callbackObject(org).enqueue([statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered")]);
    const [during] = await arrivals("/rotate", 1);
    expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifyCallback(oldSecret, during!)).toMatchObject({ type: "shipment.status" });
    expect(verifyCallback(newSecret, during!)).toMatchObject({ type: "shipment.status" });

    await shiftSubscriptionTimes(org, -24 * 3600 * 1000); // the overlap has passed
    await callbackObject(org).enqueue([statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered")]);
    const [, after] = await arrivals("/rotate", 2);
    expect(after!.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verifyCallback(newSecret, after!)).toMatchObject({ type: "shipment.status" });
    expect(() => verifyCallback(oldSecret, after!)).toThrow("No matching signature found");
  });
});

describe("organisations", () => {
  it("never receive another organisation's events", async () => {
    const [a, b] = [newOrg(), newOrg()];
    await subscribe(a, receiver.url("/org-a"), "all");
    await subscribe(b, receiver.url("/org-b"), "all");
    const [eventA, eventB] = [statusEvent(a, crypto.randomUUID(), 4, "SMS_Delivered"), statusEvent(b, crypto.randomUUID(), 4, "SMS_Delivered")];
    // B's event handed to A's object by mistake is dropped there.
    expect(await callbackObject(a).enqueue([eventA, eventB])).toEqual({ accepted: 1, subscribed: true });
    expect(await callbackObject(b).enqueue([eventB])).toEqual({ accepted: 1, subscribed: true });
    await arrivals("/org-a", 1);
    await arrivals("/org-b", 1);
    await settled(a, eventA.eventId, 1);
    await settled(b, eventB.eventId, 1);
    expect(receiver.at("/org-a").map((c) => c.headers["webhook-id"])).toEqual([eventA.eventId]);
    expect(receiver.at("/org-b").map((c) => c.headers["webhook-id"])).toEqual([eventB.eventId]);
    expect((await deliveriesOf(a)).map((d) => d.id)).toEqual([eventA.eventId]);
    expect((await deliveriesOf(b)).map((d) => d.id)).toEqual([eventB.eventId]);
    const retryOther = await call("POST", `/future/webhook/deliveries/${eventA.eventId}/retry`, undefined, { org: b });
    expect(retryOther.status).toBe(404);
  });
});

describe("a sender that dies mid-attempt", () => {
  it("does not lose the delivery: the lease runs out and the alarm sends it again, same id", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/crash"));
    receiver.script("/crash", [answer.hang(), answer.ok()]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    await callbackObject(org).enqueue([event]);
    await arrivals("/crash", 1);
    // The object is torn down while its attempt is in flight: that attempt never records an answer.
    await runInDurableObject(callbackObject(org), (_instance, state) => state.abort("crash mid-attempt")).catch(() => undefined);
    expect(await storedDelivery(org, event.eventId)).toMatchObject({ state: "pending", leased: 1, attempts: 1 });

    await runDueAttempts(org); // the lease has run out: the attempt counts as failed, a retry is scheduled
    expect(await deliveryOf(org, event.eventId)).toMatchObject({ state: "pending", attempts: 1 });
    await runDueAttempts(org);
    const [, again] = await arrivals("/crash", 2);
    expect(again!.headers["webhook-id"]).toBe(event.eventId);
    expect(verifyCallback(secret, again!)).toMatchObject({ data: event.manifest });
    expect(await settled(org, event.eventId, 2)).toMatchObject({ state: "delivered" });
  });
});

describe("DELETE /future/webhook", () => {
  it("drops pending deliveries: nothing more is sent", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/deleted"));
    receiver.script("/deleted", [answer.status(500)]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    await callbackObject(org).enqueue([event]);
    await arrivals("/deleted", 1);
    await settled(org, event.eventId, 1);

    expect((await call("DELETE", "/future/webhook", undefined, { org })).status).toBe(204);
    expect(await runDueAttempts(org)).toBe(false);
    expect(await storedDelivery(org, event.eventId)).toBeUndefined();
    expect(await callbackObject(org).enqueue([statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered")])).toEqual({ accepted: 0, subscribed: false });
    expect(receiver.at("/deleted")).toHaveLength(1);
    expect((await problemOf(await call("GET", "/future/webhook/deliveries", undefined, { org }))).code).toBe("NOT-00005");
  });
});

describe("what is kept", () => {
  it("the latest 100 finished deliveries of each state, everything pending or from the last hour, nothing past retention", async () => {
    const org = newOrg();
    await subscribe(org, receiver.url("/kept"));
    const hour = 3600 * 1000;
    const now = Date.now();
    await runInDurableObject(callbackObject(org), (_instance, state) => {
      const insert = (id: string, deliveryState: string, createdAt: number) =>
        state.storage.sql.exec(
          "INSERT INTO deliveries (id, shipment_id, status, body, state, attempts, created_at, next_attempt_at) VALUES (?, ?, 'SMS_Delivered', '{}', ?, 1, ?, ?)",
          id,
          crypto.randomUUID(),
          deliveryState,
          createdAt,
          deliveryState === "pending" ? now + hour : null,
        );
      for (let i = 0; i < 130; i++) insert(`old-delivered.${i}`, "delivered", now - 2 * hour);
      for (let i = 0; i < 20; i++) insert(`recent-delivered.${i}`, "delivered", now - 10_000);
      for (let i = 0; i < 3; i++) insert(`ancient-failed.${i}`, "failed", now - 91 * 24 * hour);
      for (let i = 0; i < 5; i++) insert(`old-failed.${i}`, "failed", now - 2 * hour);
      insert("old-pending.0", "pending", now - 91 * 24 * hour);
    });
    // Pruning happens alongside new events (at most once a minute per object).
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    await callbackObject(org).enqueue([event]);
    await arrivals("/kept", 1);

    const ids = await runInDurableObject(callbackObject(org), (_instance, state) =>
      state.storage.sql.exec<{ id: string }>("SELECT id FROM deliveries").toArray().map((r) => r.id),
    );
    const count = (prefix: string) => ids.filter((id) => id.startsWith(prefix)).length;
    // 100 delivered are the newest: the 20 recent ones (kept anyway) and the 80 newest old ones.
    expect(count("recent-delivered.")).toBe(20);
    expect(count("old-delivered.")).toBe(80);
    expect(count("old-failed.")).toBe(5);
    expect(count("ancient-failed.")).toBe(0);
    expect(count("old-pending.")).toBe(1);
    expect(ids).toContain(event.eventId);

    const listed = await deliveriesOf(org);
    expect(listed).toHaveLength(100);
    expect(listed[0]!.id).toBe(event.eventId); // newest first
    expect((await deliveriesOf(org, "failed")).map((d) => d.id).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `old-failed.${i}`));
  });
});

describe("logs", () => {
  it("name the receiver by host only, and never carry the secret or the manifest", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
    const org = newOrg();
    const path = "/logged?token=private-path-token";
    const { secret: first } = await subscribe(org, receiver.url(path), "all");
    const { secret: second } = await subscribe(org, receiver.url(path), "all", true);
    receiver.script("/logged", [answer.status(500), answer.ok()]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
    await callbackObject(org).enqueue([event]);
    await arrivals("/logged", 1);
    await settled(org, event.eventId, 1);
    await runDueAttempts(org);
    await settled(org, event.eventId, 2);

    const all = lines.join("\n");
    expect(all).toContain("receiver.test"); // the host, so an operator can tell receivers apart
    for (const secret of [first!, second!]) expect(all).not.toContain(secret.slice("whsec_".length, 20));
    expect(all).not.toContain("private-path-token");
    expect(all).not.toContain("/logged");
    expect(all).not.toContain("4799999999"); // the manifest's destination
  });
});

