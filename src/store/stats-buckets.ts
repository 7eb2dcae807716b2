// Latencies as counts in fixed buckets, so a day's percentiles come from a few rollup rows instead of
// every shipment. Below 100 ms every millisecond is its own bucket; above, each bucket is 15 % wider
// than the one before, and its value is its geometric centre: at most 7.3 % from any latency in it
// (plus half a millisecond of rounding), so a percentile read from the buckets is within 10 % or 1 ms
// of the true one, whichever is larger.

const EXACT_BELOW_MS = 100;
const RATIO = 1.15;
const LOG_RATIO = Math.log(RATIO);

/** The bucket a latency (ms) falls in. Negative latencies (clock skew) count as 0. */
export function bucketOf(ms: number): number {
  const v = Math.max(0, Math.floor(ms));
  if (v < EXACT_BELOW_MS) return v;
  return EXACT_BELOW_MS + Math.floor(Math.log(v / EXACT_BELOW_MS) / LOG_RATIO + 1e-9);
}

/** The latency a bucket stands for. */
export function valueOf(bucket: number): number {
  if (bucket < EXACT_BELOW_MS) return bucket;
  const lower = EXACT_BELOW_MS * RATIO ** (bucket - EXACT_BELOW_MS);
  return Math.round(lower * Math.sqrt(RATIO));
}

/**
 * The p-th percentile (0 < p ≤ 1, nearest rank) of the latencies counted in `buckets` (bucket → count),
 * or null when there are none.
 */
export function percentile(buckets: ReadonlyMap<number, number>, p: number): number | null {
  const total = [...buckets.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(bucket)!;
    if (seen >= rank) return valueOf(bucket);
  }
  return null; // not reached
}
