// The life of one delivery as pure decisions, as the order's (src/orders/decide/): each takes the stored
// subscription and delivery and returns the next state (the same objects when nothing changes), the
// effects to run once it is stored, and a named answer. The attempt number is the fence: a lease makes
// attempt n+1, and only a result for attempt n+1 of a delivery still in flight settles anything.
// The guards' order is their precedence. The object (webhook-object.ts) loads, decides, saves, then sends.
import { callbackBody, subjectOf, type CallbackEvent } from "./events";
import { afterAttempt, leaseUntil, type AttemptResult, type DeliveryState } from "./schedule";
import { isoTime } from "../status/manifest";
import { wants, type SubscriptionRow } from "./subscription";

/** One delivery as stored (delivery-store.ts). */
export interface DeliveryRow {
  seq?: number;
  /** The event id, sent as webhook-id on every attempt. */
  id: string;
  /** The event's subject: its shipment, or for a verification's end (isVerificationEventId) the verification. */
  shipment_id: string;
  /** The recipient status reported, or how the verification ended. */
  status: string;
  /** The signed body; erased once delivered. */
  body: string | null;
  state: DeliveryState;
  /** Attempts made, the one in flight included: the only count of attempts. */
  attempts: number;
  /** `attempts` when the current series began (0; a manual retry starts a new series). */
  series_start: number;
  /** 1 while an attempt is in flight: next_attempt_at is then the end of its lease. */
  leased: number;
  created_at: number;
  last_attempt_at: number | null;
  last_response_status: number | null;
  next_attempt_at: number | null;
}

/** What a decision reads: the subscription (null: none) and the delivery it is about (null: none). */
export interface CallbackState {
  sub: SubscriptionRow | null;
  delivery: DeliveryRow | null;
}

export type Effect =
  /** Post attempt number `attempt` of this delivery (leased) to the subscription as it was when leased. */
  | { kind: "attempt"; sub: SubscriptionRow; delivery: DeliveryRow; attempt: number }
  /** Lease and send whatever is due now. */
  | { kind: "start due" };
export type Attempt = Extract<Effect, { kind: "attempt" }>;
export const isAttempt = (e: Effect): e is Attempt => e.kind === "attempt";

export interface Decision<A> {
  state: CallbackState;
  effects: Effect[];
  answer: A;
}

export type EnqueueAnswer = "stored" | "no subscription" | "disabled" | "not wanted" | "repeat";
export type LeaseAnswer = "leased" | "no subscription" | "disabled" | "not pending" | "in flight" | "not due";
export type SettleAnswer = "delivered" | "retry" | "failed" | "gone" | "stale attempt";
export type LeaseOverAnswer = SettleAnswer | "lease running" | "not in flight";
export type RetryResult = "accepted" | "no_subscription" | "unknown" | "not_failed" | "disabled";

/** What an attempt that the lease outlived counts as. */
export const INTERRUPTED: AttemptResult = { kind: "failed", reason: "the attempt was interrupted" };

const same = <A>(state: CallbackState, answer: A): Decision<A> => ({ state, effects: [], answer });

/** A status event becomes a pending delivery, due at once, if the subscription wants it and has not seen it. */
export function decideEnqueue(s: CallbackState, event: CallbackEvent, now: number): Decision<EnqueueAnswer> {
  if (!s.sub) return same(s, "no subscription");
  if (s.sub.disabled_reason !== null) return same(s, "disabled");
  if (!wants(s.sub, event)) return same(s, "not wanted");
  if (s.delivery) return same(s, "repeat");
  const subject = subjectOf(event);
  const delivery: DeliveryRow = {
    id: event.eventId,
    shipment_id: subject.id,
    status: subject.status,
    body: callbackBody(event),
    state: "pending",
    attempts: 0,
    series_start: 0,
    leased: 0,
    created_at: now,
    last_attempt_at: null,
    last_response_status: null,
    next_attempt_at: now,
  };
  return { state: { ...s, delivery }, effects: [{ kind: "start due" }], answer: "stored" };
}

/** A due delivery's next attempt starts: nobody else sends it until its lease ends. */
export function decideLease(s: CallbackState, now: number, timeoutMs: number): Decision<LeaseAnswer> {
  const d = s.delivery;
  if (!s.sub) return same(s, "no subscription");
  if (s.sub.disabled_reason !== null) return same(s, "disabled");
  if (!d || d.state !== "pending") return same(s, "not pending");
  if (d.leased === 1) return same(s, "in flight");
  if (d.next_attempt_at === null || d.next_attempt_at > now) return same(s, "not due");
  const attempt = d.attempts + 1;
  const leased = { ...d, leased: 1, attempts: attempt, last_attempt_at: now, next_attempt_at: leaseUntil(now, timeoutMs) };
  return { state: { ...s, delivery: leased }, effects: [{ kind: "attempt", sub: s.sub, delivery: leased, attempt }], answer: "leased" };
}

/** Attempt number `attempt` ended with `result` at `now`. A 410 disables the subscription. */
export function decideSettle(s: CallbackState, input: { attempt: number; result: AttemptResult }, now: number): Decision<SettleAnswer> {
  const d = s.delivery;
  if (!d || d.state !== "pending" || d.leased !== 1 || d.attempts !== input.attempt) return same(s, "stale attempt");
  const next = afterAttempt({ attempts: d.attempts, seriesStart: d.series_start }, input.result, now);
  const delivery: DeliveryRow = {
    ...d,
    state: next.state,
    leased: 0,
    next_attempt_at: next.nextAttemptAt,
    last_response_status: input.result.httpStatus ?? null,
    body: next.state === "delivered" ? null : d.body,
  };
  const sub = next.disable && s.sub ? { ...s.sub, disabled_reason: `The receiver answered 410 Gone at ${isoTime(now)}.` } : s.sub;
  const answer = next.disable ? "gone" : next.state === "pending" ? "retry" : next.state;
  return { state: { sub, delivery }, effects: [], answer };
}

/** An attempt whose lease has run out: its sender died mid-attempt; it counts as a failed attempt. */
export function decideLeaseOver(s: CallbackState, now: number): Decision<LeaseOverAnswer> {
  const d = s.delivery;
  if (!d || d.state !== "pending" || d.leased !== 1) return same(s, "not in flight");
  if (d.next_attempt_at !== null && d.next_attempt_at > now) return same(s, "lease running");
  return decideSettle(s, { attempt: d.attempts, result: INTERRUPTED }, now);
}

/** The manual retry: a failed delivery goes again now, same id, with a new run of the retry schedule. */
export function decideRetry(s: CallbackState, now: number): Decision<RetryResult> {
  const d = s.delivery;
  if (!s.sub) return same(s, "no_subscription");
  if (!d) return same(s, "unknown");
  if (d.state !== "failed") return same(s, "not_failed");
  if (s.sub.disabled_reason !== null) return same(s, "disabled");
  const delivery: DeliveryRow = { ...d, state: "pending", series_start: d.attempts, leased: 0, next_attempt_at: now };
  return { state: { ...s, delivery }, effects: [{ kind: "start due" }], answer: "accepted" };
}
