import { describe, expect, it } from "vitest";
import { manifestOf } from "../../../src/status/manifest";
import type { ShipmentStatusEvent } from "../../../src/webhooks/events";
import { applyPut, makesSecret, putAnswer, ROTATION_OVERLAP_MS, signingSecrets, subscriptionView, wants } from "../../../src/webhooks/subscription";

const T0 = Date.parse("2026-11-29T08:00:00Z");
const put = (url = "https://example.com/cb", events: "final" | "all" = "final", rotateSecret?: boolean) => ({ url, events, ...(rotateSecret !== undefined ? { rotateSecret } : {}) });

function event(overrides: Partial<ShipmentStatusEvent> = {}): ShipmentStatusEvent {
  return {
    eventId: "s.1",
    org: "ttd",
    shipmentId: "s",
    seq: 1,
    status: "SMS_Delivered",
    final: true,
    at: new Date(T0 + 1000).toISOString(),
    manifest: manifestOf({ shipmentId: "s", channel: "sms", destination: "+4799999999", status: "SMS_Delivered", lastUpdate: "2026-11-29T08:00:01.000Z" }),
    ...overrides,
  };
}

describe("PUT on the subscription", () => {
  it("makes the secret on first creation and keeps it, with createdAt, on replace", () => {
    const first = applyPut(null, "ttd", put(), T0);
    expect(first).toMatchObject({ org: "ttd", created_at: T0, updated_at: T0, disabled_reason: null, previous_secret: null });
    const second = applyPut(first, "ttd", put("https://example.com/other", "all"), T0 + 5);
    expect(second).toMatchObject({ url: "https://example.com/other", events: "all", secret: first.secret, created_at: T0, updated_at: T0 + 5 });
  });

  it("rotates: a new secret, the old one signing too for 24 hours, then only the new one", () => {
    const first = applyPut(null, "ttd", put(), T0);
    const rotated = applyPut(first, "ttd", put(undefined, undefined, true), T0 + 10);
    expect(rotated.secret).not.toBe(first.secret);
    expect(rotated.previous_secret).toBe(first.secret);
    expect(signingSecrets(rotated, T0 + 10)).toEqual([rotated.secret, first.secret]);
    expect(signingSecrets(rotated, T0 + 10 + ROTATION_OVERLAP_MS - 1)).toEqual([rotated.secret, first.secret]);
    expect(signingSecrets(rotated, T0 + 10 + ROTATION_OVERLAP_MS)).toEqual([rotated.secret]);
    expect(ROTATION_OVERLAP_MS).toBe(24 * 3600 * 1000);
  });

  it.each([
    { put: "the first PUT", existing: false, rotateSecret: undefined, shown: true },
    { put: "a later PUT", existing: true, rotateSecret: undefined, shown: false },
    { put: "a later PUT with rotateSecret null", existing: true, rotateSecret: null, shown: false },
    { put: "a later PUT with rotateSecret false", existing: true, rotateSecret: false, shown: false },
    { put: "a rotation", existing: true, rotateSecret: true, shown: true },
    { put: "a first PUT that asks for a rotation", existing: false, rotateSecret: true, shown: true },
  ])("$put: the secret is in the answer: $shown", ({ existing, rotateSecret, shown }) => {
    const before = existing ? applyPut(null, "ttd", put(), T0) : null;
    const request = { ...put(), rotateSecret };
    const secretMade = makesSecret(before, request);
    const row = applyPut(before, "ttd", request, T0 + 1);
    const answer = putAnswer(row, secretMade);
    expect(secretMade).toBe(shown);
    expect(answer.secret).toBe(shown ? row.secret : undefined);
    expect("secret" in answer).toBe(shown);
    expect(JSON.stringify(answer).includes("whsec_")).toBe(shown);
  });

  it("re-enables a disabled subscription", () => {
    const disabled = { ...applyPut(null, "ttd", put(), T0), disabled_reason: "410" };
    expect(subscriptionView(disabled)).toMatchObject({ disabled: true, disabledReason: "410" });
    const again = applyPut(disabled, "ttd", put(), T0 + 1);
    expect(again.disabled_reason).toBeNull();
    expect(subscriptionView(again)).toEqual({ url: "https://example.com/cb", events: "final", createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0 + 1).toISOString(), disabled: false });
    expect(JSON.stringify(subscriptionView(again))).not.toContain("whsec_");
  });
});

describe("which events a subscription wants", () => {
  const finalOnly = applyPut(null, "ttd", put(), T0);
  const all = applyPut(null, "ttd", put(undefined, "all"), T0);

  it("final: only final statuses; all: every status", () => {
    expect(wants(finalOnly, event())).toBe(true);
    expect(wants(finalOnly, event({ status: "SMS_Accepted", final: false }))).toBe(false);
    expect(wants(all, event({ status: "SMS_Accepted", final: false }))).toBe(true);
    expect(wants(all, event())).toBe(true);
  });

  it("only changes from the subscription's creation on", () => {
    expect(wants(all, event({ at: new Date(T0 - 1).toISOString() }))).toBe(false);
    expect(wants(all, event({ at: new Date(T0).toISOString() }))).toBe(true);
    expect(wants(all, event({ at: "not a time" }))).toBe(false);
  });

  it("never another organisation's", () => expect(wants(all, event({ org: "other" }))).toBe(false));
});
