// A verification as callers see it (GET /future/verifications/{id}, the `verification.status` callback,
// the statistics), apart from the Durable Object that keeps it (src/verifications/). Never the code.
import type { Channel, RecipientStatus } from "./statuses";

export const VERIFICATION_STATUSES = ["pending", "approved", "expired", "max_attempts"] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];
/** How a verification ended: no code can be approved any more. */
export type VerificationEnd = Exclude<VerificationStatus, "pending">;

/** One message of a verification: a normal shipment, first message first. */
export interface VerificationShipmentView {
  shipmentId: string;
  channel: Channel;
  /** The shipment's recipient status. */
  status: RecipientStatus;
}

/** The GET body, and the `data` of the `verification.status` callback. */
export interface VerificationView {
  verificationId: string;
  status: VerificationStatus;
  attempts: number;
  maxAttempts: number;
  /** ISO 8601 UTC. */
  expiresAt: string;
  approvedAt?: string;
  /** The channel it started on. */
  channel: Channel;
  /** The limit code (NOT-1000x) that kept the fallback email from being sent. */
  fallbackRefused?: string;
  shipments: VerificationShipmentView[];
}

/** The Durable Object name of a verification (its id is derived from the organisation and its key). */
export const verificationObjectName = (verificationId: string) => `verification:${verificationId.toLowerCase()}`;

/** The status description of a message that was not sent because its verification ended first. */
export const VERIFICATION_ENDED_DETAIL = "not sent: its verification had ended";
