import type { RecipientStatus } from "../status/statuses";

/**
 * What one provider answer (send response, error or delivery report) means for a recipient.
 * - accepted: handed over; `providerRef` correlates later reports.
 * - progress: a non-final step forward (never moves a final status back).
 * - final: the recipient's final status.
 * - transient: nothing happened at the provider; retry (on this or another provider) until the deadline.
 * - unknown: the request left and its answer was lost (a timeout): the provider may have accepted it,
 *   so it must never be handed over again (not here, not elsewhere); its report or the deadline settles it.
 * - ignore: no status change (the report is still kept for audit by the caller).
 * `detail` carries the provider's own code/reason for audit logs.
 * A final outcome with `senderRefused` is the provider refusing the SMS sender (senderRefused()).
 * A final outcome with `providerOutage` failed because the provider cannot send anything just now (the
 * deployment's daily quota is used up): counted against the provider's health and shown as an outage.
 */
export type ProviderOutcome<S extends RecipientStatus = RecipientStatus> =
  | { kind: "accepted"; status: S; providerRef?: string }
  | { kind: "final"; status: S; detail?: string; senderRefused?: true; providerOutage?: ProviderOutage }
  | { kind: "transient"; retryAfterMs?: number; detail?: string }
  | { kind: "unknown"; detail?: string }
  | { kind: "progress"; status: S }
  | { kind: "ignore" };

/** Why a provider could send nothing at all: the deployment's daily sending quota is used up. */
export type ProviderOutage = "daily_quota";

/** The provider's outage an outcome tells of, if any. */
export function outageOf(outcome: ProviderOutcome): ProviderOutage | undefined {
  return outcome.kind === "final" ? outcome.providerOutage : undefined;
}

/** Own-property lookup, so provider strings such as "constructor" never hit Object.prototype. */
export function lookup<V>(table: Readonly<Record<string, V>>, key: string | number | undefined): V | undefined {
  if (key === undefined) return undefined;
  const k = String(key);
  return Object.hasOwn(table, k) ? table[k] : undefined;
}

/**
 * The provider refused the SMS sender (registration sends only senders every configured provider
 * declares it carries, so this is a provider's own policy: an unregistered name, a number it will not
 * send from). Final at once as SMS_Failed: no retry and no failover (another provider would send the
 * message under the same sender, or a different one), and no count against the provider's health
 * (the call says nothing of it). `code` is the provider's own, e.g. "twilio 21212".
 */
export function senderRefused(code: string): { kind: "final"; status: "SMS_Failed"; detail: string; senderRefused: true } {
  return { kind: "final", status: "SMS_Failed", detail: `the provider refused the sender (${code}); nothing was sent`, senderRefused: true };
}

/** Whether an outcome is the provider refusing the sender. */
export function isSenderRefusal(outcome: ProviderOutcome): boolean {
  return outcome.kind === "final" && outcome.senderRefused === true;
}
