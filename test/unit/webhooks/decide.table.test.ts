// Every delivery state × every input, through the callback object's pure decisions (src/webhooks/decide.ts).
// One row per case, ending in its named result and the delivery it leaves. A decision that refuses (a
// stale attempt, a lease still running, a retry of a delivery not failed) must change nothing at all.
import { describe, expect, it } from "vitest";
import {
  decideEnqueue,
  decideLease,
  decideLeaseOver,
  decideRetry,
  decideSettle,
  type CallbackState,
  type Decision,
  type DeliveryRow,
} from "../../../src/webhooks/decide";
import type { ShipmentStatusEvent } from "../../../src/webhooks/events";
import { LEASE_MARGIN_MS, RETRY_SCHEDULE_MS, resultOfError, resultOfResponse } from "../../../src/webhooks/schedule";
import type { SubscriptionRow } from "../../../src/webhooks/subscription";

const T0 = 1_000_000;
const NOW = T0 + 100_000;
const TIMEOUT_MS = 10_000;
const LEASE_END = NOW + 10_000;

const sub: SubscriptionRow = {
  org: "ttd",
  url: "https://receiver.example/callbacks",
  events: "all",
  secret: "whsec_current",
  previous_secret: null,
  previous_secret_until: null,
  created_at: T0,
  updated_at: T0,
  disabled_reason: null,
};

function delivery(patch: Partial<DeliveryRow>): DeliveryRow {
  return {
    id: "s-1.4",
    shipment_id: "s-1",
    status: "SMS_Delivered",
    body: '{"type":"shipment.status"}',
    state: "pending",
    attempts: 2,
    series_start: 0,
    leased: 0,
    created_at: T0,
    last_attempt_at: T0 + 5_000,
    last_response_status: 500,
    next_attempt_at: NOW - 1,
    ...patch,
  };
}

const inFlight = { leased: 1, last_attempt_at: NOW - 5_000, next_attempt_at: LEASE_END };
/** Each after two attempts, except `failed` (after all eight). */
const fixtures = {
  pending: { sub, delivery: delivery({}) }, // due, not in flight
  leased: { sub, delivery: delivery(inFlight) }, // attempt 2 in flight
  delivered: { sub, delivery: delivery({ state: "delivered", body: null, last_response_status: 200, next_attempt_at: null }) },
  failed: { sub, delivery: delivery({ state: "failed", attempts: 8, next_attempt_at: null }) },
  // Attempt 2 in flight when another delivery's 410 disabled the subscription.
  "sub disabled": { sub: { ...sub, disabled_reason: "The receiver answered 410 Gone." }, delivery: delivery(inFlight) },
} satisfies Record<string, CallbackState>;
type Fixture = keyof typeof fixtures;

const current = (s: CallbackState) => s.delivery!.attempts;
const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });
const inputs = {
  lease: (s) => decideLease(s, NOW, TIMEOUT_MS),
  "2xx": (s) => decideSettle(s, { attempt: current(s), result: resultOfResponse(204) }, NOW),
  "410": (s) => decideSettle(s, { attempt: current(s), result: resultOfResponse(410) }, NOW),
  "5xx": (s) => decideSettle(s, { attempt: current(s), result: resultOfResponse(503) }, NOW),
  timeout: (s) => decideSettle(s, { attempt: current(s), result: resultOfError(timeout) }, NOW),
  "stale attempt": (s) => decideSettle(s, { attempt: current(s) - 1, result: resultOfResponse(200) }, NOW),
  "manual retry": (s) => decideRetry(s, NOW),
  "lease over": (s) => decideLeaseOver(s, LEASE_END),
} satisfies Record<string, (s: CallbackState) => Decision<string>>;
type Input = keyof typeof inputs;

/** "=": the same objects, nothing changed. Otherwise the delivery's state, leased, attempts after. */
type After = "=" | [DeliveryRow["state"], number, number];
// prettier-ignore
const table: [Fixture, Input, string, After][] = [
  // state          input            answer              delivery after
  ["pending",       "lease",         "leased",           ["pending",   1, 3]],
  ["pending",       "2xx",           "stale attempt",    "="],
  ["pending",       "410",           "stale attempt",    "="],
  ["pending",       "5xx",           "stale attempt",    "="],
  ["pending",       "timeout",       "stale attempt",    "="],
  ["pending",       "stale attempt", "stale attempt",    "="],
  ["pending",       "manual retry",  "not_failed",       "="],
  ["pending",       "lease over",    "not in flight",    "="],
  ["leased",        "lease",         "in flight",        "="],
  ["leased",        "2xx",           "delivered",        ["delivered", 0, 2]],
  ["leased",        "410",           "gone",             ["failed",    0, 2]],
  ["leased",        "5xx",           "retry",            ["pending",   0, 2]],
  ["leased",        "timeout",       "retry",            ["pending",   0, 2]],
  ["leased",        "stale attempt", "stale attempt",    "="],
  ["leased",        "manual retry",  "not_failed",       "="],
  ["leased",        "lease over",    "retry",            ["pending",   0, 2]],
  ["delivered",     "lease",         "not pending",      "="],
  ["delivered",     "2xx",           "stale attempt",    "="],
  ["delivered",     "410",           "stale attempt",    "="],
  ["delivered",     "5xx",           "stale attempt",    "="],
  ["delivered",     "timeout",       "stale attempt",    "="],
  ["delivered",     "stale attempt", "stale attempt",    "="],
  ["delivered",     "manual retry",  "not_failed",       "="],
  ["delivered",     "lease over",    "not in flight",    "="],
  ["failed",        "lease",         "not pending",      "="],
  ["failed",        "2xx",           "stale attempt",    "="],
  ["failed",        "410",           "stale attempt",    "="],
  ["failed",        "5xx",           "stale attempt",    "="],
  ["failed",        "timeout",       "stale attempt",    "="],
  ["failed",        "stale attempt", "stale attempt",    "="],
  ["failed",        "manual retry",  "accepted",         ["pending",   0, 8]],
  ["failed",        "lease over",    "not in flight",    "="],
  ["sub disabled",  "lease",         "disabled",         "="],
  ["sub disabled",  "2xx",           "delivered",        ["delivered", 0, 2]],
  ["sub disabled",  "410",           "gone",             ["failed",    0, 2]],
  ["sub disabled",  "5xx",           "retry",            ["pending",   0, 2]],
  ["sub disabled",  "timeout",       "retry",            ["pending",   0, 2]],
  ["sub disabled",  "stale attempt", "stale attempt",    "="],
  ["sub disabled",  "manual retry",  "not_failed",       "="],
  ["sub disabled",  "lease over",    "retry",            ["pending",   0, 2]],
];

/** What holds for every decision: attempts only grow, and only by a lease; the id and body never change but by delivery. */
function checkInvariants(before: CallbackState, d: Decision<unknown>) {
  const [b, a] = [before.delivery!, d.state.delivery!];
  expect(a.attempts - b.attempts).toBe(d.answer === "leased" ? 1 : 0);
  expect([a.id, a.shipment_id, a.created_at]).toEqual([b.id, b.shipment_id, b.created_at]);
  if (a.body !== b.body) expect([a.state, a.body]).toEqual(["delivered", null]);
  if (a.state === "pending" && a.leased === 0) expect(a.next_attempt_at).not.toBeNull();
  if (a.state !== "pending") expect(a.next_attempt_at).toBeNull();
  if (d.state.sub?.disabled_reason !== before.sub?.disabled_reason) expect(d.answer).toBe("gone");
}

describe("a delivery's decisions, every state × every input", () => {
  it("the table has one row per case", () => {
    const cases = table.map(([state, input]) => `${state} × ${input}`);
    expect(new Set(cases).size).toBe(cases.length);
    expect(cases.sort()).toEqual(Object.keys(fixtures).flatMap((state) => Object.keys(inputs).map((input) => `${state} × ${input}`)).sort());
  });

  for (const [state, input, answer, after] of table) {
    it(`${state} × ${input} → ${answer}`, () => {
      const before = fixtures[state];
      const d = inputs[input](before);
      expect(d.answer).toBe(answer);
      checkInvariants(before, d);
      if (after === "=") {
        expect(d.state.delivery).toBe(before.delivery);
        expect(d.state.sub).toBe(before.sub);
        expect(d.effects).toEqual([]);
        return;
      }
      const [deliveryState, leased, attempts] = after;
      expect(d.state.delivery).toMatchObject({ state: deliveryState, leased, attempts });
    });
  }
});

describe("what the table does not show", () => {
  it("a lease makes the next attempt, leased until the timeout and a margin, and asks for exactly that attempt", () => {
    const d = decideLease(fixtures.pending, NOW, TIMEOUT_MS);
    expect(d.state.delivery).toMatchObject({ last_attempt_at: NOW, next_attempt_at: NOW + TIMEOUT_MS + LEASE_MARGIN_MS });
    expect(d.effects).toEqual([{ kind: "attempt", sub, delivery: d.state.delivery, attempt: 3 }]);
  });

  it("a lease waits for a retry not yet due; a delivery of a disabled subscription is never leased", () => {
    const early = { sub, delivery: delivery({ next_attempt_at: NOW + 1 }) };
    expect(decideLease(early, NOW, TIMEOUT_MS)).toEqual({ state: early, effects: [], answer: "not due" });
    const disabled = { sub: fixtures["sub disabled"].sub, delivery: delivery({}) };
    expect(decideLease(disabled, NOW, TIMEOUT_MS).answer).toBe("disabled");
    expect(decideLease({ sub: null, delivery: delivery({}) }, NOW, TIMEOUT_MS).answer).toBe("no subscription");
  });

  it("a failed attempt waits by the schedule, counted from the series' start; the 8th failure is final", () => {
    const fifth = { sub, delivery: delivery({ ...inFlight, attempts: 5 }) };
    const d = decideSettle(fifth, { attempt: 5, result: resultOfResponse(500) }, NOW);
    expect(d.state.delivery).toMatchObject({ state: "pending", next_attempt_at: NOW + RETRY_SCHEDULE_MS[4]!, last_response_status: 500 });
    const eighth = { sub, delivery: delivery({ ...inFlight, attempts: 8 }) };
    expect(decideSettle(eighth, { attempt: 8, result: resultOfResponse(500) }, NOW).answer).toBe("failed");
    const retried = { sub, delivery: delivery({ ...inFlight, attempts: 9, series_start: 8 }) };
    const again = decideSettle(retried, { attempt: 9, result: resultOfResponse(500) }, NOW);
    expect(again.state.delivery).toMatchObject({ state: "pending", next_attempt_at: NOW + RETRY_SCHEDULE_MS[0]! });
  });

  it("410 disables the subscription with the time in the reason; 2xx erases the body", () => {
    const gone = decideSettle(fixtures.leased, { attempt: 2, result: resultOfResponse(410) }, NOW);
    expect(gone.state.sub!.disabled_reason).toBe(`The receiver answered 410 Gone at ${new Date(NOW).toISOString()}.`);
    expect(gone.state.delivery).toMatchObject({ state: "failed", last_response_status: 410, next_attempt_at: null });
    const delivered = decideSettle(fixtures.leased, { attempt: 2, result: resultOfResponse(200) }, NOW);
    expect(delivered.state.delivery).toMatchObject({ body: null, last_response_status: 200 });
  });

  it("a lease still running is not over; one that ran out is a failed attempt with no HTTP status", () => {
    expect(decideLeaseOver(fixtures.leased, LEASE_END - 1).answer).toBe("lease running");
    const over = decideLeaseOver(fixtures.leased, LEASE_END);
    expect(over.state.delivery).toMatchObject({ leased: 0, last_response_status: null, next_attempt_at: LEASE_END + RETRY_SCHEDULE_MS[1]! });
  });

  it("a manual retry: a new series from now, and it starts what is due; refused while disabled, unknown, or with no subscription", () => {
    const d = decideRetry(fixtures.failed, NOW);
    expect(d.state.delivery).toMatchObject({ state: "pending", series_start: 8, next_attempt_at: NOW, leased: 0 });
    expect(d.effects).toEqual([{ kind: "start due" }]);
    const disabledSub = fixtures["sub disabled"].sub;
    expect(decideRetry({ sub: disabledSub, delivery: fixtures.failed.delivery }, NOW).answer).toBe("disabled");
    expect(decideRetry({ sub, delivery: null }, NOW).answer).toBe("unknown");
    expect(decideRetry({ sub: null, delivery: null }, NOW).answer).toBe("no_subscription");
  });

  describe("enqueue", () => {
    const event: ShipmentStatusEvent = {
      eventId: "s-1.4",
      org: "ttd",
      shipmentId: "s-1",
      seq: 4,
      status: "SMS_Delivered",
      final: true,
      at: new Date(NOW).toISOString(),
      manifest: { shipmentId: "s-1" } as ShipmentStatusEvent["manifest"],
    };
    const other = { ...event, org: "other" };
    const older = { ...event, at: new Date(T0 - 1).toISOString() };
    // prettier-ignore
    it.each([
      // subscription,                         known,  event,                      answer
      [sub,                                    false, event,                       "stored"],
      [null,                                   false, event,                       "no subscription"],
      [{ ...sub, disabled_reason: "410" },     false, event,                       "disabled"],
      [{ ...sub, events: "final" as const },   false, { ...event, final: false },  "not wanted"],
      [sub,                                    false, other,                       "not wanted"],
      [sub,                                    false, older,                       "not wanted"],
      [sub,                                    true,  event,                       "repeat"],
    ] as const)("row %# → its answer", (subscription, known, e, answer) => {
      const before = { sub: subscription, delivery: known ? delivery({}) : null };
      const d = decideEnqueue(before, e, NOW);
      expect(d.answer).toBe(answer);
      if (answer !== "stored") return expect(d).toEqual({ state: before, effects: [], answer });
      expect(d.state.delivery).toMatchObject({ id: "s-1.4", state: "pending", attempts: 0, leased: 0, next_attempt_at: NOW, created_at: NOW });
      expect(d.effects).toEqual([{ kind: "start due" }]);
    });
  });
});
