// What an order sends behind it to D1: its current state and the status events D1 has not seen yet,
// and how many such changes become one D1 transaction (group commit).
import { refusalStatements, rollupStatements, verificationStatements } from "./stats-rollups";
import type { RefusalTally, ShipmentChange, ShipmentState } from "./change-types";


export type { RefusalTally, ShipmentChange, ShipmentDeletion, ShipmentState, StatusEventRow, VerificationChange } from "./change-types";

/**
 * The statements that bring D1 up to a list of changes, in order. Safe to repeat and to replay out of
 * order: `version` guards the state, events and feed entries are written once. Run as one batch (one
 * transaction), so the feed's sequence numbers are assigned in commit order.
 */
export function changeStatements(db: D1Database, changes: readonly ShipmentChange[]): D1PreparedStatement[] {
  const statements = changes.flatMap((change) => {
    switch (change.kind) {
      case "delete":
        return deleteStatements(db, change.shipmentId);
      case "refusals":
        return refusalStatements(db, change);
      case "verification":
        return verificationStatements(db, change);
      case "state":
        return stateStatements(db, change);
    }
  });
  // Once per organisation per batch, not per entry: each entry's number is read from the live rows too.
  const feedOrgs = new Set(changes.flatMap((c) => (c.kind === "state" && c.completed ? [c.org] : [])));
  for (const org of feedOrgs) statements.push(raiseFeedCounter(db, org));
  return statements;
}

/**
 * An organisation's next feed number (migrations/0003_feed_per_organisation.sql, whose trigger numbers the
 * previous version's entries by the same rule): above the shard's numbers from before per-organisation
 * numbering (so stored cursors keep working), above the organisation's counter (numbers whose rows are
 * deleted stay used), and above its entries earlier in this batch (the counter is raised at its end).
 * Never another organisation's: their traffic does not show in these numbers.
 */
const NEXT_FEED_SEQ = `1 + MAX(
  COALESCE((SELECT last_seq FROM feed_floor), 0),
  COALESCE((SELECT last_seq FROM feed_counters WHERE org = ?1), 0),
  COALESCE((SELECT MAX(seq) FROM feed WHERE org = ?1), 0))`;

/** Brings the organisation's counter up to its highest number; writes nothing when it is there already. */
function raiseFeedCounter(db: D1Database, org: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO feed_counters (org, last_seq) SELECT org, MAX(seq) FROM feed WHERE org = ?1 GROUP BY org
       ON CONFLICT (org) DO UPDATE SET last_seq = excluded.last_seq WHERE excluded.last_seq > feed_counters.last_seq`,
    )
    .bind(org);
}

function stateStatements(db: D1Database, s: ShipmentState): D1PreparedStatement[] {
  const statements = [
    db
      .prepare(
        `INSERT INTO shipments (shipment_id, order_id, org, idempotency_id, order_ref, senders_reference, channel, status, created_at, deadline, last_update, version, verification_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (shipment_id) DO UPDATE SET status = excluded.status, last_update = excluded.last_update, version = excluded.version,
           verification_id = COALESCE(excluded.verification_id, shipments.verification_id)
         WHERE excluded.version > shipments.version`,
      )
      .bind(s.shipmentId, s.orderId, s.org, s.idempotencyId, s.orderRef, s.sendersReference, s.channel, s.orderStatus, s.createdAt, s.deadline, s.lastUpdate, s.version, s.verificationId ?? null),
    db
      .prepare(
        `INSERT INTO recipients (shipment_id, type, destination, status, last_update, provider_ref, status_description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8)
         ON CONFLICT (shipment_id) DO UPDATE SET status = excluded.status, last_update = excluded.last_update,
           provider_ref = COALESCE(excluded.provider_ref, recipients.provider_ref), status_description = excluded.status_description
         WHERE (SELECT version FROM shipments WHERE shipment_id = ?1) = ?7`,
      )
      .bind(s.shipmentId, s.channel === "sms" ? "SMS" : "Email", s.destination, s.recipientStatus, s.lastUpdate, s.providerRef, s.version, s.statusDescription ?? null),
    ...s.events.map((e) =>
      db
        .prepare("INSERT OR IGNORE INTO status_events (shipment_id, event_seq, status, applied, source, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(s.shipmentId, e.seq, e.status, e.applied ? 1 : 0, e.source, e.detail, e.at),
    ),
  ];
  if (s.completed) {
    // Once per shipment. Only a repeat is ignored: a number handed out twice would fail the batch, never pass quietly.
    statements.push(
      db
        .prepare(`INSERT INTO feed (seq, org, shipment_id, at) VALUES (${NEXT_FEED_SEQ}, ?1, ?2, ?3) ON CONFLICT (shipment_id) DO NOTHING`)
        .bind(s.org, s.shipmentId, s.lastUpdate),
    );
  }
  // The statistics ride in the same transaction as the rows they count.
  statements.push(...rollupStatements(db, s));
  return statements;
}

function deleteStatements(db: D1Database, shipmentId: string): D1PreparedStatement[] {
  // The shipment's statistics stay (their rollups); only its tracker goes.
  return ["status_events", "recipients", "feed", "shipments", "stat_shipments"].map((table) => db.prepare(`DELETE FROM ${table} WHERE shipment_id = ?1`).bind(shipmentId));
}
