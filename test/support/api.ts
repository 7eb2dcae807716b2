// Calls through the real Worker as a client would: signed tokens from the test issuer, request bodies,
// and the problem+json every error answers with.
import { expect } from "vitest";
import { env, exports } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";
import { uniqueMobile } from "./fake-fetch";

export const BASE = "http://localhost/notifications/api/v1";
export const SCOPE = "altinn:serviceowner/notifications.create";

// Importing the JWK and signing cost milliseconds per call and most calls ask for the same token:
// one token per (organisation, options) for the test file (the default lives five minutes).
const signingKeys = new Map<string, Promise<CryptoKey | Uint8Array>>();
const tokens = new Map<string, Promise<string>>();

export function tokenFor(
  org: string | null,
  { scope = SCOPE, issuer = env.AUTH_ISSUER, expiresIn = "5m" as string | number, key = env.TEST_SIGNING_JWK } = {},
): Promise<string> {
  const cacheKey = JSON.stringify([org, scope, issuer, expiresIn, key]);
  let token = tokens.get(cacheKey);
  if (!token) {
    token = sign(org, scope, issuer, expiresIn, key);
    tokens.set(cacheKey, token);
  }
  return token;
}

async function sign(org: string | null, scope: string, issuer: string, expiresIn: string | number, key: string): Promise<string> {
  const jwk = JSON.parse(key) as { kid?: string };
  let signingKey = signingKeys.get(key);
  if (!signingKey) {
    signingKey = importJWK(jwk, "ES256");
    signingKeys.set(key, signingKey);
  }
  const claims: Record<string, unknown> = { scope };
  if (org !== null) claims["urn:altinn:org"] = org;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid ?? "test-key" })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await signingKey);
}

export interface CallOptions {
  org?: string;
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: BodyInit;
}

/** Calls the Worker's own fetch handler, as a client would. */
export async function call(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Response> {
  const token = options.token === undefined ? await tokenFor(options.org ?? "ttd") : options.token;
  const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  if (body !== undefined || options.rawBody !== undefined) headers["Content-Type"] = "application/json";
  Object.assign(headers, options.headers);
  const init: RequestInit = { method, headers };
  if (options.rawBody !== undefined) init.body = options.rawBody;
  else if (body !== undefined) init.body = JSON.stringify(body);
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export const postSms = (body: unknown, options?: CallOptions) => call("POST", "/future/orders/instant/sms", body, options);
export const postEmail = (body: unknown, options?: CallOptions) => call("POST", "/future/orders/instant/email", body, options);

let counter = 0;
export const uniqueKey = (prefix = "key") => `${prefix}-${Date.now()}-${++counter}-${crypto.randomUUID()}`;

/**
 * A valid Norwegian mobile number drawn per call: the limits allow only a few SMS to one number, so tests
 * that do not care about the recipient must not all send to the same one.
 */
export const variedPhoneNumber = uniqueMobile;

/** An address drawn per call, for the same reason as variedPhoneNumber. */
export const variedEmailAddress = () => `user.${crypto.randomUUID().slice(0, 8)}@example.com`;

export function smsRequest(overrides: { phoneNumber?: string; body?: string; ttl?: number; key?: string } = {}) {
  return {
    idempotencyId: overrides.key ?? uniqueKey("sms"),
    sendersReference: "otp-login-1234",
    recipientSms: {
      phoneNumber: overrides.phoneNumber ?? variedPhoneNumber(),
      timeToLiveInSeconds: overrides.ttl ?? 120,
      smsSettings: { sender: "Altinn", body: overrides.body ?? "Your code is 428516" },
    },
  };
}

export function emailRequest(overrides: { emailAddress?: string; body?: string; key?: string } = {}) {
  return {
    idempotencyId: overrides.key ?? uniqueKey("email"),
    sendersReference: "otp-email-1234",
    recipientEmail: {
      emailAddress: overrides.emailAddress ?? variedEmailAddress(),
      emailSettings: {
        subject: "One-time code",
        body: overrides.body ?? "<p>Your code is 428516</p>",
        senderEmailAddress: "noreply@example.com",
        contentType: "Html",
      },
    },
  };
}

export async function problemOf(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { status: number; code?: string; errors?: Record<string, string[]>; detail?: string; traceId: string };
}

/**
 * A repeat of the registered request: 200 and no `Idempotency-Mismatch` header. A different request under
 * the key gets 200 too, with the header (expectMismatch), so a "same request" check must look at it.
 */
export function expectReplay(response: Response, message?: string) {
  expect(response.status, message).toBe(200);
  expect(response.headers.get("Idempotency-Mismatch"), message).toBeNull();
}

/** A different request under a used key (the default answer): 200, the first answer, `Idempotency-Mismatch: true`. */
export function expectMismatch(response: Response, message?: string) {
  expect(response.status, message).toBe(200);
  expect(response.headers.get("Idempotency-Mismatch"), message).toBe("true");
}
