// The verification's rules apart from the check (decide/check.ts), as pure functions of what it stores:
// when its alarm must next fire, whether a resend may go, what GET shows, and what its end tells the
// statistics and the callback.
import type { VerificationChange } from "../store/change-types";
import { isoTime, utcDay } from "../status/manifest";
import type { VerificationEnd, VerificationView } from "../status/verification";
import type { MessageRow, VerificationRow } from "./store";

/** At most this many resends per verification (the fallback email not counted). */
export const MAX_RESENDS = 2;
/** An end not yet handed on (to the orders, to the statistics) is tried again this soon. */
export const END_RETRY_MS = 5_000;

export const isEnded = (row: VerificationRow): row is VerificationRow & { status: VerificationEnd } =>
  row.status === "approved" || row.status === "expired" || row.status === "max_attempts";

/** Whether everything its end must do is done: every message told, the end handed on. */
export function endSettled(row: VerificationRow, messages: readonly MessageRow[]): boolean {
  return row.end_sent === 1 && messages.every((m) => m.ended === 1);
}

/** When the alarm must next fire: the expiry or the fallback while pending, a retry of the end's work, then retention. */
export function nextWake(row: VerificationRow, messages: readonly MessageRow[], now: number, retentionMs: number): number {
  if (row.status === "pending") return Math.min(row.expires_at, row.fallback_at ?? Infinity);
  if (!endSettled(row, messages)) return now + END_RETRY_MS;
  return row.created_at + retentionMs;
}

export type ResendRefusal = "not_pending" | "too_many";

export function resendRefusal(row: VerificationRow, messages: readonly MessageRow[], now: number): ResendRefusal | null {
  if (row.status !== "pending" || now >= row.expires_at) return "not_pending";
  return messages.filter((m) => m.kind === "resend").length >= MAX_RESENDS ? "too_many" : null;
}

/** The GET body: never the code. Each message's status as given (GET reads the orders; the end's callback what is known here). */
export function viewOf(row: VerificationRow, messages: readonly MessageRow[]): VerificationView {
  return {
    verificationId: row.verification_id,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    expiresAt: isoTime(row.expires_at),
    ...(row.approved_at !== null ? { approvedAt: isoTime(row.approved_at) } : {}),
    channel: row.channel,
    ...(row.fallback_refused !== null ? { fallbackRefused: row.fallback_refused } : {}),
    shipments: messages.map((m) => ({ shipmentId: m.shipment_id, channel: m.channel, status: m.status })),
  };
}

/**
 * The provider an approval is credited to: that of the last SMS handed over before it (null: none, or an
 * email verification), the share of codes actually typed per provider.
 */
export function approvalProvider(messages: readonly MessageRow[]): string | null {
  return messages.filter((m) => m.channel === "sms" && m.handed_over === 1).at(-1)?.provider ?? null;
}

/**
 * For the slow-delivery rule, a right code is the surest delivery report there is: when the verification
 * sent one SMS only, its approval counts as that SMS's timely report (null: not one SMS, or not handed over).
 */
export function deliveryProvenByApproval(row: VerificationRow, messages: readonly MessageRow[]): { provider: string; shipmentId: string } | null {
  if (row.status !== "approved") return null;
  const sms = messages.filter((m) => m.channel === "sms");
  const only = sms.length === 1 ? sms[0]! : null;
  return only && only.handed_over === 1 && only.provider ? { provider: only.provider, shipmentId: only.shipment_id } : null;
}

/** What the end tells the statistics (counted on the day it started) and the organisation's callback. */
export function endChange(row: VerificationRow & { status: VerificationEnd }, messages: readonly MessageRow[]): VerificationChange {
  return {
    kind: "verification",
    org: row.org,
    verificationId: row.verification_id,
    channel: row.channel,
    day: utcDay(row.created_at),
    event: row.status,
    at: isoTime(row.ended_at ?? row.expires_at),
    ...(row.status === "approved" ? { provider: approvalProvider(messages) } : {}),
    view: viewOf(row, messages),
  };
}
