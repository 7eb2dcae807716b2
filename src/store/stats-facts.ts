// What one change tells the statistics about its shipment, as plain data: whether it registers it, which
// provider it was last offered to, whether (and when, and by whom) a provider accepted it, and its final
// status. Derived from the change's events when the order does not say it outright; each fact is
// counted once per shipment by the statements in rollups.ts, however often it arrives.
import type { RecipientStatus } from "../status/statuses";
import { isFinal } from "../status/transitions";
import type { ShipmentState, StatusEventRow } from "./change-types";

export interface ShipmentFacts {
  registered: boolean;
  /** The provider of the latest dispatch claim in this change ("attempt N via X"). */
  via: string | null;
  handover: { atMs: number; provider: string | null } | null;
  final: { status: RecipientStatus; atMs: number } | null;
}

/** A provider took the message (it may still fail later). */
const ACCEPTED: ReadonlySet<RecipientStatus> = new Set(["SMS_Accepted", "Email_Succeeded"]);

/** Final statuses that are the recipient's doing, not the service's: they leave the within-10 s share's denominator when nothing was handed over. */
export const RECIPIENT_FAILURES: ReadonlySet<RecipientStatus> = new Set([
  "SMS_Failed_InvalidRecipient",
  "SMS_Failed_BarredReceiver",
  "Email_Failed_InvalidFormat",
  "Email_Failed_SuppressedRecipient",
]);

/** Event sources the order writes itself; any other source is a provider's delivery report. */
const OWN_SOURCES = new Set(["registration", "dispatch", "alarm"]);

/** "provider twilio" (the answer to a hand-over, see OrderObject.record) → "twilio"; "provider" → null. */
function answeringProvider(source: string): string | null | undefined {
  if (source === "provider") return null;
  return source.startsWith("provider ") ? source.slice("provider ".length) : undefined;
}

/** Whether an event proves a provider accepted the message: its answer to the hand-over, or any report of it. */
function provesHandOver(e: StatusEventRow): boolean {
  if (!e.applied) return false;
  if (ACCEPTED.has(e.status)) return true;
  const answered = answeringProvider(e.source);
  if (answered !== undefined) return e.detail?.startsWith("accepted") ?? false;
  return isFinal(e.status) && !OWN_SOURCES.has(e.source);
}

export function factsOf(change: ShipmentState): ShipmentFacts {
  let via: string | null = null;
  let handover: ShipmentFacts["handover"] = null;
  for (const e of change.events) {
    const claimed = e.source === "dispatch" ? / via (\S+)$/.exec(e.detail ?? "")?.[1] : undefined;
    if (claimed) via = claimed;
    if (!handover && provesHandOver(e)) handover = { atMs: Date.parse(e.at), provider: answeringProvider(e.source) ?? via };
  }
  if (change.handedOverAt) handover = { atMs: Date.parse(change.handedOverAt), provider: change.handedOverBy ?? handover?.provider ?? via };
  return {
    registered: change.events.some((e) => e.source === "registration" && e.applied),
    via,
    handover,
    final: change.completed && isFinal(change.recipientStatus) ? { status: change.recipientStatus, atMs: Date.parse(change.lastUpdate) } : null,
  };
}
