import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { postSms, problemOf, smsRequest, tokenFor } from "../support/api";
import { rowsForKey } from "../support/shipments";

const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const claims = () => ({
  iss: env.AUTH_ISSUER,
  scope: "altinn:serviceowner/notifications.create",
  "urn:altinn:org": "ttd",
  exp: Math.floor(Date.now() / 1000) + 300,
});

async function expectRejected(token: string | null, status: 401 | 403, extraHeaders: Record<string, string> = {}) {
  const request = smsRequest();
  const response = await postSms(request, { token, headers: extraHeaders });
  expect(response.status).toBe(status);
  const problem = await problemOf(response);
  expect(problem.status).toBe(status);
  if (status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expect((await rowsForKey("ttd", request.idempotencyId)).shipments).toBe(0);
  return problem;
}

describe("authorization", () => {
  it("accepts a valid token", async () => {
    expect((await postSms(smsRequest(), { token: await tokenFor("ttd") })).status).toBe(201);
  });

  it("rejects a request without a token with 401 and a bare Bearer challenge", async () => {
    await expectRejected(null, 401);
    const response = await postSms(smsRequest(), { token: null });
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("answers a bad token with an invalid_token challenge", async () => {
    const response = await postSms(smsRequest(), { token: await tokenFor("ttd", { issuer: "https://evil.example/" }) });
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  it("rejects a non-Bearer authorization header with 401, as a missing token", async () => {
    const problem = await expectRejected(null, 401, { Authorization: "Basic dXNlcjpwYXNz" });
    expect(problem.detail).toMatch(/bearer token is required/);
  });

  it.each(["Bearer abc", "Bearer a.b", "bearer not-a-jwt", "Bearer a.b.c.d", "Bearer two words"])("tells %j that its token is malformed, not missing", async (authorization) => {
    const problem = await expectRejected(null, 401, { Authorization: authorization });
    expect(problem.detail).toMatch(/malformed/);
    expect(problem.detail).not.toMatch(/required/);
    const response = await postSms(smsRequest(), { token: null, headers: { Authorization: authorization } });
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  it("rejects a token signed by an untrusted key with 401", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const foreign = JSON.stringify({ ...(await exportJWK(privateKey)), kid: "test-key" });
    await expectRejected(await tokenFor("ttd", { key: foreign }), 401);
  });

  it("rejects a token whose payload was altered after signing with 401", async () => {
    const [header, , signature] = (await tokenFor("ttd")).split(".");
    await expectRejected(`${header}.${b64url({ ...claims(), "urn:altinn:org": "other" })}.${signature}`, 401);
  });

  it("rejects alg none with 401", async () => {
    await expectRejected(`${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.`, 401);
  });

  it("rejects an HMAC-signed token (HS256) with 401, even keyed with the public key", async () => {
    const publicJwk = JSON.parse(env.AUTH_JWKS).keys[0];
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid: "test-key" }).sign(secret);
    await expectRejected(token, 401);
  });

  it("rejects an expired token with 401", async () => {
    const problem = await expectRejected(await tokenFor("ttd", { expiresIn: Math.floor(Date.now() / 1000) - 120 }), 401);
    expect(problem.detail).toMatch(/expired/);
  });

  it("accepts a token that expired within the allowed clock skew", async () => {
    const token = await tokenFor("ttd", { expiresIn: Math.floor(Date.now() / 1000) - 5 });
    expect((await postSms(smsRequest(), { token })).status).toBe(201);
  });

  it("rejects a token from another issuer with 401", async () => {
    await expectRejected(await tokenFor("ttd", { issuer: "https://evil.example/" }), 401);
  });

  it("rejects a token without the notifications scope with 403", async () => {
    await expectRejected(await tokenFor("ttd", { scope: "altinn:serviceowner/notifications.read" }), 403);
  });

  it("accepts the scope among several space-separated scopes", async () => {
    const token = await tokenFor("ttd", { scope: "openid altinn:serviceowner/notifications.create other" });
    expect((await postSms(smsRequest(), { token })).status).toBe(201);
  });

  it("rejects a token without an organisation claim with 403", async () => {
    await expectRejected(await tokenFor(null), 403);
  });

  it("never echoes the token in the answer", async () => {
    const token = await tokenFor("ttd", { issuer: "https://evil.example/" });
    const response = await postSms(smsRequest(), { token });
    expect(await response.text()).not.toContain(token.split(".")[1]!);
  });
});
