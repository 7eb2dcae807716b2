import { describe, expect, it } from "vitest";
import { openContent, sealContent } from "../../src/orders/content-cipher";
import { MAX_REQUEST_BYTES, UNICODE_HTML, utf8Length } from "../support/bodies";

const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

describe("content cipher", () => {
  it("seals to ciphertext that opens only for the same shipment and key", async () => {
    const sealed = await sealContent(key, "shipment-a", "Your code is 428516");
    expect(sealed).not.toContain("428516");
    expect(await openContent(key, "shipment-a", sealed)).toBe("Your code is 428516");
    await expect(openContent(key, "shipment-b", sealed)).rejects.toThrow();
    const otherKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    await expect(openContent(otherKey, "shipment-a", sealed)).rejects.toThrow();
  });

  it("seals and opens a body as large as the request limit, any Unicode, byte for byte", async () => {
    const body = UNICODE_HTML.repeat(Math.ceil(MAX_REQUEST_BYTES / utf8Length(UNICODE_HTML)));
    expect(utf8Length(body)).toBeGreaterThanOrEqual(MAX_REQUEST_BYTES);
    const sealed = await sealContent(key, "shipment-a", body);
    expect(await openContent(key, "shipment-a", sealed)).toBe(body);
  });

  it("never seals the same text to the same ciphertext", async () => {
    expect(await sealContent(key, "s", "same")).not.toBe(await sealContent(key, "s", "same"));
  });

  it("refuses a missing or malformed key", async () => {
    await expect(sealContent(undefined, "s", "x")).rejects.toThrow(/CONTENT_KEY/);
    await expect(sealContent(btoa("short"), "s", "x")).rejects.toThrow(/32 bytes/);
  });
});
