// A verification's end, as its messages' orders take it (src/verifications/): once no code can be
// approved, a message still waiting for its hand-over is not sent, and the code leaves every order.
import type { RecipientStatus } from "../../status/statuses";
import { isFinal } from "../../status/transitions";
import { VERIFICATION_ENDED_DETAIL } from "../../status/verification";
import { Draft, failedStatus, unchanged, type Decision, type OrderState } from "./state";

/**
 * What the verification learns of one message: what its end did to it (`not_sent`: it was waiting;
 * `erased`: a call was in flight, its content is erased; `settled`: handed over or final already), its
 * status, and the provider that took it (if one did).
 */
export interface MessageOutcome {
  kind: "not_sent" | "erased" | "settled";
  status: RecipientStatus;
  /** A provider accepted it (it may still fail later). */
  handedOver: boolean;
  provider: string | null;
}

function messageOutcome(kind: MessageOutcome["kind"], s: OrderState): MessageOutcome {
  return { kind, status: s.status, handedOver: s.handover === "accepted", provider: s.claim_provider };
}

/**
 * Waiting: failed at once with VERIFICATION_ENDED_DETAIL, nothing sent. A call in flight (claimed, or in
 * doubt) cannot be taken back: its content is erased and no further attempt is made (decideClaim).
 * Handed over or final: the content is gone already; only the mark is kept.
 */
export function decideVerificationEnded(s: OrderState, input: { shipmentId: string }, now: number): Decision<MessageOutcome | null> {
  if (s.shipment_id !== input.shipmentId) return unchanged(s, null);
  if (s.verification_ended === 1) return unchanged(s, messageOutcome("settled", s));
  // The mark is this order's own (D1 does not keep it), so it changes no version.
  const d = new Draft(s, now).set({ verification_ended: 1 });
  if (!isFinal(s.status) && s.handover === "waiting") {
    failNotSent(d);
    return d.done(messageOutcome("not_sent", d.state));
  }
  if (!isFinal(s.status) && (s.handover === "claimed" || s.handover === "in_doubt")) {
    d.eraseContent = true;
    d.note("verification", "its verification ended: the code is erased and no further attempt is made");
    return d.done(messageOutcome("erased", d.state));
  }
  return d.done(messageOutcome("settled", d.state));
}

/** The message is not sent: its verification ended first. */
export function failNotSent(d: Draft): void {
  d.handedOver("done").set({ status_detail: VERIFICATION_ENDED_DETAIL });
  d.propose(failedStatus(d.state.channel), "verification", VERIFICATION_ENDED_DETAIL);
}
