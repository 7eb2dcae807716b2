// The one backoff of every retry schedule in the service: a wait that doubles per retry up to a cap.
// Each schedule keeps its own numbers where it is used; only the arithmetic is shared. Read one way
// everywhere: `baseMs` is the first wait, and a caller that counts failures or attempts from 1 passes n - 1.

/** A doubling schedule: `baseMs` before the first retry, twice as long before each next one, never more than `capMs`. */
export interface Backoff {
  baseMs: number;
  capMs: number;
}

/** Past this many doublings every schedule here is at its cap; it keeps the power finite. */
const MAX_DOUBLINGS = 16;

/** The wait before retry number `retry` (0 is the first): baseMs × 2^retry, at most capMs. */
export function backoff({ baseMs, capMs }: Backoff, retry: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, retry), MAX_DOUBLINGS));
}

// Retry timing for transient provider failures: the backoff with jitter, never past the deadline.
export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 30_000;
export const DISPATCH_RETRY: Backoff = { baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS };

/**
 * Delay before attempt `attempt + 1`, or null when that attempt could not start before the deadline.
 * A provider's Retry-After is honoured as a lower bound. `random` is injectable for tests.
 */
export function retryDelay(
  attempt: number,
  now: number,
  deadline: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | null {
  const ceiling = backoff(DISPATCH_RETRY, attempt - 1);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  const delay = Math.max(jittered, retryAfterMs ?? 0);
  return now + delay < deadline ? Math.round(delay) : null;
}
