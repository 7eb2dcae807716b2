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
 */
export type ProviderOutcome<S extends RecipientStatus = RecipientStatus> =
  | { kind: "accepted"; status: S; providerRef?: string }
  | { kind: "final"; status: S; detail?: string }
  | { kind: "transient"; retryAfterMs?: number; detail?: string }
  | { kind: "unknown"; detail?: string }
  | { kind: "progress"; status: S }
  | { kind: "ignore" };

/** Own-property lookup, so provider strings such as "constructor" never hit Object.prototype. */
export function lookup<V>(table: Readonly<Record<string, V>>, key: string | number | undefined): V | undefined {
  if (key === undefined) return undefined;
  const k = String(key);
  return Object.hasOwn(table, k) ? table[k] : undefined;
}
