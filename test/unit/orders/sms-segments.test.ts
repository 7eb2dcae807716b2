import { describe, it, expect } from "vitest";
import { countSmsSegments, MAX_SMS_SEGMENTS } from "../../../src/orders/sms-segments";

const EMOJI = "😀"; // one code point, two UTF-16 units (a surrogate pair)

describe("countSmsSegments: encoding", () => {
  it("an empty body needs no segments", () => {
    expect(countSmsSegments("")).toEqual({ encoding: "GSM-7", units: 0, segments: 0 });
  });

  it("uses GSM-7 for the whole basic set, including Nordic letters and Greek capitals", () => {
    const basic =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    expect(countSmsSegments(basic)).toEqual({ encoding: "GSM-7", units: basic.length, segments: 1 });
  });

  it("counts each extension character as two septets", () => {
    for (const c of ["^", "{", "}", "\\", "[", "~", "]", "|", "€", "\f"]) {
      expect(countSmsSegments(c)).toEqual({ encoding: "GSM-7", units: 2, segments: 1 });
    }
    expect(countSmsSegments("Pris: 10€ [ok]").units).toBe(14 + 3);
  });

  it("falls back to UCS-2 for any character outside GSM-7, counting UTF-16 units", () => {
    expect(countSmsSegments("Kode: 1234 ç")).toEqual({ encoding: "UCS-2", units: 12, segments: 1 });
    expect(countSmsSegments("Привет")).toEqual({ encoding: "UCS-2", units: 6, segments: 1 });
    expect(countSmsSegments(`hi ${EMOJI}`)).toEqual({ encoding: "UCS-2", units: 5, segments: 1 });
  });

  it("treats a raw ESC, tab and backtick as outside GSM-7", () => {
    expect(countSmsSegments("a\u001Bb").encoding).toBe("UCS-2");
    expect(countSmsSegments("a\tb").encoding).toBe("UCS-2");
    expect(countSmsSegments("a`b").encoding).toBe("UCS-2");
  });
});

describe("countSmsSegments: GSM-7 boundaries", () => {
  it("fits 160 septets in one segment and needs two for 161", () => {
    expect(countSmsSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(countSmsSegments("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, segments: 2 });
  });

  it("counts extension characters toward the single-part limit", () => {
    expect(countSmsSegments("a".repeat(158) + "€").segments).toBe(1);
    expect(countSmsSegments("a".repeat(159) + "€").segments).toBe(2);
  });

  it("uses 153 septets per part once split", () => {
    expect(countSmsSegments("a".repeat(306)).segments).toBe(2);
    expect(countSmsSegments("a".repeat(307)).segments).toBe(3);
  });

  it("fits 153 × 16 = 2448 septets in the maximum and needs one more part for 2449", () => {
    expect(countSmsSegments("a".repeat(2448))).toEqual({ encoding: "GSM-7", units: 2448, segments: MAX_SMS_SEGMENTS });
    expect(countSmsSegments("a".repeat(2449)).segments).toBe(MAX_SMS_SEGMENTS + 1);
  });

  it("never splits an escape pair across parts", () => {
    // 152 + 2 would straddle the 153 boundary, so "€" moves whole to part two: 152 | 2 + 152 = 154 → 3 parts.
    const straddling = "a".repeat(152) + "€" + "a".repeat(152);
    expect(countSmsSegments(straddling)).toEqual({ encoding: "GSM-7", units: 306, segments: 3 });
    // The same septet count without the straddle fits in two.
    const aligned = "a".repeat(151) + "€" + "a".repeat(153);
    expect(countSmsSegments(aligned)).toEqual({ encoding: "GSM-7", units: 306, segments: 2 });
  });

  it("lets an escape pair end a part exactly", () => {
    expect(countSmsSegments("a".repeat(151) + "€" + "a".repeat(10)).segments).toBe(2);
  });
});

describe("countSmsSegments: UCS-2 boundaries", () => {
  it("fits 70 units in one segment and needs two for 71", () => {
    expect(countSmsSegments("ж".repeat(70))).toEqual({ encoding: "UCS-2", units: 70, segments: 1 });
    expect(countSmsSegments("ж".repeat(71))).toEqual({ encoding: "UCS-2", units: 71, segments: 2 });
  });

  it("uses 67 units per part once split", () => {
    expect(countSmsSegments("ж".repeat(134)).segments).toBe(2);
    expect(countSmsSegments("ж".repeat(135)).segments).toBe(3);
  });

  it("fits 67 × 16 = 1072 units in the maximum and needs one more part for 1073", () => {
    expect(countSmsSegments("ж".repeat(1072))).toEqual({ encoding: "UCS-2", units: 1072, segments: MAX_SMS_SEGMENTS });
    expect(countSmsSegments("ж".repeat(1073)).segments).toBe(MAX_SMS_SEGMENTS + 1);
  });

  it("counts a surrogate pair as two units toward the single-part limit", () => {
    expect(countSmsSegments("ж".repeat(68) + EMOJI).segments).toBe(1);
    expect(countSmsSegments("ж".repeat(69) + EMOJI).segments).toBe(2);
  });

  it("never splits a surrogate pair across parts", () => {
    // 66 + 2 would straddle the 67 boundary, so the emoji moves whole: 66 | 2 + 66 = 68 → 3 parts.
    const straddling = "ж".repeat(66) + EMOJI + "ж".repeat(66);
    expect(countSmsSegments(straddling)).toEqual({ encoding: "UCS-2", units: 134, segments: 3 });
    const aligned = "ж".repeat(65) + EMOJI + "ж".repeat(67);
    expect(countSmsSegments(aligned)).toEqual({ encoding: "UCS-2", units: 134, segments: 2 });
  });

  it("packs a body of only emoji at 33 per part, not 33.5", () => {
    // 35 emoji = 70 units: single part. 36 = 72 units: 33 + 3 emoji → 2 parts.
    expect(countSmsSegments(EMOJI.repeat(35)).segments).toBe(1);
    expect(countSmsSegments(EMOJI.repeat(36)).segments).toBe(2);
    // 67 emoji = 134 units: would be 2 parts by arithmetic, but 33 + 33 + 1 → 3.
    expect(countSmsSegments(EMOJI.repeat(67))).toEqual({ encoding: "UCS-2", units: 134, segments: 3 });
  });
});

describe("MAX_SMS_SEGMENTS", () => {
  it("is the contract's 16", () => {
    expect(MAX_SMS_SEGMENTS).toBe(16);
  });
});
