// The caller's SMS sender (docs/api.md, `smsSettings.sender`): any string of at most 1,000 characters
// is accepted, as Altinn accepts it; it is sent as given only when every configured SMS provider
// carries it (their rules: src/providers/sms-senders.ts), else the configured default is sent instead
// and the order says why. The request's fingerprint keeps the sender as given.
import { senderNotCarriedBy } from "../providers/sms-senders";

export const MAX_SMS_SENDER_LENGTH = 1000;

/** An SMS sender that means "the configured default" (as Altinn reads an empty or blank one). */
export const isDefaultSmsSender = (v: string) => v.trim() === "";

/** The default sent instead of the caller's sender, and why. */
export interface SenderReplacement {
  by: string;
  reason: string;
}

/** What replaces `given` (the providers in failover order), or null when it is sent as given. */
export function senderReplacement(given: string, defaultSender: string, providers: readonly string[]): SenderReplacement | null {
  if (given === defaultSender) return null;
  const reason = senderNotCarriedBy(given, providers);
  return reason === null ? null : { by: defaultSender, reason };
}

/** The status history's words for a replaced sender (it names at most one character of the sender). */
export function senderReplacedNote(replaced: SenderReplacement): string {
  return `sender replaced by the default (${replaced.by}): ${replaced.reason}`;
}
