// Operator routes: maintenance of the deployment as a whole, across every organisation, so never under an
// organisation's bearer token (those come from Altinn's issuer; a scope there would let a service owner
// reach every organisation's orders). The caller presents the OPERATOR_TOKEN secret as a bearer token;
// without that secret configured the routes do not exist (404). Not in the OpenAPI document.
//   POST /operator/fingerprint-sweep?cursor=…&limit=…   one page of the fingerprint sweep (docs/configuration.md)
import type { Hono, MiddlewareHandler } from "hono";
import { MAX_SWEEP_PAGE, parseCursor, sweepPage } from "../../orders/fingerprint-sweep";
import { log } from "../../log";
import { shardNames } from "../../store/shards";
import type { AppEnv } from "../context";
import { ApiError } from "../problem";

/** A shorter OPERATOR_TOKEN is taken as not configured: it could be guessed. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;
const DEFAULT_SWEEP_PAGE = 100;

const requireOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
  const secret = c.env.OPERATOR_TOKEN;
  if (!secret || secret.length < MIN_OPERATOR_TOKEN_LENGTH) throw new ApiError(404, { detail: "No such resource." });
  const given = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization")?.trim() ?? "")?.[1];
  if (!given || !(await sameSecret(given, secret))) {
    throw new ApiError(401, { detail: "An operator route needs Authorization: Bearer <OPERATOR_TOKEN>.", headers: { "WWW-Authenticate": "Bearer" } });
  }
  await next();
};

/** Compared in constant time (over digests, so the lengths match too). */
async function sameSecret(given: string, secret: string): Promise<boolean> {
  const [a, b] = await Promise.all([given, secret].map((s) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
  return crypto.subtle.timingSafeEqual(a!, b!);
}

export function registerOperatorRoutes(app: Hono<AppEnv>) {
  app.use("/operator/*", requireOperator);

  app.post("/operator/fingerprint-sweep", async (c) => {
    const cursor = parseCursor(c.req.query("cursor"), shardNames(c.env));
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? DEFAULT_SWEEP_PAGE : Number(limitText);
    const errors: Record<string, string[]> = {};
    if (!cursor) errors.cursor = ["Must be a cursor this sweep returned (<shard>:<shipment id>), or left out to start."];
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SWEEP_PAGE) errors.limit = [`Must be an integer from 1 to ${MAX_SWEEP_PAGE}.`];
    if (!cursor || Object.keys(errors).length > 0) throw new ApiError(400, { detail: "Validation failed.", errors });
    const page = await sweepPage(c.env, cursor, limit);
    log("fingerprint_sweep.page", { ...page, from: `${cursor.shard}:${cursor.after}` });
    return c.json(page);
  });
}
