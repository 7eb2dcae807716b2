import { describe, it, expect } from "vitest";
import { normalizePhoneNumber } from "../../../src/orders/phone-number";

function rejectionOf(input: string): string {
  const result = normalizePhoneNumber(input);
  if (result.ok) throw new Error(`expected ${input} to be rejected, got ${result.e164}`);
  return result.message;
}

describe("normalizePhoneNumber: accepted", () => {
  it("accepts a Norwegian mobile number in E.164", () => {
    expect(normalizePhoneNumber("+4799999999")).toEqual({ ok: true, e164: "+4799999999" });
  });

  it("accepts every sandbox recipient", () => {
    for (const n of ["+4740000001", "+4740000002", "+4740000003", "+4740000004", "+4740000005", "+4740000006", "+4799999999"]) {
      expect(normalizePhoneNumber(n)).toEqual({ ok: true, e164: n });
    }
  });

  it("reads 00 as + and answers E.164", () => {
    expect(normalizePhoneNumber("004799999999")).toEqual({ ok: true, e164: "+4799999999" });
    expect(normalizePhoneNumber("00447911123456")).toEqual({ ok: true, e164: "+447911123456" });
  });

  it("trims surrounding whitespace and drops inner spaces and hyphens", () => {
    expect(normalizePhoneNumber("  +47 999 99 999\t")).toEqual({ ok: true, e164: "+4799999999" });
    expect(normalizePhoneNumber("+47-400-00-001")).toEqual({ ok: true, e164: "+4740000001" });
    expect(normalizePhoneNumber("0047 400 00 006")).toEqual({ ok: true, e164: "+4740000006" });
  });

  it("accepts mobile numbers from other countries", () => {
    expect(normalizePhoneNumber("+447911123456")).toEqual({ ok: true, e164: "+447911123456" });
    expect(normalizePhoneNumber("+33612345678")).toEqual({ ok: true, e164: "+33612345678" });
    expect(normalizePhoneNumber("+4917999999999")).toEqual({ ok: true, e164: "+4917999999999" });
  });

  it("accepts a number that may be fixed line or mobile (North America)", () => {
    expect(normalizePhoneNumber("+1 202 555 0123")).toEqual({ ok: true, e164: "+12025550123" });
  });

  it("accepts VoIP, personal and pager numbers, which can take SMS", () => {
    expect(normalizePhoneNumber("+4785000000")).toEqual({ ok: true, e164: "+4785000000" }); // NO VoIP
    expect(normalizePhoneNumber("+447012345678")).toEqual({ ok: true, e164: "+447012345678" }); // UK personal
    expect(normalizePhoneNumber("+447640123456")).toEqual({ ok: true, e164: "+447640123456" }); // UK pager
  });
});

describe("normalizePhoneNumber: wrong form", () => {
  it("rejects a number without + or 00", () => {
    expect(rejectionOf("4799999999")).toBe("Must start with + or 00 and a country code.");
    expect(rejectionOf("99999999")).toBe("Must start with + or 00 and a country code.");
    expect(rejectionOf("047 99999999")).toBe("Must start with + or 00 and a country code.");
  });

  it("rejects empty, blank and a bare prefix", () => {
    expect(rejectionOf("")).toBe("Must start with + or 00 and a country code.");
    expect(rejectionOf("   ")).toBe("Must start with + or 00 and a country code.");
    expect(rejectionOf("+")).toBe("Must start with + or 00 and a country code.");
    expect(rejectionOf("00")).toBe("Must start with + or 00 and a country code.");
  });

  it("rejects letters, even trailing ones libphonenumber would ignore", () => {
    expect(rejectionOf("+47abc")).toBe("May contain only digits, spaces and hyphens after the prefix.");
    expect(rejectionOf("+4799999999abc")).toBe("May contain only digits, spaces and hyphens after the prefix.");
    expect(rejectionOf("+1 800 FLOWERS")).toBe("May contain only digits, spaces and hyphens after the prefix.");
  });

  it("rejects extensions, brackets, dots and a second plus", () => {
    for (const input of ["+47 999 99 999 ext 1", "+47(999)99999", "+47.999.99.999", "++4799999999", "00+4799999999"]) {
      expect(normalizePhoneNumber(input).ok, input).toBe(false);
    }
  });
});

describe("normalizePhoneNumber: invalid for its country code", () => {
  it("rejects numbers too short or too long", () => {
    expect(rejectionOf("+4799999")).toBe("Not a valid phone number for its country code.");
    expect(rejectionOf("+4799999999999999")).toBe("Not a valid phone number for its country code.");
  });

  it("rejects a number in an unassigned range", () => {
    expect(rejectionOf("+4759000000")).toBe("Not a valid phone number for its country code.");
  });

  it("rejects an unknown country code", () => {
    expect(rejectionOf("+999123456789")).toBe("Not a valid phone number for its country code.");
  });
});

/** A valid number whose type cannot take SMS: accepted in E.164, flagged with the reason. */
function noSmsOf(input: string): { e164: string; noSms?: string } {
  const result = normalizePhoneNumber(input);
  if (!result.ok) throw new Error(`expected ${input} to be valid, got: ${result.message}`);
  return { e164: result.e164, ...(result.noSms ? { noSms: result.noSms } : {}) };
}

// Altinn registers these (its validator checks only that the number is valid) and its SMS gateway
// fails them; here they are registered and fail at once, so each is flagged with its type.
describe("normalizePhoneNumber: valid types that cannot receive SMS are accepted and flagged", () => {
  it("flags a Norwegian and a French fixed-line number", () => {
    expect(noSmsOf("+4722000000")).toEqual({ e164: "+4722000000", noSms: "A fixed-line number cannot receive SMS." });
    expect(noSmsOf("0033 1 23 45 67 89")).toEqual({ e164: "+33123456789", noSms: "A fixed-line number cannot receive SMS." });
  });

  it("flags premium-rate numbers", () => {
    expect(noSmsOf("+449090000000").noSms).toBe("A premium-rate number cannot receive SMS."); // UK 0909
    expect(noSmsOf("+4782012345").noSms).toBe("A premium-rate number cannot receive SMS."); // NO 820
  });

  it("flags toll-free numbers", () => {
    expect(noSmsOf("+4780012345").noSms).toBe("A toll-free number cannot receive SMS."); // NO 800
    expect(noSmsOf("+448001111111").noSms).toBe("A toll-free number cannot receive SMS."); // UK 0800
  });

  it("flags shared-cost numbers", () => {
    expect(noSmsOf("+33810123456").noSms).toBe("A shared-cost number cannot receive SMS.");
  });

  it("flags voicemail numbers", () => {
    expect(noSmsOf("+4781212345").noSms).toBe("A voicemail number cannot receive SMS.");
  });

  it("flags universal access numbers", () => {
    expect(noSmsOf("+4781012345").noSms).toBe("A universal access number cannot receive SMS.");
  });

  it("does not flag mobile numbers, nor types that usually reach a handset", () => {
    for (const n of ["+4799999999", "+447911123456", "+4785000000", "+447012345678", "+447640123456"]) expect(noSmsOf(n).noSms, n).toBeUndefined();
  });
});

describe("normalizePhoneNumber: messages", () => {
  it("never echoes the number back", () => {
    for (const input of ["4799999999", "+47abc123", "+4799999"]) {
      const message = rejectionOf(input);
      expect(message).not.toMatch(/\d{3}/);
      expect(message).not.toContain(input);
    }
    for (const input of ["+4722000000", "+449090000000"]) expect(noSmsOf(input).noSms).not.toMatch(/\d{3}/);
  });
});
