import { describe, it, expect } from "vitest";
import { isValidSmsSender } from "../../src/orders/sms-sender";

describe("isValidSmsSender: alphanumeric", () => {
  it.each(["Altinn", "A", "NAV", "Skatteetat", "Oslo Kommun", "Bank 24", "1a", "ABCdef12345", " Altinn "])(
    "accepts %j",
    (sender) => {
      expect(isValidSmsSender(sender)).toBe(true);
    },
  );

  it("accepts 11 characters and rejects 12", () => {
    expect(isValidSmsSender("A".repeat(11))).toBe(true);
    expect(isValidSmsSender("A".repeat(12))).toBe(false);
    expect(isValidSmsSender("Skatteetaten")).toBe(false);
  });

  it.each([
    ["empty", ""],
    ["only spaces", "   "],
    ["non-ASCII letter", "Bærum"],
    ["hyphen", "Alt-inn"],
    ["dot", "Altinn.no"],
    ["underscore", "Alt_inn"],
    ["plus with letters", "+Altinn"],
    ["newline", "Altinn\n"],
    ["tab", "Alt\tinn"],
  ])("rejects %s", (_label, sender) => {
    expect(isValidSmsSender(sender)).toBe(false);
  });
});

describe("isValidSmsSender: numeric", () => {
  it.each(["2270", "4799999999", "+4799999999", "1", "+1", "123456789012345", "+123456789012345"])("accepts %j", (sender) => {
    expect(isValidSmsSender(sender)).toBe(true);
  });

  it("accepts 15 digits and rejects 16, with or without +", () => {
    expect(isValidSmsSender("1".repeat(15))).toBe(true);
    expect(isValidSmsSender("1".repeat(16))).toBe(false);
    expect(isValidSmsSender(`+${"1".repeat(15)}`)).toBe(true);
    expect(isValidSmsSender(`+${"1".repeat(16)}`)).toBe(false);
  });

  it.each([
    ["bare plus", "+"],
    ["plus not leading", "47+99999999"],
    ["double plus", "++4799999999"],
    ["spaces in a long number", "+47 999 99 999"],
    ["hyphens", "47-99-99"],
  ])("rejects %s", (_label, sender) => {
    expect(isValidSmsSender(sender)).toBe(false);
  });

  it("rejects digits with a space: no letter, so not alphanumeric, and not a plain number", () => {
    expect(isValidSmsSender("12 34")).toBe(false);
  });
});
