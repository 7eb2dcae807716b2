// The hand-over's states and what moves them: one table, which the decisions (dispatch.ts, report.ts,
// alarm.ts, verification.ts) implement. test/unit/orders/decide.table.test.ts runs every input on every state against it and
// checks the table in docs/order-lifecycle.md against it. While the recipient status is final, nothing
// moves the hand-over.
import type { Handover } from "../lifecycle";

export const HANDOVER_STATES: readonly Handover[] = ["waiting", "claimed", "in_doubt", "accepted", "done"];

/** The inputs, each as the decision gets it (a `record …` is the provider's answer to the current claim). */
export const HANDOVER_INPUTS = [
  "claim",
  "claim, content unreadable",
  "claim, verification ended",
  "record accepted",
  "record final",
  "record transient",
  "record unknown",
  "record progress",
  "record ignore",
  "report delivered",
  "report transient",
  "release",
  "refuse",
  "alarm, nothing due",
  "alarm, lease over",
  "alarm, past the report deadline",
  "verification ended",
] as const;
export type HandoverInput = (typeof HANDOVER_INPUTS)[number];

/**
 * Each state: what it means, and where an input takes it while the recipient status is not final (an
 * input not listed leaves it as it is). A claim whose answer is lost, or whose lease ran out, at a
 * provider that honours our idempotency key goes back to `waiting`, pinned to it, instead of `in_doubt`.
 */
export const HANDOVER: Readonly<Record<Handover, { meaning: string; leaves: Partial<Record<HandoverInput, Handover>> }>> = {
  waiting: {
    meaning: "Not handed over; may be claimed once `dispatch_at` is due.",
    leaves: {
      claim: "claimed",
      "claim, content unreadable": "done",
      "claim, verification ended": "done",
      "report delivered": "accepted",
      refuse: "done",
      "alarm, past the report deadline": "done",
      "verification ended": "done",
    },
  },
  claimed: {
    meaning: "One dispatcher holds the lease (`claim_until`) and is calling a provider.",
    leaves: {
      "record accepted": "accepted",
      "record final": "done",
      "record transient": "waiting",
      "record unknown": "in_doubt",
      "report delivered": "accepted",
      release: "waiting",
      "alarm, lease over": "in_doubt",
      "alarm, past the report deadline": "in_doubt",
    },
  },
  in_doubt: {
    meaning: "The provider may have the message; it is never handed over again (elsewhere).",
    leaves: { "record accepted": "accepted", "record final": "done", "record transient": "waiting", "report delivered": "accepted" },
  },
  accepted: { meaning: "A provider took it; its report (or the report deadline: TTL) makes the status final.", leaves: {} },
  done: { meaning: "Settled without a provider taking it (rejected, refused, never handed over before the deadline).", leaves: {} },
};

/** Where `input` takes `from` while the recipient status is not final. */
export function handoverAfter(from: Handover, input: HandoverInput): Handover {
  return HANDOVER[from].leaves[input] ?? from;
}
