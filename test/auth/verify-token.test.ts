// The production path: keys from the issuer's JWKS URL (the issuer's HTTP is faked; jose is real).
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IssuerUnavailable, verifyBearerToken } from "../../src/auth/verify-token";

const ISSUER = "https://issuer.test/";
afterEach(() => vi.restoreAllMocks());

async function issuer(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const token = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ scope: "altinn:serviceowner/notifications.create", "urn:altinn:org": "ttd", ...claims })
      .setProtectedHeader({ alg: "RS256", kid })
      .setIssuer(ISSUER)
      .setExpirationTime("5m")
      .sign(privateKey);
  return { jwk, token };
}

/** Fakes the issuer's JWKS endpoint; other URLs pass through. */
function serveJwks(url: string, answer: () => Response) {
  const original = globalThis.fetch;
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const target = input instanceof Request ? input.url : String(input);
    return target === url ? answer() : original(input, init);
  });
}

describe("verifyBearerToken with a JWKS URL", () => {
  it("verifies against the fetched key set and caches it", async () => {
    const url = `https://issuer.test/jwks/${crypto.randomUUID()}`;
    const { jwk, token } = await issuer("k1");
    const fetchSpy = serveJwks(url, () => Response.json({ keys: [jwk] }));
    for (let i = 0; i < 3; i++) {
      expect(await verifyBearerToken(`Bearer ${await token()}`, { issuer: ISSUER, jwksUrl: url })).toEqual({ ok: true, org: "ttd" });
    }
    expect(fetchSpy.mock.calls.filter(([input]) => String(input instanceof Request ? input.url : input) === url)).toHaveLength(1);
  });

  it("refuses a token signed by a key the issuer does not publish", async () => {
    const url = `https://issuer.test/jwks/${crypto.randomUUID()}`;
    const published = await issuer("k1");
    const stranger = await issuer("k2");
    serveJwks(url, () => Response.json({ keys: [published.jwk] }));
    const result = await verifyBearerToken(`Bearer ${await stranger.token()}`, { issuer: ISSUER, jwksUrl: url });
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it.each([
    ["answers 500", () => new Response("oops", { status: 500 })],
    ["answers something that is not a key set", () => Response.json({ nope: true })],
  ])("reports the issuer unavailable (never a pass, never the caller's 401) when the JWKS endpoint %s", async (_name, answer) => {
    const url = `https://issuer.test/jwks/${crypto.randomUUID()}`;
    const { token } = await issuer("k1");
    serveJwks(url, answer);
    await expect(verifyBearerToken(`Bearer ${await token()}`, { issuer: ISSUER, jwksUrl: url })).rejects.toBeInstanceOf(IssuerUnavailable);
  });

  it("reports the issuer unavailable when the JWKS endpoint cannot be reached", async () => {
    const url = `https://issuer.test/jwks/${crypto.randomUUID()}`;
    const { token } = await issuer("k1");
    serveJwks(url, () => {
      throw new TypeError("connection reset");
    });
    await expect(verifyBearerToken(`Bearer ${await token()}`, { issuer: ISSUER, jwksUrl: url })).rejects.toBeInstanceOf(IssuerUnavailable);
  });
});
