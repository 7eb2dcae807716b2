// Status transitions as one pure function over a table: forward only, final statuses sticky.
import { EMAIL_FINAL, EMAIL_PROGRESS, SMS_FINAL, SMS_PROGRESS, type OrderStatus, type RecipientStatus } from "./statuses";

/** Rank of each recipient status; a status may only move to a higher rank. All finals share the top rank. */
const RANK: Readonly<Record<RecipientStatus, number>> = Object.freeze({
  ...Object.fromEntries(SMS_PROGRESS.map((s, i) => [s, i])),
  ...Object.fromEntries(SMS_FINAL.map((s) => [s, 3])),
  ...Object.fromEntries(EMAIL_PROGRESS.map((s, i) => [s, i])),
  ...Object.fromEntries(EMAIL_FINAL.map((s) => [s, 3])),
}) as Record<RecipientStatus, number>;

const FINAL_RANK = 3;

/** The order status that follows from its one recipient's status. */
const ORDER_STATUS_BY_RANK: readonly OrderStatus[] = ["Order_Registered", "Order_Processing", "Order_Processed", "Order_Completed"];

export function isFinal(status: RecipientStatus): boolean {
  return RANK[status] === FINAL_RANK;
}

export function orderStatusOf(recipient: RecipientStatus): OrderStatus {
  return ORDER_STATUS_BY_RANK[RANK[recipient]]!;
}

export function channelOf(status: RecipientStatus): "sms" | "email" {
  return status.startsWith("SMS_") ? "sms" : "email";
}

/**
 * Applies a proposed status to the current one. `applied` is false when the proposal would move
 * backwards, sideways, out of a final status, or across channels: the caller keeps it for audit only.
 */
export function transition(current: RecipientStatus, proposed: RecipientStatus): { status: RecipientStatus; applied: boolean } {
  const applies = channelOf(current) === channelOf(proposed) && !isFinal(current) && RANK[proposed] > RANK[current];
  return applies ? { status: proposed, applied: true } : { status: current, applied: false };
}
