// The verification's rules apart from the check (src/verifications/lifecycle.ts): its alarm, resends,
// the GET body, and what its end tells the statistics, the callback and the slow-delivery rule.
import { describe, expect, it } from "vitest";
import { approvalProvider, deliveryProvenByApproval, END_RETRY_MS, endChange, nextWake, resendRefusal, viewOf } from "../../../src/verifications/lifecycle";
import type { MessageRow, VerificationRow } from "../../../src/verifications/store";

const T0 = Date.parse("2026-12-07T23:59:00Z");
const RETENTION = 90 * 86_400_000;

const row = (patch: Partial<VerificationRow> = {}): VerificationRow => ({
  verification_id: "v-1",
  org: "ttd",
  idempotency_id: "k-1",
  fingerprint: "f",
  salt: "s",
  response: "{}",
  channel: "sms",
  status: "pending",
  attempts: 0,
  max_attempts: 5,
  created_at: T0,
  expires_at: T0 + 300_000,
  approved_at: null,
  ended_at: null,
  fallback_at: null,
  fallback_refused: null,
  end_sent: 0,
  ...patch,
});

const message = (n: number, patch: Partial<MessageRow> = {}): MessageRow => ({
  n,
  kind: n === 1 ? "first" : "resend",
  shipment_id: `s-${n}`,
  channel: "sms",
  resend_key: n === 1 ? null : `r-${n}`,
  response: "{}",
  status: "SMS_Accepted",
  provider: "primary",
  handed_over: 1,
  ended: 0,
  ...patch,
});

describe("when the verification's alarm fires next", () => {
  const now = T0 + 1_000;
  it.each([
    ["pending: at the expiry", row(), [], T0 + 300_000],
    ["pending with a fallback due first: at the fallback", row({ fallback_at: T0 + 30_000 }), [], T0 + 30_000],
    ["ended, the end not yet handed on: soon", row({ status: "approved" }), [message(1, { ended: 1 })], now + END_RETRY_MS],
    ["ended, a message not yet told: soon", row({ status: "expired", end_sent: 1 }), [message(1)], now + END_RETRY_MS],
    ["ended and settled: at retention", row({ status: "max_attempts", end_sent: 1 }), [message(1, { ended: 1 })], T0 + RETENTION],
  ] as const)("%s", (_, r, messages, expected) => {
    expect(nextWake(r, messages, now, RETENTION)).toBe(expected);
  });
});

describe("a resend", () => {
  it("goes while pending, at most twice (the fallback email not counted)", () => {
    expect(resendRefusal(row(), [message(1)], T0)).toBeNull();
    expect(resendRefusal(row(), [message(1), message(2), message(3, { kind: "fallback", channel: "email" })], T0)).toBeNull();
    expect(resendRefusal(row(), [message(1), message(2), message(3)], T0)).toBe("too_many");
  });
  it("never once no code can be approved, nor past the expiry before the alarm has ended it", () => {
    for (const status of ["approved", "expired", "max_attempts"] as const) expect(resendRefusal(row({ status }), [message(1)], T0)).toBe("not_pending");
    expect(resendRefusal(row(), [message(1)], T0 + 300_000)).toBe("not_pending");
  });
});

describe("what the end tells", () => {
  it("approved is credited to the provider of the last SMS handed over; an email or a message never handed over earns none", () => {
    expect(approvalProvider([message(1, { provider: "primary" }), message(2, { provider: "secondary" })])).toBe("secondary");
    expect(approvalProvider([message(1, { provider: "primary" }), message(2, { provider: "secondary", handed_over: 0 })])).toBe("primary");
    expect(approvalProvider([message(1, { channel: "email", provider: "acs" })])).toBeNull();
  });

  it("a right code proves the delivery of the verification's only SMS, for the slow-delivery rule; with two SMS it proves neither", () => {
    const approved = row({ status: "approved", approved_at: T0 + 5_000 });
    expect(deliveryProvenByApproval(approved, [message(1)])).toEqual({ provider: "primary", shipmentId: "s-1" });
    expect(deliveryProvenByApproval(approved, [message(1), message(2, { kind: "fallback", channel: "email" })])).toEqual({ provider: "primary", shipmentId: "s-1" });
    expect(deliveryProvenByApproval(approved, [message(1), message(2)])).toBeNull();
    expect(deliveryProvenByApproval(row({ status: "expired" }), [message(1)])).toBeNull();
    expect(deliveryProvenByApproval(approved, [message(1, { handed_over: 0 })])).toBeNull();
  });

  it("the end change counts on the UTC day the verification started and carries the GET body, never the code", () => {
    const ended = { ...row({ status: "approved", attempts: 2, approved_at: T0 + 120_000, ended_at: T0 + 120_000 }), status: "approved" as const };
    const change = endChange(ended, [message(1, { status: "SMS_Delivered" })]);
    expect(change).toEqual({
      kind: "verification",
      org: "ttd",
      verificationId: "v-1",
      channel: "sms",
      day: "2026-12-07",
      event: "approved",
      at: "2026-12-08T00:01:00.000Z",
      provider: "primary",
      view: viewOf(ended, [message(1, { status: "SMS_Delivered" })]),
    });
    expect(change.view).toEqual({
      verificationId: "v-1",
      status: "approved",
      attempts: 2,
      maxAttempts: 5,
      expiresAt: "2026-12-08T00:04:00.000Z",
      approvedAt: "2026-12-08T00:01:00.000Z",
      channel: "sms",
      shipments: [{ shipmentId: "s-1", channel: "sms", status: "SMS_Delivered" }],
    });
  });

  it("GET shows a refused fallback by its limit code", () => {
    expect(viewOf(row({ fallback_refused: "NOT-10003" }), []).fallbackRefused).toBe("NOT-10003");
  });
});
