import { describe, it, expect } from "vitest";
import { isValidEmailAddress } from "../../../src/orders/email-address";

describe("isValidEmailAddress: accepted", () => {
  it.each([
    "user@example.com",
    "first.last+tag@sub.example.no",
    "UPPER@EXAMPLE.COM",
    "a@b.co",
    "x_y-z@my-host.example.org",
    "!#$%&'*+/=?^_`{|}~-@example.com",
    "bounce@sandbox.example",
    "user@xn--b-5ga.no",
    "user@a--b.no",
    "user@123.example.com",
  ])("%s", (address) => {
    expect(isValidEmailAddress(address)).toBe(true);
  });

  it.each(["ola@bø.no", "ola@nordmann.bø", "kari@ÆRØ.NO", "post@sjøåsen.no"])("allows æøå in the domain, as Altinn does: %s", (address) => {
    expect(isValidEmailAddress(address)).toBe(true);
  });

  it.each(["øyvind@example.no", "ÆRLIG@example.no", "kari.bø+otp@example.no", "åse.æ-ø@blåbær.no"])(
    "allows æøå (either case) in the local part, as Altinn does: %s",
    (address) => {
      expect(isValidEmailAddress(address)).toBe(true);
    },
  );
});

describe("isValidEmailAddress: rejected form", () => {
  it.each([
    ["empty", ""],
    ["no @", "user.example.com"],
    ["two @", "user@host@example.com"],
    ["empty local part", "@example.com"],
    ["empty domain", "user@"],
    ["quoted local part", '"john doe"@example.com'],
    ["quoted local part with @", '"a@b"@example.com'],
    ["IPv4 literal", "user@[192.168.0.1]"],
    ["IPv6 literal", "user@[IPv6:2001:db8::1]"],
    ["bare IP address as domain", "user@192.168.0.1"],
    ["double dot in local part", "first..last@example.com"],
    ["leading dot in local part", ".user@example.com"],
    ["trailing dot in local part", "user.@example.com"],
    ["double dot in domain", "user@example..com"],
    ["leading dot in domain", "user@.example.com"],
    ["trailing dot in domain", "user@example.com."],
    ["domain without TLD", "user@localhost"],
    ["1-letter TLD", "user@example.c"],
    ["numeric TLD", "user@example.123"],
    ["TLD with digit", "user@example.c0m"],
    ["TLD with hyphen", "user@example.co-m"],
    ["label starting with hyphen", "user@-example.com"],
    ["label ending with hyphen", "user@example-.com"],
    ["underscore in domain", "user@my_host.com"],
    ["space in local part", "john doe@example.com"],
    ["space in domain", "user@exa mple.com"],
    // The request schema trims an address before this rule sees it; the rule itself takes no spaces.
    ["leading space", " user@example.com"],
    ["trailing space", "user@example.com "],
    ["CR LF injection", "user@example.com\r\nBcc: victim@example.com"],
    ["LF", "user@example.com\n"],
    ["CR in local part", "us\rer@example.com"],
    ["tab", "user\t@example.com"],
    ["NUL", "user\u0000@example.com"],
    ["non-ASCII local part other than æøå", "jürgen@example.de"],
    ["ñ in the local part", "señor@example.es"],
    ["Kelvin sign posing as k", "user@example.\u212Aom"],
    ["long s posing as s", "user@example.\u017Fe"],
    ["comment", "user(comment)@example.com"],
    ["angle brackets", "<user@example.com>"],
    ["display name", "User <user@example.com>"],
  ])("%s", (_label, address) => {
    expect(isValidEmailAddress(address)).toBe(false);
  });
});

describe("isValidEmailAddress: lengths", () => {
  // Builds a domain of 63-letter labels to reach an exact total length.
  function addressOfLength(total: number): string {
    const local = "u";
    const tld = ".no";
    let middle = "";
    let remaining = total - local.length - 1 - tld.length;
    while (remaining > 0) {
      const label = Math.min(63, remaining - (middle ? 1 : 0));
      middle += (middle ? "." : "") + "a".repeat(label);
      remaining = total - local.length - 1 - tld.length - middle.length;
    }
    return `${local}@${middle}${tld}`;
  }

  it("accepts 254 characters and rejects 255", () => {
    const at254 = addressOfLength(254);
    const at255 = addressOfLength(255);
    expect(at254).toHaveLength(254);
    expect(at255).toHaveLength(255);
    expect(isValidEmailAddress(at254)).toBe(true);
    expect(isValidEmailAddress(at255)).toBe(false);
  });

  it("accepts a 64-character local part and rejects 65", () => {
    expect(isValidEmailAddress(`${"a".repeat(64)}@example.com`)).toBe(true);
    expect(isValidEmailAddress(`${"a".repeat(65)}@example.com`)).toBe(false);
  });

  it("accepts a 63-character label and rejects 64", () => {
    expect(isValidEmailAddress(`user@${"a".repeat(63)}.com`)).toBe(true);
    expect(isValidEmailAddress(`user@${"a".repeat(64)}.com`)).toBe(false);
  });

  it("accepts a 63-letter TLD and rejects 64", () => {
    expect(isValidEmailAddress(`user@example.${"a".repeat(63)}`)).toBe(true);
    expect(isValidEmailAddress(`user@example.${"a".repeat(64)}`)).toBe(false);
  });
});
