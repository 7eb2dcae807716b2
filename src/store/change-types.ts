// The shapes of what an order (and a limits object) sends behind it to D1, apart from the statements
// that write them (changes.ts), so the statistics' statements can read them too.
import type { Channel, OrderStatus, RecipientStatus } from "../status/statuses";
import type { VerificationView } from "../status/verification";

export interface StatusEventRow {
  seq: number;
  status: RecipientStatus;
  applied: boolean;
  source: string;
  detail: string | null;
  /** ISO 8601 UTC. */
  at: string;
}

export interface ShipmentState {
  kind: "state";
  shipmentId: string;
  org: string;
  orderId: string;
  idempotencyId: string;
  /** The order's Durable Object id. */
  orderRef: string;
  sendersReference: string | null;
  channel: Channel;
  destination: string;
  createdAt: string;
  deadline: string;
  /** The order's change counter: an older state never overwrites a newer one. */
  version: number;
  orderStatus: OrderStatus;
  recipientStatus: RecipientStatus;
  lastUpdate: string;
  providerRef: string | null;
  /** Events not yet sent behind; each is written once (by shipment and seq). */
  events: StatusEventRow[];
  /** The recipient is final: the shipment enters the feed. */
  completed: boolean;
  /**
   * When a provider first accepted the hand-over (ISO 8601), and which one (its name in SMS_PROVIDERS or
   * EMAIL_PROVIDER), for the statistics. Optional: when absent they are derived from the events
   * (src/store/stats-facts.ts).
   */
  handedOverAt?: string | null;
  handedOverBy?: string | null;
  /** The verification this shipment is a message of (src/verifications/); absent or null: a plain order. */
  verificationId?: string | null;
  /** The recipient's status description when the order says more than its status (a message its verification's end kept from being sent). */
  statusDescription?: string | null;
}

/** The retention period is over: the shipment leaves D1. */
export interface ShipmentDeletion {
  kind: "delete";
  shipmentId: string;
  org: string;
}

/** An organisation's running totals of requests the limits refused (429), per UTC day, channel and code. */
export interface RefusalTally {
  kind: "refusals";
  org: string;
  counts: { day: string; channel: Channel; code: string; n: number }[];
}

/**
 * A verification's start or end (src/verifications/), for the statistics and, at its end, its
 * organisation's `verification.status` callback. The start rides with its first message's first change
 * (the order's write-behind); the end comes from the verification object. Each (verificationId, event)
 * counts once, however often it arrives.
 */
export interface VerificationChange {
  kind: "verification";
  org: string;
  verificationId: string;
  /** The channel it started on. */
  channel: Channel;
  /** The UTC day it started (YYYY-MM-DD): every count of this verification goes to that day. */
  day: string;
  /** "started" at its 201; otherwise how it ended. */
  event: "started" | "approved" | "expired" | "max_attempts";
  /** ISO 8601 UTC: when it started or ended (the callback's `timestamp`). */
  at: string;
  /** "approved": the provider of the last SMS handed over before approval (null: none known, or email only). */
  provider?: string | null;
  /** At its end: the GET body, which the `verification.status` callback carries as `data`. */
  view?: VerificationView;
}

export type ShipmentChange = ShipmentState | ShipmentDeletion | RefusalTally | VerificationChange;
