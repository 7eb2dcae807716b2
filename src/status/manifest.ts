// The shipment's delivery manifest (GET /future/shipment/{id}), the same wherever it is built: from
// the order itself, from D1 for the feed, and for status callbacks.
import { describeStatus } from "./descriptions";
import type { Channel, OrderStatus, RecipientStatus } from "./statuses";
import { orderStatusOf } from "./transitions";

export interface RecipientView {
  type: "SMS" | "Email";
  destination: string;
  status: RecipientStatus;
  statusDescription: string;
  lastUpdate: string;
}

export interface ShipmentView {
  shipmentId: string;
  sendersReference?: string;
  type: "Instant";
  status: OrderStatus;
  statusDescription: string;
  lastUpdate: string;
  recipients: RecipientView[];
  /** The verification this shipment is a message of (src/verifications/); absent for a plain order. */
  verificationId?: string;
}

export interface ManifestFacts {
  shipmentId: string;
  sendersReference?: string | null;
  channel: Channel;
  destination: string;
  status: RecipientStatus;
  /** ISO 8601 UTC. */
  lastUpdate: string;
  verificationId?: string | null;
  /** The recipient's status description when the order says more than the status does (e.g. VERIFICATION_ENDED_DETAIL). */
  statusDescription?: string | null;
}

export function manifestOf(facts: ManifestFacts): ShipmentView {
  const orderStatus = orderStatusOf(facts.status);
  return {
    shipmentId: facts.shipmentId,
    ...(facts.sendersReference != null ? { sendersReference: facts.sendersReference } : {}),
    type: "Instant",
    status: orderStatus,
    statusDescription: describeStatus(orderStatus),
    lastUpdate: facts.lastUpdate,
    recipients: [
      {
        type: facts.channel === "sms" ? "SMS" : "Email",
        destination: facts.destination,
        status: facts.status,
        statusDescription: facts.statusDescription ?? describeStatus(facts.status),
        lastUpdate: facts.lastUpdate,
      },
    ],
    ...(facts.verificationId != null ? { verificationId: facts.verificationId } : {}),
  };
}

/** Timestamps as the contract shows them: ISO 8601 UTC. */
export const isoTime = (ms: number) => new Date(ms).toISOString();
/** The UTC day of a time, `YYYY-MM-DD` (statistics count by it). */
export const utcDay = (at: string | number) => new Date(at).toISOString().slice(0, 10);
