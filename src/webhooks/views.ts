// What the callback object shows of its deliveries, and how it names a receiver in its logs.
import type { DeliveryRow } from "./decide";
import { isVerificationEventId } from "./events";
import type { AttemptResult } from "./schedule";
import type { Delivery } from "./schemas";
import { isoTime } from "../status/manifest";
import type { SubscriptionRow } from "./subscription";

export function deliveryView(row: DeliveryRow): Delivery {
  // A verification's end stores its verification where a shipment event stores its shipment (no new column).
  const subject = isVerificationEventId(row.id)
    ? { type: "verification.status" as const, verificationId: row.shipment_id }
    : { type: "shipment.status" as const, shipmentId: row.shipment_id };
  return {
    id: row.id,
    ...subject,
    status: row.status,
    state: row.state,
    attempts: row.attempts,
    createdAt: isoTime(row.created_at),
    ...(row.last_attempt_at !== null ? { lastAttemptAt: isoTime(row.last_attempt_at) } : {}),
    ...(row.last_response_status !== null ? { lastResponseStatus: row.last_response_status } : {}),
    // While an attempt is in flight next_attempt_at is its lease, not a planned attempt.
    ...(row.state === "pending" && row.leased === 0 && row.next_attempt_at !== null ? { nextAttemptAt: isoTime(row.next_attempt_at) } : {}),
  };
}

/** Receivers' URLs are logged by host only (a path or query may carry the caller's own tokens). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "invalid";
  }
}

/** The log line of one attempt: where it went (host only) and what it came to. */
export function attemptFields(sub: SubscriptionRow, deliveryId: string, attempt: number, result: AttemptResult) {
  const http = result.httpStatus ? { httpStatus: result.httpStatus } : {};
  return { org: sub.org, deliveryId, host: hostOf(sub.url), attempt, result: result.kind, ...http };
}
