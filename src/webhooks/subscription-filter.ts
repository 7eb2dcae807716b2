// The subscription filter: which of an organisation's status changes must reach its callback object, and
// how soon ("does this organisation want every status?"). Five parties take part; the rules are here:
// - note: a subscription route tells the organisation's shard writer the filter about to be stored (before
//   the PUT, and again after it), or that it is about to be deleted, so what the writer knows can only err
//   towards forwarding (src/api/routes/status-callbacks.ts → src/store/shard-writer.ts);
// - the callback object answers each hand-off whether it has a subscription (`handOffAnswer`), and the
//   writer learns "none" from that where it knows nothing (src/store/callback-outbox.ts);
// - ask: the writer forwards no event of an organisation known to have none (`forwards`), and answers each
//   order's hand-off with what it knows; the order keeps that answer for CALLBACKS_KNOWN_MS and gathers its
//   non-final changes only while it says "final" or "none" (`mayWantEveryStatus`, src/orders/write-behind.ts);
// - settle: a PUT that newly asks for every status answers only once every such answer has run out
//   (`subscriptionSettleMs`).
// It lives in webhooks/, the lowest layer of the five (docs/architecture.md).
import { setting } from "../config/settings";

/** What the shard writer knows of an organisation's subscription: its events filter, or "none" (no subscription). */
export type SubscriptionFilter = "final" | "all" | "none";
/** What a subscription route notes: the filter about to be stored, or null when the subscription is about to be deleted. */
export type FilterNote = "final" | "all" | null;
/** The shard writer's answer to an order's hand-off: what it knows of the organisation (null: nothing). */
export interface WriterAnswer {
  callbacks: SubscriptionFilter | null;
}
/** The callback object's answer to a hand-off of events: how many were new, and whether it has a subscription. */
export interface HandOffAnswer {
  accepted: number;
  subscribed: boolean;
}

/** What a shard writer answered about an organisation's subscription counts this long; past it, unknown. */
export const CALLBACKS_KNOWN_MS = 5_000;

/** The callback object's answer: a disabled subscription is still one (its events are kept for when it is enabled again). */
export function handOffAnswer(subscription: object | null, accepted: number): HandOffAnswer {
  return { accepted, subscribed: subscription !== null };
}

/** What the writer learns from the callback object's answer: "none", or nothing (an older object answers no `subscribed`). */
export function learntFromHandOff(answer: Partial<HandOffAnswer>): "none" | null {
  return answer.subscribed === false ? "none" : null;
}

/** Whether the writer forwards an organisation's status events: all but those of one known to have no subscription. */
export function forwards(known: SubscriptionFilter | null): boolean {
  return known !== "none";
}

/**
 * Per isolate: what the shard writer last answered about each organisation's subscription, and when.
 * Unknown (or stale) counts as wanting every status, so a non-final change goes at once.
 */
const answers = new Map<string, { filter: SubscriptionFilter | null; at: number }>();

/** Whether a change of this organisation may have to reach a callback at once: a subscription to every status, or not known. */
export function mayWantEveryStatus(org: string, now: number): boolean {
  const known = answers.get(org);
  return !known || now - known.at > CALLBACKS_KNOWN_MS || known.filter === null || known.filter === "all";
}

/** What a shard writer answered (an older writer answers nothing: unknown). */
export function learnCallbacks(org: string, answer: Partial<WriterAnswer> | void, now: number): void {
  answers.set(org, { filter: answer?.callbacks ?? null, at: now });
}

/**
 * How long a PUT that newly asks for every status (`events: "all"`) waits before it answers, so that no
 * isolate still holds an older answer ("none" or "final") when the subscription is said to exist: from the
 * 200 on, every status change leaves within a second. SUBSCRIPTION_SETTLE_MS overrides it (tests: 0).
 */
export function subscriptionSettleMs(env: Pick<Env, "SUBSCRIPTION_SETTLE_MS">, previous: SubscriptionFilter | null, requested: "final" | "all"): number {
  if (requested !== "all" || previous === "all") return 0;
  return setting(env.SUBSCRIPTION_SETTLE_MS, CALLBACKS_KNOWN_MS + 1_000, 0);
}
