// What the shard writer hands to an organisation's status-callback object: one event per applied
// recipient status change (the registration's first status included). The writer may hand the same
// event over more than once; `eventId` makes the repeat recognisable.
import type { ShipmentView } from "../status/manifest";
import type { RecipientStatus } from "../status/statuses";

/** The GET /future/shipment/{id} JSON (src/status/manifest.ts builds it). */
export type ShipmentManifest = ShipmentView;

export interface CallbackEvent {
  /** `${shipmentId}.${seq}`: unique per status change; becomes the delivery's `webhook-id`. */
  eventId: string;
  /** The organisation that owns the shipment; an object only ever sends its own organisation's events. */
  org: string;
  shipmentId: string;
  /** The order's event sequence number of this status change. */
  seq: number;
  /** The recipient status this change reached. */
  status: RecipientStatus;
  /** Whether `status` is final (what `events: "final"` subscribes to). */
  final: boolean;
  /** When the status changed (ISO 8601, UTC); the callback body's `timestamp`. */
  at: string;
  /** The shipment's manifest at that status. It never holds a message body. */
  manifest: ShipmentManifest;
}

export const callbackEventId = (shipmentId: string, seq: number) => `${shipmentId}.${seq}`;

/** The callback's body, signed and sent as it is on every attempt. */
export function callbackBody(event: CallbackEvent): string {
  return JSON.stringify({ type: "shipment.status", timestamp: event.at, data: event.manifest });
}
