import { describe, expect, it } from "vitest";
import { contentKeyId, contentKeysOf, openContent, sealContent } from "../../src/orders/content-cipher";
import { MAX_REQUEST_BYTES, UNICODE_HTML, utf8Length } from "../support/bodies";
import { previousSeal } from "../support/previous-version";

const newKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const key = newKey();
const only = (current: string | undefined) => ({ current, previous: [] });

describe("content cipher", () => {
  it("seals to ciphertext that opens only for the same shipment and key", async () => {
    const sealed = await sealContent(key, "shipment-a", "Your code is 428516");
    expect(sealed).not.toContain("428516");
    expect(await openContent(only(key), "shipment-a", sealed)).toBe("Your code is 428516");
    await expect(openContent(only(key), "shipment-b", sealed)).rejects.toThrow();
    const otherKey = newKey();
    await expect(openContent(only(otherKey), "shipment-a", sealed)).rejects.toThrow();
  });

  it("seals and opens a body as large as the request limit, any Unicode, byte for byte", async () => {
    const body = UNICODE_HTML.repeat(Math.ceil(MAX_REQUEST_BYTES / utf8Length(UNICODE_HTML)));
    expect(utf8Length(body)).toBeGreaterThanOrEqual(MAX_REQUEST_BYTES);
    const sealed = await sealContent(key, "shipment-a", body);
    expect(await openContent(only(key), "shipment-a", sealed)).toBe(body);
  });

  it("never seals the same text to the same ciphertext", async () => {
    expect(await sealContent(key, "s", "same")).not.toBe(await sealContent(key, "s", "same"));
  });

  it("refuses a missing or malformed key", async () => {
    await expect(sealContent(undefined, "s", "x")).rejects.toThrow(/CONTENT_KEY/);
    await expect(sealContent(btoa("short"), "s", "x")).rejects.toThrow(/32 bytes/);
  });

  it("names its key by an id derived from it (not the key), and a previous key still opens what it sealed", async () => {
    const [a, b] = [newKey(), newKey()];
    const sealed = await sealContent(a, "shipment-a", "Your code is 314159");
    const id = await contentKeyId(a);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    // Pinned: stored values name keys by it, and docs/operations.md shows how to compute it with Node.
    expect(await contentKeyId("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=")).toBe("264307cda3b523da");
    expect(sealed.startsWith(`k1.${id}.`)).toBe(true);
    expect(await contentKeyId(b)).not.toBe(id);
    // Rotated: b seals, a (among others) only opens.
    const rotated = contentKeysOf({ CONTENT_KEY: b, CONTENT_KEYS_PREVIOUS: ` ${newKey()}, ${a} ,` });
    expect(rotated.previous).toHaveLength(2);
    expect(await openContent(rotated, "shipment-a", sealed)).toBe("Your code is 314159");
    expect(await openContent(rotated, "shipment-a", await sealContent(b, "shipment-a", "new"))).toBe("new");
    // a dropped: the error names the missing key's id, never a key.
    const dropped = openContent(only(b), "shipment-a", sealed);
    await expect(dropped).rejects.toThrow(`sealed under content key ${id}, which is neither CONTENT_KEY nor in CONTENT_KEYS_PREVIOUS`);
    // A malformed previous entry fails only a value that needs it, and is named by its place.
    const malformed = contentKeysOf({ CONTENT_KEY: b, CONTENT_KEYS_PREVIOUS: "not-a-key" });
    expect(await openContent(malformed, "shipment-a", await sealContent(b, "shipment-a", "fine"))).toBe("fine");
    await expect(openContent(malformed, "shipment-a", sealed)).rejects.toThrow("CONTENT_KEYS_PREVIOUS entry 1 must be 32 bytes, base64-encoded");
  });

  it("opens what the previous version sealed (no key id) under the current key or any previous one (a rolling deploy across a rotation)", async () => {
    const [a, b] = [newKey(), newKey()];
    const sealed = await previousSeal(a, "shipment-a", "Your code is 271828");
    expect(await openContent(only(a), "shipment-a", sealed)).toBe("Your code is 271828");
    expect(await openContent({ current: b, previous: [newKey(), a] }, "shipment-a", sealed)).toBe("Your code is 271828");
    await expect(openContent({ current: b, previous: [newKey()] }, "shipment-a", sealed)).rejects.toThrow(
      "sealed without a key id, and neither CONTENT_KEY nor any key in CONTENT_KEYS_PREVIOUS opens it",
    );
    await expect(openContent(only(undefined), "shipment-a", sealed)).rejects.toThrow("CONTENT_KEY is not configured");
  });
});
