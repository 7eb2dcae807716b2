// D1 reads: the status feed, the provider-id lookup and the shipments' statuses (the bench's and the soak's wait). Every feed query is scoped to the caller's
// organisation (and runs on its shard). D1 is written only by the shard writer (shard-writer.ts).
import { manifestOf, type ShipmentView } from "../status/manifest";
import type { OrderStatus, RecipientStatus } from "../status/statuses";
import { database, shardNames } from "./shards";

interface ShipmentRow {
  shipment_id: string;
  senders_reference: string | null;
  r_type: "SMS" | "Email";
  destination: string;
  r_status: RecipientStatus;
  r_last_update: string;
  verification_id: string | null;
  r_status_description: string | null;
}

const SHIPMENT_COLUMNS = `s.shipment_id, s.senders_reference, s.verification_id,
  r.type AS r_type, r.destination, r.status AS r_status, r.last_update AS r_last_update, r.status_description AS r_status_description`;

function toView(row: ShipmentRow): ShipmentView {
  return manifestOf({
    shipmentId: row.shipment_id,
    sendersReference: row.senders_reference,
    channel: row.r_type === "SMS" ? "sms" : "email",
    destination: row.destination,
    status: row.r_status,
    lastUpdate: row.r_last_update,
    verificationId: row.verification_id,
    statusDescription: row.r_status_description,
  });
}

export interface FeedEntry {
  sequenceNumber: number;
  shipmentId: string;
  sendersReference?: string;
  shipmentType: "Instant";
  status: OrderStatus;
  statusDescription: string;
  lastUpdate: string;
  recipients: { destination: string; status: RecipientStatus; statusDescription: string; lastUpdate: string }[];
  /** The verification this shipment is a message of (as in its manifest); absent for a plain order. */
  verificationId?: string;
}

export async function readFeed(db: D1Database, org: string, after: number, pageSize: number, order: "Asc" | "Desc"): Promise<FeedEntry[]> {
  // Desc with seq=0 starts from the newest; otherwise seq is an exclusive cursor in the chosen direction.
  const cursor = order === "Asc" ? "f.seq > ?2" : "(?2 = 0 OR f.seq < ?2)";
  const { results } = await db
    .prepare(
      `SELECT f.seq, ${SHIPMENT_COLUMNS} FROM feed f
       JOIN shipments s ON s.shipment_id = f.shipment_id JOIN recipients r ON r.shipment_id = f.shipment_id
       WHERE f.org = ?1 AND ${cursor} ORDER BY f.seq ${order === "Asc" ? "ASC" : "DESC"} LIMIT ?3`,
    )
    .bind(org, after, pageSize)
    .all<ShipmentRow & { seq: number }>();
  return results.map((row) => {
    const view = toView(row);
    return {
      sequenceNumber: row.seq,
      shipmentId: view.shipmentId,
      ...(view.sendersReference !== undefined ? { sendersReference: view.sendersReference } : {}),
      shipmentType: "Instant",
      status: view.status,
      statusDescription: view.statusDescription,
      lastUpdate: view.lastUpdate,
      recipients: view.recipients.map(({ destination, status, statusDescription, lastUpdate }) => ({ destination, status, statusDescription, lastUpdate })),
      ...(view.verificationId !== undefined ? { verificationId: view.verificationId } : {}),
    };
  });
}

/** A shipment's status and its recipient's, as D1 has them. */
export interface ShipmentStatusRow {
  shipment_id: string;
  org: string;
  status: OrderStatus;
  recipient_status: RecipientStatus;
  created_at: string;
  last_update: string;
}

/**
 * Every shipment of one shard with its recipient's status, or only `org`'s. Not an API read: the bench
 * build (bench/worker.ts) waits on it until what it sent is final in D1.
 */
export async function readShipmentStatuses(db: D1Database, org: string | null): Promise<ShipmentStatusRow[]> {
  const sql = `SELECT s.shipment_id, s.org, s.status, r.status AS recipient_status, s.created_at, s.last_update
               FROM shipments s JOIN recipients r ON r.shipment_id = s.shipment_id`;
  const query = org === null ? db.prepare(sql) : db.prepare(`${sql} WHERE s.org = ?1`).bind(org);
  return (await query.all<ShipmentStatusRow>()).results;
}

/**
 * Finds the shipment behind a provider's message id (Cloudflare's email events carry only that). The
 * event names no organisation, so every shard is asked; an event that overtakes D1 is retried.
 */
export async function findByProviderRef(env: Env, providerRef: string): Promise<{ shipmentId: string } | null> {
  for (const shard of shardNames(env)) {
    const row = await database(env, shard)
      .prepare("SELECT shipment_id FROM recipients WHERE provider_ref = ?1")
      .bind(providerRef)
      .first<{ shipment_id: string }>();
    if (row) return { shipmentId: row.shipment_id };
  }
  return null;
}
