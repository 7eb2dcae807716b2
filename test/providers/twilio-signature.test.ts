import { describe, expect, it } from "vitest";
import { twilioSignature, verifyTwilioSignature } from "../../src/providers/twilio/signature";

// Vectors from twilio-node's spec/validation.spec.js, recomputed.
const TOKEN = "12345";
const U = "https://mycompany.com/myapp.php?foo=1&bar=2";
const P: [string, string][] = [
  ["CallSid", "CA1234567890ABCDE"],
  ["Caller", "+14158675309"],
  ["Digits", "1234"],
  ["From", "+14158675309"],
  ["To", "+18005551212"],
];
const SIG_U_P = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
const SIG_U443_P = "kvajT1Ptam85bY51eRf/AJRuM3w=";

const VECTORS: { name: string; url: string; params: [string, string][]; signature: string }[] = [
  { name: "U, P", url: U, params: P, signature: SIG_U_P },
  { name: "U with :443, P", url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", params: P, signature: SIG_U443_P },
  { name: "U with an escaped quote in the query", url: `${U}&Body=It%27s+amazing`, params: P, signature: "TfZzewPq8wqrGlMfyAud8+/IvJ0=" },
  {
    name: "repeated name (values de-duplicated and sorted)",
    url: U,
    params: [["Sid", "CA123"], ["SidAccount", "AC123"], ["Digits", "5678"], ["Digits", "1234"], ["Digits", "1234"]],
    signature: "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
  },
  {
    name: "bodySHA256 URL, no params",
    url: `${U}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`,
    params: [],
    signature: "a9nBmqA0ju/hNViExpshrM61xv4=",
  },
];

describe("twilioSignature", () => {
  for (const v of VECTORS) {
    it(`matches the published vector: ${v.name}`, async () => {
      expect(await twilioSignature(TOKEN, v.url, v.params)).toBe(v.signature);
    });
  }

  it("does not depend on the order the params arrive in", async () => {
    expect(await twilioSignature(TOKEN, U, [...P].reverse())).toBe(SIG_U_P);
  });

  it("accepts URLSearchParams as the param source", async () => {
    expect(await twilioSignature(TOKEN, U, new URLSearchParams(P))).toBe(SIG_U_P);
  });

  it("sorts names by code unit, so upper case comes before lower case", async () => {
    // HMAC-SHA1("12345", "https://example.com/cbB2a1"), computed with node:crypto.
    expect(await twilioSignature(TOKEN, "https://example.com/cb", [["a", "1"], ["B", "2"]])).toBe(
      "kJQsRzZutq47x25Jl6nvODi7UiY=",
    );
  });

  it("refuses to sign with an empty auth token", async () => {
    await expect(twilioSignature("", U, P)).rejects.toThrow(/auth token/);
  });
});

describe("verifyTwilioSignature", () => {
  for (const v of VECTORS) {
    it(`accepts the published vector: ${v.name}`, async () => {
      expect(await verifyTwilioSignature(TOKEN, v.url, v.params, v.signature)).toBe(true);
    });
  }

  it("accepts a signature made with the default port when the configured URL has none", async () => {
    expect(await verifyTwilioSignature(TOKEN, U, P, SIG_U443_P)).toBe(true);
  });

  it("accepts a signature made without the port when the configured URL spells out :443", async () => {
    expect(await verifyTwilioSignature(TOKEN, "https://mycompany.com:443/myapp.php?foo=1&bar=2", P, SIG_U_P)).toBe(true);
  });

  it("accepts a signature made with a non-default port, and without it", async () => {
    const url = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
    // HMAC over the URL with :8443, computed with node:crypto.
    expect(await verifyTwilioSignature(TOKEN, url, P, "ZOaJEsozlsUyzk5k5fpaCxTxXDA=")).toBe(true);
    expect(await verifyTwilioSignature(TOKEN, url, P, SIG_U_P)).toBe(true);
  });

  it("lower-cases the host of the configured URL", async () => {
    expect(await verifyTwilioSignature(TOKEN, "https://MyCompany.COM/myapp.php?foo=1&bar=2", P, SIG_U_P)).toBe(true);
  });

  it("escapes a raw quote in the configured query as %27, as Twilio's URL parser does", async () => {
    expect(await verifyTwilioSignature(TOKEN, `${U}&Body=It's+amazing`, P, "TfZzewPq8wqrGlMfyAud8+/IvJ0=")).toBe(true);
  });

  it("accepts the query re-serialised the way Node's querystring does", async () => {
    // Signed over "…&Body=It's%20amazing" (querystring.stringify(querystring.parse(q))), computed with node.
    expect(await verifyTwilioSignature(TOKEN, `${U}&Body=It%27s+amazing`, P, "bD9iT2C/HNMwZ/yCH1s/5R2+wUs=")).toBe(true);
  });

  it("rejects a tampered param value", async () => {
    const tampered: [string, string][] = P.map(([k, v]) => [k, k === "Digits" ? "9999" : v]);
    expect(await verifyTwilioSignature(TOKEN, U, tampered, SIG_U_P)).toBe(false);
  });

  it("rejects an added param", async () => {
    expect(await verifyTwilioSignature(TOKEN, U, [...P, ["ErrorCode", "30005"]], SIG_U_P)).toBe(false);
  });

  it("rejects a different URL path", async () => {
    expect(await verifyTwilioSignature(TOKEN, "https://mycompany.com/other.php?foo=1&bar=2", P, SIG_U_P)).toBe(false);
  });

  it("rejects a signature made with another token", async () => {
    expect(await verifyTwilioSignature("54321", U, P, SIG_U_P)).toBe(false);
  });

  it("rejects a missing or empty signature", async () => {
    expect(await verifyTwilioSignature(TOKEN, U, P, undefined)).toBe(false);
    expect(await verifyTwilioSignature(TOKEN, U, P, null)).toBe(false);
    expect(await verifyTwilioSignature(TOKEN, U, P, "")).toBe(false);
  });

  it("rejects a truncated or altered signature", async () => {
    expect(await verifyTwilioSignature(TOKEN, U, P, SIG_U_P.slice(0, -1))).toBe(false);
    expect(await verifyTwilioSignature(TOKEN, U, P, `X${SIG_U_P.slice(1)}`)).toBe(false);
  });

  it("reads a one-shot param iterator only once", async () => {
    expect(await verifyTwilioSignature(TOKEN, U, new URLSearchParams(P).entries(), SIG_U443_P)).toBe(true);
  });
});
