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

/**
 * One transaction that writes a new shipment. It first removes whatever an earlier, failed attempt under
 * the same key may have left (no 201 was ever answered for it), so a retry never leaves a duplicate.
 */
export function insertShipmentStatements(db: D1Database, s: NewShipment): D1PreparedStatement[] {
  const staleIds = "SELECT shipment_id FROM shipments WHERE org = ?1 AND idempotency_id = ?2";
  return [
    db.prepare(`DELETE FROM status_events WHERE shipment_id IN (${staleIds})`).bind(s.org, s.idempotencyId),
    db.prepare(`DELETE FROM recipients WHERE shipment_id IN (${staleIds})`).bind(s.org, s.idempotencyId),
    db.prepare("DELETE FROM shipments WHERE org = ?1 AND idempotency_id = ?2").bind(s.org, s.idempotencyId),
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
      .prepare("INSERT INTO status_events (shipment_id, status, applied, source, at) VALUES (?1, ?2, 1, 'registration', ?3)")
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
