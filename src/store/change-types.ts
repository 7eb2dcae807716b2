// The shapes of what an order (and a limits object) sends behind it to D1, apart from the statements
// that write them (changes.ts), so the statistics' statements can read them too.
import type { Channel, OrderStatus, RecipientStatus } from "../status/statuses";

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

export type ShipmentChange = ShipmentState | ShipmentDeletion | RefusalTally;
