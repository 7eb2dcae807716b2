// Retry timing for transient provider failures: exponential backoff with full jitter, never past the deadline.

export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 30_000;

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
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  const delay = Math.max(jittered, retryAfterMs ?? 0);
  return now + delay < deadline ? Math.round(delay) : null;
}
