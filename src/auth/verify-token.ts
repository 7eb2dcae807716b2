// Bearer-token verification with jose: pinned asymmetric algorithms, issuer, expiry and not-before with
// a small clock skew, the notifications scope, and the organisation claim.
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";

export const REQUIRED_SCOPE = "altinn:serviceowner/notifications.create";
export const ORG_CLAIM = "urn:altinn:org";
/** Asymmetric only: `none` and HMAC (HS*) can never verify, whatever a token's header says. */
export const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
const CLOCK_SKEW_SECONDS = 30;

export interface AuthConfig {
  issuer: string;
  /** Inline JWKS JSON (the local development issuer). */
  jwks?: string;
  /** JWKS URL of the trusted issuer (production). */
  jwksUrl?: string;
}

/** The trusted issuer's keys could not be fetched: not the caller's fault, and never a pass. */
export class IssuerUnavailable extends Error {
  override readonly name = "IssuerUnavailable";
}

export type AuthResult =
  | { ok: true; org: string }
  | { ok: false; status: 401 | 403; detail: string; noToken?: boolean };

// Key sets live for the isolate's lifetime: jose caches a remote JWKS (10 min) and refetches it
// when a token names an unknown kid (key rotation), at most every 30 s.
const keySets = new Map<string, JWTVerifyGetKey>();

function keySetFor(config: AuthConfig): JWTVerifyGetKey {
  const keySet = cachedKeySet(config);
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      // The token names no key we trust: the caller's problem. Anything else is the issuer's.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new IssuerUnavailable(error instanceof Error ? error.message : String(error));
    }
  };
}

function cachedKeySet(config: AuthConfig): JWTVerifyGetKey {
  const cacheKey = config.jwks ? `inline:${config.jwks}` : `url:${config.jwksUrl}`;
  let keySet = keySets.get(cacheKey);
  if (!keySet) {
    if (config.jwks) keySet = createLocalJWKSet(JSON.parse(config.jwks));
    else if (config.jwksUrl) keySet = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    else throw new Error("No AUTH_JWKS or AUTH_JWKS_URL configured");
    keySets.set(cacheKey, keySet);
  }
  return keySet;
}

export async function verifyBearerToken(authorization: string | undefined, config: AuthConfig): Promise<AuthResult> {
  // RFC 7235: the scheme is case-insensitive. No Bearer credentials at all is "missing"; a Bearer
  // credential that is not a compact JWS is "malformed", so a caller knows which of the two to fix.
  const bearer = /^Bearer(?:\s+(.*))?$/is.exec(authorization?.trim() ?? "");
  if (!bearer?.[1]) return { ok: false, status: 401, detail: "A bearer token is required: Authorization: Bearer <JWT>.", noToken: true };
  const match = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.exec(bearer[1]);
  if (!match) return { ok: false, status: 401, detail: "The bearer token is malformed: a JWT is three base64url parts separated by dots." };

  let payload;
  try {
    ({ payload } = await jwtVerify(match[0], keySetFor(config), {
      issuer: config.issuer,
      algorithms: ALLOWED_ALGORITHMS,
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp"],
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError) return { ok: false, status: 401, detail: tokenErrorDetail(error) };
    throw error; // IssuerUnavailable, or a fault of ours
  }

  const scopes = typeof payload.scope === "string" ? payload.scope.split(" ") : [];
  if (!scopes.includes(REQUIRED_SCOPE)) {
    return { ok: false, status: 403, detail: `The token lacks the scope ${REQUIRED_SCOPE}.` };
  }
  const org = payload[ORG_CLAIM];
  if (typeof org !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(org)) {
    return { ok: false, status: 403, detail: `The token has no valid ${ORG_CLAIM} claim.` };
  }
  return { ok: true, org };
}

/** Says what was wrong without echoing any part of the token. */
function tokenErrorDetail(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return "The token has expired.";
  if (error instanceof errors.JWTClaimValidationFailed) return `The token's ${error.claim} claim is not accepted.`;
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's signing algorithm is not accepted.";
  if (error instanceof errors.JWKSNoMatchingKey) return "The token is not signed by a trusted key.";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "The token's signature is invalid.";
  return "The token is malformed or invalid.";
}
