// Records which D1 shard each organisation lives in. Asked once per organisation and isolate (the
// answer never changes, see shards.ts), so it is never on a hot path.
import { DurableObject } from "cloudflare:workers";
import { log } from "../log";
import { placeOrganisation, shardNames } from "./shards";

export class ShardDirectory extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec("CREATE TABLE IF NOT EXISTS assignments (org TEXT PRIMARY KEY, shard TEXT NOT NULL, at INTEGER NOT NULL)");
  }

  async shardOf(org: string): Promise<string> {
    const recorded = this.sql.exec<{ shard: string }>("SELECT shard FROM assignments WHERE org = ?", org).toArray()[0];
    if (recorded) {
      if (!shardNames(this.env).includes(recorded.shard)) throw new Error(`organisation's shard ${recorded.shard} is no longer in D1_SHARDS`);
      return recorded.shard;
    }
    const shard = await placeOrganisation(this.env, org);
    this.sql.exec("INSERT INTO assignments (org, shard, at) VALUES (?, ?, ?)", org, shard, Date.now());
    log("shard.assigned", { org, shard });
    return shard;
  }
}
