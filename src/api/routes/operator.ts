// Operator routes: maintenance of the deployment as a whole, across every organisation, so never under an
// organisation's bearer token (those come from Altinn's issuer; a scope there would let a service owner
// reach every organisation's orders). The caller presents the OPERATOR_TOKEN secret as a bearer token;
// without that secret configured the routes do not exist (404). Not in the OpenAPI document.
//   POST /operator/fingerprint-sweep?cursor=…&limit=…   one page of the fingerprint sweep (docs/configuration.md)
//   GET  /operator/dead-letters?queue=…&after=…&limit=… the kept dead letters, oldest first (ids only, never a body)
//   POST /operator/dead-letters/replay {"ids": […]}      each sent back to its original queue, then forgotten
//   POST /operator/dead-letters/drop   {"ids": […]}      each forgotten (its count stays)
import type { Hono, MiddlewareHandler } from "hono";
import { MAX_SWEEP_PAGE, parseCursor, sweepPage } from "../../orders/fingerprint-sweep";
import { log } from "../../log";
import { MAX_PAGE as MAX_DEAD_LETTER_PAGE } from "../../retry/dead-letter-object";
import { deadLetterStub, isDeadLetterQueue } from "../../retry/dead-letters";
import { shardNames } from "../../store/shards";
import type { AppEnv } from "../context";
import { ApiError } from "../problem";

/** A shorter OPERATOR_TOKEN is taken as not configured: it could be guessed. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;
const DEFAULT_SWEEP_PAGE = 100;
/** Ids of one replay or drop call: a page of the list. */
const MAX_IDS = MAX_DEAD_LETTER_PAGE;

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

  app.get("/operator/dead-letters", async (c) => {
    const queue = c.req.query("queue");
    const after = c.req.query("after");
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? MAX_DEAD_LETTER_PAGE : Number(limitText);
    const errors: Record<string, string[]> = {};
    if (queue !== undefined && !isDeadLetterQueue(queue)) errors.queue = ["Must be a dead-letter queue's name (…-dlq), or left out for all."];
    if (after !== undefined && !/^\d+:.+$/.test(after)) errors.after = ["Must be a `next` this list returned, or left out to start."];
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DEAD_LETTER_PAGE) errors.limit = [`Must be an integer from 1 to ${MAX_DEAD_LETTER_PAGE}.`];
    if (Object.keys(errors).length > 0) throw new ApiError(400, { detail: "Validation failed.", errors });
    return c.json(await deadLetterStub(c.env).list({ ...(queue ? { queue } : {}), ...(after ? { after } : {}), limit }));
  });

  for (const action of ["replay", "drop"] as const) {
    app.post(`/operator/dead-letters/${action}`, async (c) => {
      const ids = await idsIn(c.req.raw);
      const stub = deadLetterStub(c.env);
      const settled = action === "replay" ? await stub.replay(ids) : await stub.drop(ids);
      log(`dead_letters.${action}`, { asked: ids.length, done: settled.done.length, unknown: settled.unknown.length, failed: settled.failed.length });
      return c.json(settled);
    });
  }
}

/** The body `{"ids": [1 to MAX_IDS dead-letter ids]}`, or a 400 naming `ids`. */
async function idsIn(request: Request): Promise<string[]> {
  const body = (await request.json().catch(() => null)) as { ids?: unknown } | null;
  const ids = body?.ids;
  const ok = Array.isArray(ids) && ids.length >= 1 && ids.length <= MAX_IDS && ids.every((id) => typeof id === "string" && id.length > 0 && id.length <= 200);
  if (!ok) throw new ApiError(400, { detail: "Validation failed.", errors: { ids: [`Must be a list of 1 to ${MAX_IDS} dead-letter ids (as GET /operator/dead-letters lists them).`] } });
  return [...new Set(ids as string[])];
}
