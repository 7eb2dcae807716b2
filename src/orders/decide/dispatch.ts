// The hand-over decisions: claim it, give it back, refuse it, and record what the provider answered.
// At most one hand-over: only a waiting shipment inside its deadline can be claimed.
import { retryDelay } from "../../retry/backoff";
import type { ProviderOutcome } from "../../providers/outcome";
import { isFinal } from "../../status/transitions";
import type { Timings } from "../lifecycle";
import { Draft, failedStatus, ttlStatus, unchanged, type Decision, type Handover, type OrderState } from "./state";
import { failNotSent } from "./verification";

/** The provider a dispatcher means to call. `idempotent`: it honours our idempotency key (the shipment id). */
export interface ProviderChoice {
  name: string;
  idempotent: boolean;
}

/**
 * Why a claim hands nothing over, each a named code; the guards of `decideClaim` in their order of
 * precedence. A hand-over state other than `waiting` is its own reason.
 */
export type SkipReason =
  | "unknown_shipment" // the message names another shipment (or none is stored)
  | "final" // the recipient status is final
  | Exclude<Handover, "waiting"> // handed over already, or in doubt
  | "deadline_passed" // made final (TTL) by this decision
  | "retry_not_due" // a transient failure's retry waits for `dispatch_at`
  | "pinned" // an earlier hand-over is in doubt at another provider (`pinnedTo`)
  | "content_unreadable" // the sealed body could not be opened: failed, nothing sent
  | "verification_ended"; // its verification ended while this waited for a retry: failed, nothing sent

export type ClaimAnswer =
  /**
   * `deadline` (epoch ms): each provider call's validity period counts down to it; `org`: the order's
   * organisation, for the slow-delivery rule (both absent from older versions).
   */
  | { kind: "send"; claimId: string; timeoutMs: number; deadline?: number; org?: string }
  /**
   * Nothing to do for this message: handed over already, final, or not this order's shipment; or
   * `pinnedTo`: an earlier hand-over to that provider is in doubt, and only it may be asked again.
   */
  | { kind: "skip"; reason: SkipReason; pinnedTo?: string };

export interface ClaimInput {
  shipmentId: string;
  via?: ProviderChoice | undefined;
  /** Whether the sealed body could be opened: an unreadable one fails at once and never counts as "maybe sent". */
  content: "opened" | "unreadable";
  /** The id the new claim gets (drawn by the caller, so this stays pure). */
  claimId: string;
}

export function decideClaim(s: OrderState, input: ClaimInput, now: number, t: Pick<Timings, "providerTimeoutMs" | "leaseMarginMs">): Decision<ClaimAnswer> {
  const skip = (reason: SkipReason, pinnedTo?: string): ClaimAnswer => ({ kind: "skip", reason, ...(pinnedTo ? { pinnedTo } : {}) });
  if (s.shipment_id !== input.shipmentId) return unchanged(s, skip("unknown_shipment"));
  if (isFinal(s.status)) return unchanged(s, skip("final"));
  if (s.handover !== "waiting") return unchanged(s, skip(s.handover));
  const d = new Draft(s, now);
  if (now >= s.deadline) {
    finalizeTtl(d, "deadline passed before hand-over");
    return d.done(skip("deadline_passed"));
  }
  if (now < s.dispatch_at) return unchanged(s, skip("retry_not_due"));
  if (s.pinned_provider && input.via?.name !== s.pinned_provider) return unchanged(s, skip("pinned", s.pinned_provider));
  if (s.verification_ended === 1) {
    failNotSent(d);
    return d.done(skip("verification_ended"));
  }
  if (input.content === "unreadable") {
    d.handedOver("done");
    d.propose(failedStatus(s.channel), "dispatch", "the message content could not be opened (its key is neither CONTENT_KEY nor in CONTENT_KEYS_PREVIOUS); nothing was sent");
    return d.done(skip("content_unreadable"));
  }
  const timeoutMs = Math.min(t.providerTimeoutMs, s.deadline - now);
  d.set({
    handover: "claimed",
    claim_id: input.claimId,
    claim_until: now + timeoutMs + t.leaseMarginMs,
    attempts: s.attempts + 1,
    claim_provider: input.via?.name ?? null,
    claim_idempotent: input.via?.idempotent ? 1 : 0,
  });
  d.propose(s.channel === "sms" ? "SMS_Sending" : "Email_Sending", "dispatch", `attempt ${s.attempts + 1}${input.via ? ` via ${input.via.name}` : ""}`);
  return d.done({ kind: "send", claimId: input.claimId, timeoutMs, deadline: s.deadline, org: s.org });
}

/**
 * The hand-over cannot be attempted at all (no usable provider is configured): the shipment fails at
 * once with the reason, while nothing has been handed over. A claimed or in-doubt hand-over is not touched.
 */
export type RefuseResult = "refused" | "unknown_shipment" | "final" | "not_waiting";

export function decideRefuse(s: OrderState, input: { shipmentId: string; reason: string }, now: number): Decision<RefuseResult> {
  if (s.shipment_id !== input.shipmentId) return unchanged(s, "unknown_shipment");
  if (isFinal(s.status)) return unchanged(s, "final");
  if (s.handover !== "waiting") return unchanged(s, "not_waiting");
  const d = new Draft(s, now).handedOver("done");
  d.propose(failedStatus(s.channel), "dispatch", input.reason);
  return d.done("refused");
}

/** The consumer failed before it called the provider: the claim goes back, and the alarm re-dispatches. */
export type ReleaseResult = "released" | "unknown_shipment" | "not_this_claim" | "not_claimed" | "final";

export function decideRelease(s: OrderState, input: { shipmentId: string; claimId: string }, now: number): Decision<ReleaseResult> {
  if (s.shipment_id !== input.shipmentId) return unchanged(s, "unknown_shipment");
  if (s.claim_id !== input.claimId) return unchanged(s, "not_this_claim");
  if (s.handover !== "claimed") return unchanged(s, "not_claimed");
  if (isFinal(s.status)) return unchanged(s, "final");
  return new Draft(s, now).set({ handover: "waiting", enqueued: 0, dispatch_at: now }).done("released");
}

export interface RecordInput {
  shipmentId: string;
  claimId: string;
  outcome: ProviderOutcome;
  provider?: string | undefined;
  /** In [0, 1): the jitter of a transient failure's backoff (drawn by the caller, so this stays pure). */
  random: number;
}

/** `settled_already`: a report (or the deadline) overtook the answer; only the provider's id is kept. */
export type RecordResult = "recorded" | "unknown_shipment" | "not_this_claim" | "settled_already";

/** Records what the provider answered to the claimed hand-over; `provider` names it in the status history. */
export function decideRecord(s: OrderState, input: RecordInput, now: number): Decision<RecordResult> {
  const { outcome } = input;
  if (s.shipment_id !== input.shipmentId) return unchanged(s, "unknown_shipment");
  if (s.claim_id !== input.claimId) return unchanged(s, "not_this_claim");
  const d = new Draft(s, now);
  if ((s.handover !== "claimed" && s.handover !== "in_doubt") || isFinal(s.status)) {
    // A report (or the deadline) overtook this answer and already settled the hand-over; keep the provider's id.
    if (outcome.kind === "accepted" && outcome.providerRef && !s.provider_ref) d.providerRef(outcome.providerRef);
    return d.done("settled_already");
  }
  const source = input.provider ? `provider ${input.provider}` : "provider";
  switch (outcome.kind) {
    case "accepted":
      d.handedOver("accepted");
      if (outcome.providerRef) d.providerRef(outcome.providerRef);
      d.propose(outcome.status, source, outcome.providerRef ? `accepted as ${outcome.providerRef}` : "accepted");
      break;
    case "final":
      d.handedOver("done");
      // A refused sender fails the SMS whatever status a provider map gave it (senderRefused()).
      d.propose(outcome.senderRefused ? failedStatus(s.channel) : outcome.status, source, outcome.detail ?? "rejected at hand-over");
      break;
    case "transient": {
      const delay = retryDelay(s.attempts, now, s.deadline, outcome.retryAfterMs, () => input.random);
      // No retry can start before the deadline: wait there, and the alarm makes it final.
      d.set({ handover: "waiting", enqueued: 0, dispatch_at: delay === null ? s.deadline : now + delay });
      d.note(source, `transient: ${outcome.detail ?? "retrying"}`);
      break;
    }
    case "unknown":
      // The answer was lost after the request left (maybe sent): settled as an expired claim is.
      settleExpiredClaim(d, source, `answer lost (${outcome.detail ?? "timeout"})`);
      break;
    case "progress":
    case "ignore":
      break;
  }
  return d.done("recorded");
}

/**
 * The hand-over's answer never came (the consumer vanished mid-call), so the provider may or may not
 * have the message. A provider that honours our idempotency key is asked again with the same key,
 * which cannot send twice; with any other the hand-over stays in doubt and is never repeated (at most
 * once): a report or the deadline settles it.
 */
export function settleExpiredClaim(d: Draft, source: string, what: string): void {
  const s = d.state;
  if (s.claim_idempotent && s.claim_provider) {
    d.set({ handover: "waiting", enqueued: 0, dispatch_at: d.now, pinned_provider: s.claim_provider });
    d.note(source, `${what}; asking ${s.claim_provider} again with the same idempotency key`);
  } else {
    d.set({ handover: "in_doubt" });
    d.note(source, `${what}; waiting for a report`);
  }
}

/** The deadline has passed: SMS_Failed_TTL / Email_Failed_TTL; a shipment never handed over never will be. */
export function finalizeTtl(d: Draft, detail: string): void {
  if (d.state.handover === "waiting") d.set({ handover: "done" });
  d.propose(ttlStatus(d.state.channel), "alarm", detail);
}
