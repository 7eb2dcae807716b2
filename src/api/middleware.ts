import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { IssuerUnavailable, verifyBearerToken } from "../auth/verify-token";
import { logError } from "../log";
import type { AppEnv } from "./context";
import { ApiError } from "./problem";

export const MAX_BODY_BYTES = 256 * 1024;

/** Every answer carries a trace id (Cloudflare's ray id where there is one) and is never cached. */
export const traceAndNoStore: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("traceId", c.req.header("cf-ray") ?? crypto.randomUUID());
  await next();
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
};

export const requireToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  let result;
  try {
    result = await verifyBearerToken(c.req.header("authorization"), {
      issuer: c.env.AUTH_ISSUER,
      jwks: c.env.AUTH_JWKS || undefined,
      jwksUrl: c.env.AUTH_JWKS_URL || undefined,
    });
  } catch (error) {
    if (!(error instanceof IssuerUnavailable)) throw error;
    logError("auth.issuer_unavailable", error);
    throw ApiError.of("NOT-00004", { detail: "The token issuer's keys could not be fetched. Retry shortly." });
  }
  if (!result.ok) {
    // RFC 6750: no error code when no usable token was sent at all.
    const challenge = result.noToken ? "Bearer" : 'Bearer error="invalid_token"';
    const headers = result.status === 401 ? { "WWW-Authenticate": challenge } : undefined;
    throw new ApiError(result.status, { detail: result.detail, ...(headers ? { headers } : {}) });
  }
  c.set("org", result.org);
  await next();
};

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Checks what the schema validator cannot: media type (415), size (413, also for chunked bodies),
 * UTF-8 and JSON syntax (400). The body stays cached for the validator that runs next.
 */
export const jsonBody: MiddlewareHandler<AppEnv>[] = [
  async (c, next) => {
    if (!JSON_MEDIA_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new ApiError(415, { detail: "Content-Type must be application/json." });
    }
    await next();
  },
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, { detail: `The body must be at most ${MAX_BODY_BYTES} bytes.` });
    },
  }),
  async (c, next) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(strictUtf8.decode(await c.req.arrayBuffer()));
    } catch {
      throw new ApiError(400, { detail: "The body is not valid UTF-8 JSON.", errors: { $: ["Malformed JSON."] } });
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ApiError(400, { detail: "The body must be a JSON object.", errors: { $: ["Must be a JSON object."] } });
    }
    await next();
  },
];
