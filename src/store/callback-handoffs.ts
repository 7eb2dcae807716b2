// The callback outbox's decisions (callback-outbox.ts), pure: which organisations get their events
// handed over now, and how long the outbox leaves one alone after its callback object failed to take
// them. Each organisation goes on its own, so one whose callback object is slow or failing holds up
// only itself: while its hand-off is in flight or it backs off, the others' events still leave at once.
import { backoff, type Backoff } from "../retry/backoff";

/** After a failed hand-off the organisation waits 1 s, then 2 s, 4 s, … at most 30 s, before it is asked again. */
export const HANDOFF_RETRY: Backoff = { baseMs: 1_000, capMs: 30_000 };

/** An organisation whose last hand-offs failed: how many in a row, and when it may be asked again. */
export interface OrgBackoff {
  failures: number;
  until: number;
}

/**
 * The organisations whose waiting events are handed over now: each one not already in a hand-off
 * (events that arrive meanwhile go with its next one) and not backing off.
 */
export function orgsToHandOver(waiting: Iterable<string>, inFlight: ReadonlySet<string>, backoffs: ReadonlyMap<string, OrgBackoff>, now: number): string[] {
  return [...waiting].filter((org) => !inFlight.has(org) && (backoffs.get(org)?.until ?? now) <= now);
}

/** An organisation's backoff after a hand-off ended at `now`: none after a success, one step longer after each failure in a row. */
export function backoffAfter(previous: OrgBackoff | undefined, succeeded: boolean, now: number): OrgBackoff | undefined {
  if (succeeded) return undefined;
  const failures = (previous?.failures ?? 0) + 1;
  return { failures, until: now + backoff(HANDOFF_RETRY, failures - 1) };
}
