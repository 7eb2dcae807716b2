// A rolling deploy of the callback object: deliveries stored by the previous version (a retry waiting,
// an attempt cut off mid-flight, a delivery failed for good) are carried on by the new code: loaded,
// delivered, retried by hand and listed, signed with both secrets of a rotation the previous version made.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call } from "../support/api";
import { callbackObject, deliveriesOf, runDueAttempts, statusEvent, storedDelivery } from "../support/callbacks";
import { answer, fakeReceiver, verifyCallback, type FakeReceiver } from "../support/fake-receiver";
import { callbackBody } from "../../src/webhooks/events";
import { newSecret } from "../../src/webhooks/signing";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

/** The callback object's schema as the previous version created it (frozen here on purpose). */
const PREVIOUS_SCHEMA = `
CREATE TABLE IF NOT EXISTS subscription (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  org TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,
  secret TEXT NOT NULL, previous_secret TEXT, previous_secret_until INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, disabled_reason TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,               -- the event id, sent as webhook-id on every attempt
  shipment_id TEXT NOT NULL, status TEXT NOT NULL, body TEXT,
  state TEXT NOT NULL,                   -- pending | delivered | failed
  attempts INTEGER NOT NULL DEFAULT 0, series_start INTEGER NOT NULL DEFAULT 0, leased INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, last_attempt_at INTEGER, last_response_status INTEGER, next_attempt_at INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, seq);
`;

/** The previous version's statements, exactly as its webhook-object.ts ran them. */
const PREVIOUS = {
  subscribe: `INSERT OR REPLACE INTO subscription (id, org, url, events, secret, previous_secret, previous_secret_until, created_at, updated_at, disabled_reason)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  enqueue: `INSERT INTO deliveries (id, shipment_id, status, body, state, created_at, next_attempt_at)
           VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq`,
  lease: "UPDATE deliveries SET leased = 1, attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ? WHERE id = ?",
  settle: `UPDATE deliveries SET state = ?, leased = 0, next_attempt_at = ?, last_response_status = ?,
         body = CASE WHEN ? = 'delivered' THEN NULL ELSE body END WHERE id = ?`,
  wake: "SELECT MIN(next_attempt_at) AS wake FROM deliveries WHERE state = 'pending' AND (leased = 1 OR ? = 1)",
};

const HOUR = 3600 * 1000;

describe("deliveries stored by the previous version", () => {
  it("are loaded, delivered, retried by hand and listed by the new code, signed with both secrets of its rotation", async () => {
    const org = `rolling${crypto.randomUUID().slice(0, 8)}`;
    const [oldSecret, currentSecret] = [newSecret(), newSecret()];
    const now = Date.now();
    const events = {
      waiting: statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered", new Date(now - HOUR)),
      cutOff: statusEvent(org, crypto.randomUUID(), 4, "SMS_Failed_TTL", new Date(now - HOUR)),
      failed: statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered", new Date(now - HOUR)),
    };
    await runInDurableObject(callbackObject(org), async (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(PREVIOUS_SCHEMA);
      // A subscription whose secret was rotated an hour ago: both secrets sign for 23 hours more.
      sql.exec(PREVIOUS.subscribe, org, receiver.url("/rolling"), "final", currentSecret, oldSecret, now + 23 * HOUR, now - 2 * HOUR, now - HOUR, null);
      for (const e of Object.values(events)) sql.exec(PREVIOUS.enqueue, e.eventId, e.shipmentId, e.status, callbackBody(e), now - HOUR, now - HOUR).toArray();
      // A first attempt answered 500; its retry is due now.
      sql.exec(PREVIOUS.lease, now - 60_000, now - 45_000, events.waiting.eventId);
      sql.exec(PREVIOUS.settle, "pending", now - 1, 500, "pending", events.waiting.eventId);
      // A first attempt whose sender died: leased, its lease over.
      sql.exec(PREVIOUS.lease, now - 60_000, now - 45_000, events.cutOff.eventId);
      // Eight attempts that all failed.
      for (let attempt = 1; attempt <= 8; attempt++) {
        sql.exec(PREVIOUS.lease, now - 50_000, now - 35_000, events.failed.eventId);
        sql.exec(PREVIOUS.settle, attempt < 8 ? "pending" : "failed", attempt < 8 ? now - 40_000 : null, 503, "x", events.failed.eventId);
      }
      const { wake } = sql.exec<{ wake: number }>(PREVIOUS.wake, 1).one();
      await state.storage.setAlarm(wake);
    });

    // The previous version's alarm (due) runs the new code: the cut-off attempt counts as failed (a retry is
    // planned), the waiting one goes.
    await vi.waitFor(() => expect(receiver.at("/rolling")).toHaveLength(1), { timeout: 5_000, interval: 10 });
    await vi.waitFor(async () => expect(await storedDelivery(org, events.waiting.eventId)).toMatchObject({ state: "delivered", attempts: 2, leased: 0, body: null }), {
      timeout: 5_000,
      interval: 10,
    });
    expect(await storedDelivery(org, events.cutOff.eventId)).toMatchObject({ state: "pending", attempts: 1, leased: 0, last_response_status: null });

    // Its retry, when due, goes out with the same id and body.
    expect(await runDueAttempts(org)).toBe(true);
    await vi.waitFor(() => expect(receiver.at("/rolling")).toHaveLength(2), { timeout: 5_000, interval: 10 });
    expect(await storedDelivery(org, events.cutOff.eventId)).toMatchObject({ state: "delivered", attempts: 2 });

    // The failed one, retried by hand: a new series, answered 202, delivered as attempt 9.
    const retried = await call("POST", `/future/webhook/deliveries/${events.failed.eventId}/retry`, undefined, { org });
    expect(retried.status).toBe(202);
    await vi.waitFor(() => expect(receiver.at("/rolling")).toHaveLength(3), { timeout: 5_000, interval: 10 });
    await vi.waitFor(async () => expect(await storedDelivery(org, events.failed.eventId)).toMatchObject({ state: "delivered", attempts: 9 }), {
      timeout: 5_000,
      interval: 10,
    });

    const received = receiver.at("/rolling");
    expect(received.map((c) => c.headers["webhook-id"])).toEqual([events.waiting.eventId, events.cutOff.eventId, events.failed.eventId]);
    for (const [i, e] of [events.waiting, events.cutOff, events.failed].entries()) {
      expect(received[i]!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
      expect(verifyCallback(currentSecret, received[i]!)).toEqual({ type: "shipment.status", timestamp: e.at, data: e.manifest });
      expect(verifyCallback(oldSecret, received[i]!)).toEqual({ type: "shipment.status", timestamp: e.at, data: e.manifest });
    }

    const listed = await deliveriesOf(org);
    expect(listed.map((d) => [d.id, d.state, d.attempts, d.lastResponseStatus])).toEqual([
      [events.failed.eventId, "delivered", 9, 200],
      [events.cutOff.eventId, "delivered", 2, 200],
      [events.waiting.eventId, "delivered", 2, 200],
    ]);
    expect(listed.every((d) => d.nextAttemptAt === undefined)).toBe(true);
  });

  it("a 410 to a delivery the previous version stored disables the subscription, as before", async () => {
    const org = `rolling${crypto.randomUUID().slice(0, 8)}`;
    receiver.script("/gone", [answer.status(410)]);
    const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered", new Date(Date.now() - HOUR));
    const now = Date.now();
    await runInDurableObject(callbackObject(org), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(PREVIOUS_SCHEMA);
      sql.exec(PREVIOUS.subscribe, org, receiver.url("/gone"), "final", newSecret(), null, null, now - 2 * HOUR, now - 2 * HOUR, null);
      sql.exec(PREVIOUS.enqueue, event.eventId, event.shipmentId, event.status, callbackBody(event), now - HOUR, now - 1).toArray();
      return state.storage.setAlarm(now - 1);
    });
    // The previous version's alarm (due) runs the new code.
    await vi.waitFor(async () => expect(await storedDelivery(org, event.eventId)).toMatchObject({ state: "failed", attempts: 1, last_response_status: 410 }), {
      timeout: 5_000,
      interval: 10,
    });
    const subscription = (await (await call("GET", "/future/webhook", undefined, { org })).json()) as { disabled: boolean; disabledReason: string };
    expect(subscription).toMatchObject({ disabled: true, disabledReason: expect.stringMatching(/^The receiver answered 410 Gone at /) });
  });
});
