// GET /future/stats: the caller's organisation's daily statistics, from the rollups in its D1 shard
// (src/stats/). Same token and scope as the rest of the API.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { logError } from "../../log";
import { figuresOf, CHANNELS } from "../../stats/figures";
import { readOrganisation } from "../../stats/read";
import { StatsQuerySchema, StatsSchema } from "../../stats/schemas";
import { database, shardOf } from "../../store/shards";
import { BASE_PATH, type AppEnv } from "../context";
import { ApiError } from "../problem";
import { problem, problemResponses } from "../responses";

export function registerStatsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      operationId: "getStatistics",
      method: "get",
      path: `${BASE_PATH}/future/stats`,
      summary: "Statistics: the caller's shipments per UTC day and channel",
      description:
        "Exact counts per UTC day (of registration) and channel, approximate latencies, the requests the limits refused, " +
        "and one-time codes (verifications) per UTC day and channel they started on. " +
        "Eventually consistent: a status change shows within a few seconds. See docs/statistics.md.",
      tags: ["Statistics"],
      security: [{ Bearer: [] }],
      request: { query: StatsQuerySchema },
      responses: {
        200: { description: "The figures; each asked day and channel once, with totals.", content: { "application/json": { schema: StatsSchema } } },
        ...problemResponses,
        400: problem("A date is not YYYY-MM-DD or not within 2000-01-01 to 2099-12-31, `from` is after `to`, the range is longer than 92 days (both ends counted), or the channel is unknown.", 400, {
          detail: "Validation failed.",
          errors: { from: ["At most 92 days, both ends counted."] },
        }),
        503: problem("Code `NOT-00004`: the database failed; try again shortly.", 503, { code: "NOT-00004", detail: "A dependency failed; try again shortly." }),
      },
    }),
    async (c) => {
      const { from, to, channel } = c.req.valid("query");
      const org = c.get("org");
      let rows;
      try {
        rows = await readOrganisation(database(c.env, await shardOf(c.env, org)), org, from, to, channel);
      } catch (error) {
        logError("stats.read_failed", error, { traceId: c.get("traceId") });
        throw ApiError.of("NOT-00004", { detail: "A dependency failed; try again shortly." });
      }
      return c.json({ from, to, ...figuresOf(rows, from, to, channel ? [channel] : CHANNELS) }, 200);
    },
  );
}
