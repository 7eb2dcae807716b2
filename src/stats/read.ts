// Reads of the rollups: one organisation's (GET /future/stats, on its shard) and the whole deployment's
// (/performance, every shard added up). Never the raw events.
import type { Channel } from "../status/statuses";
import { database, shardNames } from "../store/shards";
import type { RollupRow } from "./figures";

export async function readOrganisation(db: D1Database, org: string, from: string, to: string, channel?: Channel): Promise<RollupRow[]> {
  const { results } = await db
    .prepare("SELECT day, channel, metric, n FROM stat_days WHERE org = ?1 AND day BETWEEN ?2 AND ?3 AND (?4 IS NULL OR channel = ?4)")
    .bind(org, from, to, channel ?? null)
    .all<RollupRow>();
  return results;
}

export async function readDeployment(env: Env, from: string, to: string): Promise<RollupRow[]> {
  const perShard = await Promise.all(
    shardNames(env).map(async (shard) => {
      const { results } = await database(env, shard)
        .prepare("SELECT day, channel, metric, SUM(n) AS n FROM stat_days WHERE day BETWEEN ?1 AND ?2 GROUP BY day, channel, metric")
        .bind(from, to)
        .all<RollupRow>();
      return results;
    }),
  );
  return perShard.flat();
}
