import { describe, expect, it } from "vitest";
import { mapEmailEvent, mapEmailSendError } from "../../../src/providers/cloudflare-email/status-map";
import { EMAIL_FINAL } from "../../../src/status/statuses";

describe("mapEmailSendError", () => {
  const cases: [code: string, expected: object][] = [
    ["E_RECIPIENT_SUPPRESSED", { kind: "final", status: "Email_Failed_SuppressedRecipient" }],
    ["E_VALIDATION_ERROR", { kind: "final", status: "Email_Failed_InvalidFormat" }],
    ["E_RATE_LIMIT_EXCEEDED", { kind: "transient" }],
    ["E_INTERNAL_SERVER_ERROR", { kind: "transient" }],
    ["E_DELIVERY_FAILED", { kind: "final", status: "Email_Failed" }],
    ["E_SENDER_NOT_VERIFIED", { kind: "final", status: "Email_Failed" }],
    ["E_SENDER_DOMAIN_NOT_AVAILABLE", { kind: "final", status: "Email_Failed" }],
    ["E_RECIPIENT_NOT_ALLOWED", { kind: "final", status: "Email_Failed" }],
    ["E_FIELD_MISSING", { kind: "final", status: "Email_Failed" }],
    ["E_TOO_MANY_RECIPIENTS", { kind: "final", status: "Email_Failed" }],
    ["E_CONTENT_TOO_LARGE", { kind: "final", status: "Email_Failed" }],
    ["E_HEADER_NOT_ALLOWED", { kind: "final", status: "Email_Failed" }],
    ["E_HEADERS_TOO_LARGE", { kind: "final", status: "Email_Failed" }],
    ["E_SOMETHING_NEW", { kind: "transient" }],
    ["constructor", { kind: "transient" }],
  ];
  for (const [code, expected] of cases) {
    it(`maps ${code}`, () => {
      expect(mapEmailSendError(code)).toEqual({ ...expected, detail: code });
    });
  }

  it("ends at once on the used-up daily quota, saying so, as the provider's outage", () => {
    expect(mapEmailSendError("E_DAILY_LIMIT_EXCEEDED")).toEqual({
      kind: "final",
      status: "Email_Failed",
      detail: "the deployment's daily sending quota at Cloudflare Email Service is used up (E_DAILY_LIMIT_EXCEEDED); nothing was sent",
      providerOutage: "daily_quota",
    });
  });

  it("retries when there is no code (network or non-provider error)", () => {
    expect(mapEmailSendError(undefined)).toEqual({ kind: "transient" });
    expect(mapEmailSendError("")).toEqual({ kind: "transient" });
  });

  it("returns a fresh object, so a caller cannot corrupt the table", () => {
    const first = mapEmailSendError("E_DELIVERY_FAILED") as { status: string };
    first.status = "Email_Delivered";
    expect(mapEmailSendError("E_DELIVERY_FAILED")).toMatchObject({ status: "Email_Failed" });
  });
});

/** An event in the shape of Cloudflare's email sending events, with `payload` fields overridable. */
function event(kind: string, payload: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: `cf.email.sending.message.${kind}`,
    source: { type: "email.sending", zoneId: "zone", domain: "example.com" },
    payload: {
      eventId: "evt-1",
      messageId: "msg-1",
      sender: "noreply@example.com",
      recipient: "ola@example.org",
      subject: "Hei",
      terminal: kind !== "deferred",
      delivery: { status: kind, smtpStatusCode: "250" },
      ...payload,
    },
    metadata: { accountId: "acc", eventSubscriptionId: "sub", eventSchemaVersion: 1, eventTimestamp: "2026-01-01T00:00:00Z" },
  };
}

describe("mapEmailEvent", () => {
  it("returns the correlation keys with the outcome", () => {
    expect(mapEmailEvent(event("delivered"))).toEqual({
      messageId: "msg-1",
      recipient: "ola@example.org",
      eventId: "evt-1",
      eventType: "delivered",
      outcome: { kind: "final", status: "Email_Delivered" },
    });
  });

  const outcomes: [kind: string, payload: Record<string, unknown>, outcome: object][] = [
    ["bounced", { bounce: { type: "hard", classification: "permanent_failure", reason: "550 no such user" } }, { kind: "final", status: "Email_Failed_Bounced" }],
    ["bounced", { bounce: { type: "soft", classification: "temporary_failure", reason: "mailbox full" } }, { kind: "final", status: "Email_Failed_Bounced" }],
    ["failed", { failure: { reason: "delivery_failed" } }, { kind: "final", status: "Email_Failed" }],
    ["rejected", { rejection: { reason: "suppressed", party: "recipient", detail: "on list" } }, { kind: "final", status: "Email_Failed_SuppressedRecipient", detail: "suppressed" }],
    ["rejected", { rejection: { reason: "spam" } }, { kind: "final", status: "Email_Failed_FilteredSpam", detail: "spam" }],
    ["rejected", { rejection: { reason: "Content flagged as SPAM" } }, { kind: "final", status: "Email_Failed_FilteredSpam", detail: "Content flagged as SPAM" }],
    ["rejected", { rejection: { reason: "validation" } }, { kind: "final", status: "Email_Failed_InvalidFormat", detail: "validation" }],
    ["rejected", { rejection: { reason: "invalid_recipient" } }, { kind: "final", status: "Email_Failed_InvalidFormat", detail: "invalid_recipient" }],
    ["rejected", { rejection: { reason: "policy" } }, { kind: "final", status: "Email_Failed", detail: "policy" }],
    ["rejected", {}, { kind: "final", status: "Email_Failed" }],
    ["deferred", { delivery: { status: "deferred", smtpStatusCode: "451" } }, { kind: "ignore" }],
    ["complained", { complaint: { type: "abuse" } }, { kind: "ignore" }],
    ["opened", {}, { kind: "ignore" }], // a future event name: well-formed, changes nothing
  ];
  for (const [kind, payload, outcome] of outcomes) {
    it(`maps ${kind} ${JSON.stringify(payload)} to ${JSON.stringify(outcome)}`, () => {
      expect(mapEmailEvent(event(kind, payload))?.outcome).toEqual(outcome);
    });
  }

  it("does not treat a suppression detail mentioning spam as anything but suppressed", () => {
    const e = event("rejected", { rejection: { reason: "suppressed", detail: "spam complaint" } });
    expect(mapEmailEvent(e)?.outcome).toMatchObject({ status: "Email_Failed_SuppressedRecipient" });
  });

  it("reports the event name so an ignored complaint can still be logged", () => {
    expect(mapEmailEvent(event("complained"))?.eventType).toBe("complained");
  });

  it("only ever reports contract final statuses as final", () => {
    for (const [kind, payload] of outcomes) {
      const outcome = mapEmailEvent(event(kind, payload))?.outcome;
      if (outcome?.kind === "final") expect(EMAIL_FINAL).toContain(outcome.status);
    }
  });

  it("returns null for malformed bodies", () => {
    const valid = event("delivered");
    const payload = valid.payload as Record<string, unknown>;
    const malformed: unknown[] = [
      null,
      "cf.email.sending.message.delivered",
      42,
      {},
      { ...valid, type: "cf.email.routing.message.delivered" },
      { ...valid, type: undefined },
      { ...valid, payload: undefined },
      { ...valid, payload: { ...payload, eventId: undefined } },
      { ...valid, payload: { ...payload, eventId: "" } },
      { ...valid, payload: { ...payload, messageId: 7 } },
      { ...valid, payload: { ...payload, recipient: undefined } },
    ];
    for (const body of malformed) expect(mapEmailEvent(body)).toBeNull();
  });

  it("tolerates fields it does not know", () => {
    const e = event("delivered", { newField: { nested: true } });
    expect(mapEmailEvent({ ...e, extra: 1 })?.outcome).toEqual({ kind: "final", status: "Email_Delivered" });
  });
});
