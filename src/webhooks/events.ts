// What the shard writer hands to an organisation's status-callback object: one event per applied
// recipient status change (the registration's first status included), and one when a verification
// ends. The writer may hand the same event over more than once; `eventId` makes the repeat recognisable.
import type { ShipmentView } from "../status/manifest";
import type { RecipientStatus } from "../status/statuses";
import type { VerificationEnd, VerificationView } from "../status/verification";

/** The GET /future/shipment/{id} JSON (src/status/manifest.ts builds it). */
export type ShipmentManifest = ShipmentView;

export interface ShipmentStatusEvent {
  /** Absent in events stored before verifications existed: those are all shipment events. */
  type?: "shipment.status";
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

/** A verification ended (approved, expired, max_attempts): for either kind of subscription. */
export interface VerificationStatusEvent {
  type: "verification.status";
  /** `verification.${verificationId}.${status}` (verificationEventId): one per verification's end; the `webhook-id`. */
  eventId: string;
  org: string;
  verificationId: string;
  status: VerificationEnd;
  /** Always true: an end is final, so `events: "final"` subscriptions get it too. */
  final: true;
  /** When it ended (ISO 8601, UTC); the callback body's `timestamp`. */
  at: string;
  /** The GET /future/verifications/{id} body at its end. It never holds the code. */
  view: VerificationView;
}

export type CallbackEvent = ShipmentStatusEvent | VerificationStatusEvent;

export const callbackEventId = (shipmentId: string, seq: number) => `${shipmentId}.${seq}`;

const VERIFICATION_EVENT_PREFIX = "verification.";
export const verificationEventId = (verificationId: string, status: VerificationEnd) => `${VERIFICATION_EVENT_PREFIX}${verificationId}.${status}`;
/** Whether a delivery's id (its event's id) is a verification's end; a shipment event's id starts with its UUID. */
export const isVerificationEventId = (id: string) => id.startsWith(VERIFICATION_EVENT_PREFIX);

/** What a delivery stores of its event's subject: the shipment, or the verification, and the status reported. */
export function subjectOf(event: CallbackEvent): { id: string; status: string } {
  return event.type === "verification.status" ? { id: event.verificationId, status: event.status } : { id: event.shipmentId, status: event.status };
}

/** The callback's body, signed and sent as it is on every attempt. */
export function callbackBody(event: CallbackEvent): string {
  if (event.type === "verification.status") return JSON.stringify({ type: "verification.status", timestamp: event.at, data: event.view });
  return JSON.stringify({ type: "shipment.status", timestamp: event.at, data: event.manifest });
}
