// D1: the store of record for reads. Every query is scoped to the caller's organisation.
import type { Channel, OrderStatus, RecipientStatus } from "../status/statuses";

export interface NewShipment {
  shipmentId: string;
  orderId: string;
  org: string;
  idempotencyId: string;
  orderRef: string;
  sendersReference?: string;
  channel: Channel;
  destination: string;
  orderStatus: OrderStatus;
  recipientStatus: RecipientStatus;
  createdAt: string;
  deadline: string;
}

/** One transaction that writes a new shipment, its recipient and its first event. */
export function insertShipmentStatements(db: D1Database, s: NewShipment): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO shipments (shipment_id, order_id, org, idempotency_id, order_ref, senders_reference, channel, status, created_at, deadline, last_update)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?9)`,
      )
      .bind(s.shipmentId, s.orderId, s.org, s.idempotencyId, s.orderRef, s.sendersReference ?? null, s.channel, s.orderStatus, s.createdAt, s.deadline),
    db
      .prepare("INSERT INTO recipients (shipment_id, type, destination, status, last_update) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(s.shipmentId, s.channel === "sms" ? "SMS" : "Email", s.destination, s.recipientStatus, s.createdAt),
    db
      .prepare("INSERT INTO status_events (shipment_id, event_seq, status, applied, source, at) VALUES (?1, 0, ?2, 1, 'registration', ?3)")
      .bind(s.shipmentId, s.recipientStatus, s.createdAt),
  ];
}

export function deleteShipmentStatements(db: D1Database, org: string, idempotencyId: string): D1PreparedStatement[] {
  const ids = "SELECT shipment_id FROM shipments WHERE org = ?1 AND idempotency_id = ?2";
  return [
    db.prepare(`DELETE FROM status_events WHERE shipment_id IN (${ids})`).bind(org, idempotencyId),
    db.prepare(`DELETE FROM recipients WHERE shipment_id IN (${ids})`).bind(org, idempotencyId),
    db.prepare(`DELETE FROM feed WHERE shipment_id IN (${ids})`).bind(org, idempotencyId),
    db.prepare("DELETE FROM shipments WHERE org = ?1 AND idempotency_id = ?2").bind(org, idempotencyId),
  ];
}

export function deleteShipmentByIdStatements(db: D1Database, shipmentId: string): D1PreparedStatement[] {
  return ["status_events", "recipients", "feed", "shipments"].map((table) => db.prepare(`DELETE FROM ${table} WHERE shipment_id = ?1`).bind(shipmentId));
}

export interface RecipientView {
  type: "SMS" | "Email";
  destination: string;
  status: string;
  lastUpdate: string;
}

export interface ShipmentView {
  shipmentId: string;
  sendersReference?: string;
  type: "Instant";
  status: string;
  lastUpdate: string;
  recipients: RecipientView[];
}

interface ShipmentRow {
  shipment_id: string;
  senders_reference: string | null;
  status: string;
  last_update: string;
  r_type: "SMS" | "Email";
  destination: string;
  r_status: string;
  r_last_update: string;
}

const SHIPMENT_COLUMNS = `s.shipment_id, s.senders_reference, s.status, s.last_update,
  r.type AS r_type, r.destination, r.status AS r_status, r.last_update AS r_last_update`;

function toView(row: ShipmentRow): ShipmentView {
  return {
    shipmentId: row.shipment_id,
    ...(row.senders_reference !== null ? { sendersReference: row.senders_reference } : {}),
    type: "Instant",
    status: row.status,
    lastUpdate: row.last_update,
    recipients: [{ type: row.r_type, destination: row.destination, status: row.r_status, lastUpdate: row.r_last_update }],
  };
}

export async function readShipment(db: D1Database, org: string, shipmentId: string): Promise<ShipmentView | null> {
  const row = await db
    .prepare(`SELECT ${SHIPMENT_COLUMNS} FROM shipments s JOIN recipients r ON r.shipment_id = s.shipment_id WHERE s.shipment_id = ?1 AND s.org = ?2`)
    .bind(shipmentId, org)
    .first<ShipmentRow>();
  return row ? toView(row) : null;
}

export interface StatusEventRow {
  seq: number;
  status: string;
  applied: boolean;
  source: string;
  detail: string | null;
  at: string;
}

export interface StatusUpdate {
  shipmentId: string;
  org: string;
  version: number;
  orderStatus: string;
  recipientStatus: string;
  lastUpdate: string;
  providerRef: string | null;
  events: StatusEventRow[];
  completed: boolean;
}

/**
 * One transaction that brings D1 up to the order's state. Safe to repeat and to run out of order:
 * `version` keeps an older state from overwriting a newer one, events and the feed entry are written once.
 */
export function statusUpdateStatements(db: D1Database, u: StatusUpdate): D1PreparedStatement[] {
  const statements = [
    db
      .prepare("UPDATE shipments SET status = ?1, last_update = ?2, version = ?3 WHERE shipment_id = ?4 AND version < ?3")
      .bind(u.orderStatus, u.lastUpdate, u.version, u.shipmentId),
    db
      .prepare(
        `UPDATE recipients SET status = ?1, last_update = ?2, provider_ref = COALESCE(?3, provider_ref)
         WHERE shipment_id = ?4 AND (SELECT version FROM shipments WHERE shipment_id = ?4) = ?5`,
      )
      .bind(u.recipientStatus, u.lastUpdate, u.providerRef, u.shipmentId, u.version),
    ...u.events.map((e) =>
      db
        .prepare(
          "INSERT OR IGNORE INTO status_events (shipment_id, event_seq, status, applied, source, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(u.shipmentId, e.seq, e.status, e.applied ? 1 : 0, e.source, e.detail, e.at),
    ),
  ];
  if (u.completed) {
    statements.push(db.prepare("INSERT OR IGNORE INTO feed (org, shipment_id, at) VALUES (?1, ?2, ?3)").bind(u.org, u.shipmentId, u.lastUpdate));
  }
  return statements;
}

export interface FeedEntry {
  sequenceNumber: number;
  shipmentId: string;
  sendersReference?: string;
  shipmentType: "Instant";
  status: string;
  lastUpdate: string;
  recipients: { destination: string; status: string; lastUpdate: string }[];
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
      lastUpdate: view.lastUpdate,
      recipients: view.recipients.map(({ destination, status, lastUpdate }) => ({ destination, status, lastUpdate })),
    };
  });
}

/** Finds the order behind a provider's message id (email events carry only that). */
export async function findByProviderRef(db: D1Database, providerRef: string): Promise<{ shipmentId: string; orderRef: string } | null> {
  const row = await db
    .prepare("SELECT s.shipment_id, s.order_ref FROM recipients r JOIN shipments s ON s.shipment_id = r.shipment_id WHERE r.provider_ref = ?1")
    .bind(providerRef)
    .first<{ shipment_id: string; order_ref: string }>();
  return row ? { shipmentId: row.shipment_id, orderRef: row.order_ref } : null;
}
