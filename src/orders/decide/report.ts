// A delivery report: forward only, each report applied once (its dedupe key), and proof that the
// hand-over happened, so nothing is ever handed over again after one.
import type { ProviderOutcome } from "../../providers/outcome";
import { isFinal } from "../../status/transitions";
import { Draft, unchanged, type Decision, type OrderState } from "./state";

export type ReportAnswer = { kind: "applied" | "recorded" | "duplicate" | "unknown" };

export interface ReportInput {
  shipmentId: string;
  outcome: ProviderOutcome;
  /** Identifies the report itself (an event id, or message id and status). */
  dedupeKey: string;
  source: string;
  providerRef?: string | undefined;
  /** Whether this order has seen `dedupeKey` before. */
  seen: boolean;
}

export function decideReport(s: OrderState, input: ReportInput, now: number): Decision<ReportAnswer> {
  const { outcome, providerRef } = input;
  if (s.shipment_id !== input.shipmentId) return unchanged(s, { kind: "unknown" });
  if (providerRef && s.provider_ref && providerRef !== s.provider_ref) return unchanged(s, { kind: "unknown" });
  if (input.seen) return unchanged(s, { kind: "duplicate" });
  const d = new Draft(s, now);
  d.seenReport = input.dedupeKey;
  if (providerRef && !s.provider_ref) d.providerRef(providerRef);
  let applied = false;
  if (outcome.kind === "accepted" || outcome.kind === "progress" || outcome.kind === "final") {
    applied = d.propose(outcome.status, input.source, outcome.kind === "final" ? outcome.detail : undefined);
    // A report proves the hand-over happened, also when the consumer never came back to record it, or
    // took a lost answer for a failure: nothing may be handed over again.
    // A final order's hand-over stays as it was (a final order never changes).
    if (!isFinal(s.status) && (s.handover === "waiting" || s.handover === "claimed" || s.handover === "in_doubt")) d.handedOver("accepted");
  } else {
    d.note(input.source, outcome.kind === "transient" ? (outcome.detail ?? "transient") : "no status change");
  }
  return d.done({ kind: applied ? "applied" : "recorded" });
}
