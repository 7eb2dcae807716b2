// Production's Workers Analytics Engine feed (docs/statistics.md): one data point per final status, when
// a METRICS binding is configured (wrangler.toml shows it, commented out). Without it, nothing is written.
// Analytics Engine samples and is not exact; the exact figures are the D1 rollups (rollups.ts).
import type { ShipmentChange } from "./change-types";
import { isFinal } from "../status/transitions";
import { factsOf } from "./stats-facts";

/**
 * Writes a data point for each change whose events make the shipment final: blobs = organisation,
 * channel, final status, provider; doubles = 201 → final ms, 201 → accepted ms (-1: never handed over),
 * 1 (a count, for SUM(_sample_interval * double3)); index = organisation.
 */
export function writeFinals(env: Env, changes: readonly ShipmentChange[]): void {
  // Read loosely: the binding is in the generated Env only when wrangler.toml configures it.
  const metrics = (env as { METRICS?: AnalyticsEngineDataset }).METRICS;
  if (!metrics) return;
  for (const change of changes) {
    if (change.kind !== "state" || !change.events.some((e) => e.applied && isFinal(e.status))) continue;
    const f = factsOf(change);
    if (!f.final) continue;
    const created = Date.parse(change.createdAt);
    metrics.writeDataPoint({
      indexes: [change.org],
      blobs: [change.org, change.channel, f.final.status, f.handover?.provider ?? f.via ?? ""],
      doubles: [f.final.atMs - created, f.handover ? f.handover.atMs - created : -1, 1],
    });
  }
}
