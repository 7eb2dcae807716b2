// ACS HMAC-SHA256 request signing against known vectors: Azure's own cross-language vectors (the
// communication-common SDKs' crypto tests: SHA-256 and HMAC of "banana" and "😀" under key "pw=="),
// The empty body's hash, and whole requests computed independently with Node's crypto from
// the scheme in src/providers/azure-email/signing.ts.
import { describe, expect, it } from "vitest";
import { contentHash, hmacSignature, parseConnectionString, signedHeaders, stringToSign } from "../../src/providers/azure-email/signing";

describe("ACS signing primitives (Azure's cross-language vectors)", () => {
  it.each([
    ["banana", "tJPUg2Sv5E0RwBZc9HCkFk0eJgmRHvmYvoaNRq3j3k4="],
    ["😀", "8EQ6NCxe9UeDoRG1G6Vsk45HTDIyTZDDpgycjjo34tk="],
    ["", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="],
  ])("hashes %j as Base64 SHA-256 of its UTF-8 bytes", async (body, expected) => {
    expect(await contentHash(body)).toBe(expected);
  });

  it.each([
    ["banana", "88EC05aAS9iXnaimtNO78JLjiPtfWryQB/5QYEzEsu8="],
    ["😀", "1rudJKjn2Zi+3hRrBG29wIF6pD6YyAeQR1ZcFtXoKAU="],
  ])("signs %j with HMAC-SHA256 under the Base64-decoded key", async (data, expected) => {
    expect(await hmacSignature("pw==", data)).toBe(expected);
  });
});

describe("a signed ACS request", () => {
  const accessKey = "68810419818922fb0263dd6ee4b9c56537dbad914aa7324a119fce26778a286e"; // the Azure SDKs' test key
  const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
  const body = JSON.stringify({
    senderAddress: "noreply@example.com",
    recipients: { to: [{ address: "user@example.com" }] },
    content: { subject: "One-time code", plainText: "Your code is 428516" },
  });

  it("signs VERB, path and query, date, host and body hash", async () => {
    const headers = await signedHeaders(accessKey, { method: "POST", url: "https://contoso.communication.azure.com/emails:send?api-version=2023-03-31", body, date });
    expect(headers).toEqual({
      "x-ms-date": "Tue, 02 Jan 2024 03:04:05 GMT",
      "x-ms-content-sha256": "pmH4CwPMd0X47sCl9C+PGvKSplNsvt3hdpTKYf6n8MA=",
      Authorization: "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=1a8cJfC0aQ1IHk5SOc70GpV4p/Y+xG1nGqjQdIWwUVc=",
    });
  });

  it("omits the default port from the host, and keeps any other", async () => {
    const withDefault = await signedHeaders(accessKey, { method: "POST", url: "https://contoso.communication.azure.com:443/emails:send?api-version=2023-03-31", body, date });
    expect(withDefault.Authorization).toMatch(/Signature=1a8cJfC0aQ1IHk5SOc70GpV4p\/Y\+xG1nGqjQdIWwUVc=$/);
    const other = await signedHeaders(accessKey, {
      method: "get",
      url: "https://contoso.communication.azure.com:8443/emails/operations/2d4f1359-0000-4000-8000-000000000000?api-version=2023-03-31",
      body: "",
      date,
    });
    expect(other.Authorization).toMatch(/Signature=s74wg\/PBV2zFWdhTzTpj9T6JzUSUZTrO\/B4JTtmX14U=$/);
  });

  it("builds the string to sign with newlines and semicolons only", () => {
    expect(stringToSign("post", "/emails:send?api-version=2023-03-31", "D", "h", "H")).toBe("POST\n/emails:send?api-version=2023-03-31\nD;h;H");
  });
});

describe("parseConnectionString", () => {
  it("reads the endpoint and the access key, in any case and order", () => {
    expect(parseConnectionString("AccessKey=a2V5;Endpoint=https://contoso.communication.azure.com/")).toEqual({
      endpoint: "https://contoso.communication.azure.com",
      accessKey: "a2V5",
    });
  });

  it.each(["endpoint=https://x.communication.azure.com/", "accesskey=a2V5", "endpoint=http://x.test/;accesskey=a2V5", ""])("refuses %j", (value) => {
    expect(() => parseConnectionString(value)).toThrow();
  });
});
