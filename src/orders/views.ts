// What the order shows: its delivery manifest and status history (scoped to the shipment asked for), and
// the message a claim hands to the provider.
import type { OutboundMessage } from "../providers/provider";
import type { RecipientStatus } from "../status/statuses";
import type { OrderState } from "./decide/state";
import { isoTime, manifestOf, type ShipmentView } from "../status/manifest";
import type { StoredEvent } from "./order-store";

export interface HistoryEntry {
  status: RecipientStatus;
  applied: boolean;
  source: string;
  detail?: string;
  at: string;
}

/** The delivery manifest, or null when the order holds no such shipment of this organisation. */
export function manifestView(row: OrderState | null, org: string, shipmentId: string): ShipmentView | null {
  if (!row || row.org !== org || row.shipment_id !== shipmentId) return null;
  return manifestOf({
    shipmentId: row.shipment_id,
    sendersReference: row.senders_reference,
    channel: row.channel,
    destination: row.destination,
    status: row.status,
    lastUpdate: isoTime(row.last_update),
    verificationId: row.verification_id,
    statusDescription: row.status_detail,
  });
}

/** Every proposal, applied or not, oldest first. */
export function historyView(events: readonly StoredEvent[]): HistoryEntry[] {
  return events.map((e) => ({ status: e.status, applied: e.applied === 1, source: e.source, ...(e.detail !== null ? { detail: e.detail } : {}), at: isoTime(e.at) }));
}

/** The message a claim hands to the provider: the opened content, and the lifetime left at `now`. */
export function outboundMessage(row: OrderState, content: { body: string; subject: string | null }, orderRef: string, now: number): OutboundMessage {
  return {
    channel: row.channel,
    shipmentId: row.shipment_id,
    orderRef,
    to: row.destination,
    from: row.sender,
    body: content.body,
    ...(content.subject !== null ? { subject: content.subject } : {}),
    ...(row.content_type ? { contentType: row.content_type as "Plain" | "Html" } : {}),
    validitySeconds: Math.max(1, Math.floor((row.deadline - now) / 1000)),
  };
}
