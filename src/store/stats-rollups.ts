// The statistics as daily rollups in each D1 shard (migrations/0002_statistics.sql), written by the shard
// writer in the same transaction as the shipment rows they count. Each shipment has a tracker row
// (stat_shipments) that says what has been counted for it already: registration, hand-over, final
// status. Every increment is guarded by it, so a change that arrives twice, or out of order, counts
// once; a shipment registered before statistics existed has no tracker and is never counted.
import { log } from "../log";
import type { Channel } from "../status/statuses";
import { utcDay } from "../status/manifest";
import type { RefusalTally, ShipmentState, VerificationChange } from "./change-types";
import { bucketOf } from "./stats-buckets";
import { factsOf, RECIPIENT_FAILURES } from "./stats-facts";

/** Rollups outlive the shipments they count (kept 90 days): 13 months. */
export const ROLLUP_RETENTION_DAYS = 396;
/** Handed over this soon after the 201 counts as handed over within 10 s. */
export const WITHIN_MS = 10_000;

/** The names of the counters (`metric`) in stat_days; `{p}` is filled in with the provider's name. */
export const METRIC = {
  registered: "registered",
  handedOver: "handedOver",
  handedOverWithin10s: "handedOverWithin10s",
  delivered: "delivered",
  failedForRecipientBeforeHandOver: "failedForRecipientBeforeHandOver",
  failed: (status: string) => `failed:${status}`,
  providerHandedOver: "provider:{p}:handedOver",
  providerDelivered: "provider:{p}:delivered",
  refused: (code: string) => `refused:${code}`,
  verifications: (event: VerificationChange["event"]) => `verifications:${VERIFICATION_COUNTERS[event]}`,
  providerApproved: (provider: string) => `provider:${provider}:approved`,
  handOverMs: (ms: number) => `handOverMs:${bucketOf(ms)}`,
  finalMs: (ms: number) => `finalMs:${bucketOf(ms)}`,
} as const;

/** A verification's events and the names of their counters (`verifications: { started, approved, expired, maxAttempts }`). */
export const VERIFICATION_COUNTERS = { started: "started", approved: "approved", expired: "expired", max_attempts: "maxAttempts" } as const;

const ADD = "ON CONFLICT (org, day, channel, metric) DO UPDATE SET n = n + excluded.n";

/** The statements that count what a shipment change tells, to run right after its shipment rows. */
export function rollupStatements(db: D1Database, s: ShipmentState): D1PreparedStatement[] {
  const f = factsOf(s);
  const createdMs = Date.parse(s.createdAt);
  const statements: D1PreparedStatement[] = [];
  if (f.registered) {
    statements.push(
      db
        .prepare(`INSERT INTO stat_days (org, day, channel, metric, n) SELECT ?2, ?3, ?4, '${METRIC.registered}', 1 WHERE NOT EXISTS (SELECT 1 FROM stat_shipments WHERE shipment_id = ?1) ${ADD}`)
        .bind(s.shipmentId, s.org, utcDay(createdMs), s.channel),
      db
        .prepare("INSERT OR IGNORE INTO stat_shipments (shipment_id, org, day, channel, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(s.shipmentId, s.org, utcDay(createdMs), s.channel, createdMs),
    );
  }
  if (f.via) {
    statements.push(db.prepare("UPDATE stat_shipments SET via = ?2 WHERE shipment_id = ?1 AND handed_over_ms IS NULL").bind(s.shipmentId, f.via));
  }
  if (f.handover) {
    const ms = f.handover.atMs - createdMs;
    const metrics = [METRIC.handedOver, METRIC.providerHandedOver, METRIC.handOverMs(ms), ...(ms <= WITHIN_MS ? [METRIC.handedOverWithin10s] : [])];
    statements.push(
      db
        .prepare(
          `INSERT INTO stat_days (org, day, channel, metric, n)
           SELECT s.org, s.day, s.channel, replace(m.value, '{p}', COALESCE(?3, s.via, 'unknown')), 1
           FROM stat_shipments s, json_each(?2) m WHERE s.shipment_id = ?1 AND s.handed_over_ms IS NULL ${ADD}`,
        )
        .bind(s.shipmentId, JSON.stringify(metrics), f.handover.provider),
      db
        .prepare("UPDATE stat_shipments SET handed_over_ms = ?2, provider = COALESCE(?3, via, 'unknown') WHERE shipment_id = ?1 AND handed_over_ms IS NULL")
        .bind(s.shipmentId, ms, f.handover.provider),
    );
  }
  if (f.final) {
    const delivered = f.final.status === "SMS_Delivered" || f.final.status === "Email_Delivered";
    const metrics = [
      ...(delivered ? [METRIC.delivered, METRIC.providerDelivered] : [METRIC.failed(f.final.status)]),
      ...(RECIPIENT_FAILURES.has(f.final.status) ? [METRIC.failedForRecipientBeforeHandOver] : []),
      METRIC.finalMs(f.final.atMs - createdMs),
    ];
    statements.push(
      db
        .prepare(
          `INSERT INTO stat_days (org, day, channel, metric, n)
           SELECT s.org, s.day, s.channel, replace(m.value, '{p}', COALESCE(s.provider, '')), 1
           FROM stat_shipments s, json_each(?2) m
           WHERE s.shipment_id = ?1 AND s.final_status IS NULL
             AND (instr(m.value, '{p}') = 0 OR s.provider IS NOT NULL)
             AND (m.value <> '${METRIC.failedForRecipientBeforeHandOver}' OR s.handed_over_ms IS NULL) ${ADD}`,
        )
        .bind(s.shipmentId, JSON.stringify(metrics)),
      db.prepare("UPDATE stat_shipments SET final_status = ?2 WHERE shipment_id = ?1 AND final_status IS NULL").bind(s.shipmentId, f.final.status),
    );
  }
  return statements;
}

/**
 * The limits' refusals: each count is the organisation's running total for its day, channel and code,
 * sent by its limits object (src/limits/), so the larger one wins and a repeat changes nothing.
 */
export function refusalStatements(db: D1Database, t: RefusalTally): D1PreparedStatement[] {
  return t.counts.map((c) =>
    db
      .prepare("INSERT INTO stat_days (org, day, channel, metric, n) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org, day, channel, metric) DO UPDATE SET n = MAX(n, excluded.n)")
      .bind(t.org, c.day, c.channel satisfies Channel, METRIC.refused(c.code), c.n),
  );
}

/**
 * A verification's start or end, counted once per (verification, event) on the day and channel it
 * started (the change carries both, so an end that arrives before its start counts all the same). An
 * approval also counts for the provider the change names (none named: no provider's). The fact row
 * (stat_verifications) is written right after the counters, which only count while it is missing: a
 * repeat in the same batch or a later one finds it and counts nothing.
 */
export function verificationStatements(db: D1Database, v: VerificationChange): D1PreparedStatement[] {
  if (!Object.hasOwn(VERIFICATION_COUNTERS, v.event) || (v.channel !== "sms" && v.channel !== "email") || !/^\d{4}-\d{2}-\d{2}$/.test(v.day)) {
    // Never a statement D1 refuses: one bad change would hold up the whole shard's write-behind.
    log("stats.verification_change_ignored", { org: v.org, verificationId: v.verificationId, event: v.event, channel: v.channel, day: v.day });
    return [];
  }
  const metrics = [METRIC.verifications(v.event), ...(v.event === "approved" && v.provider ? [METRIC.providerApproved(v.provider)] : [])];
  return [
    db
      .prepare(
        `INSERT INTO stat_days (org, day, channel, metric, n)
         SELECT ?2, ?3, ?4, m.value, 1 FROM json_each(?5) m
         WHERE NOT EXISTS (SELECT 1 FROM stat_verifications WHERE verification_id = ?1 AND event = ?6) ${ADD}`,
      )
      .bind(v.verificationId, v.org, v.day, v.channel, JSON.stringify(metrics), v.event),
    db
      .prepare("INSERT INTO stat_verifications (verification_id, event, org, day, channel) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (verification_id, event) DO NOTHING")
      .bind(v.verificationId, v.event, v.org, v.day, v.channel),
  ];
}

/**
 * Once a day per shard: forgets rollups older than 13 months, and the verifications' fact rows once the
 * shipments' retention has passed (as each shipment's tracker goes with its shipment): a repeated change
 * can only come from the write-behind, long before then.
 */
export function pruneStatements(db: D1Database, now: number, retentionMs: number): D1PreparedStatement[] {
  return [
    db.prepare("DELETE FROM stat_days WHERE day < ?1").bind(utcDay(now - ROLLUP_RETENTION_DAYS * 86_400_000)),
    db.prepare("DELETE FROM stat_verifications WHERE day < ?1").bind(utcDay(now - Math.max(retentionMs, 86_400_000))),
  ];
}
