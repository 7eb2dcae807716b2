import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Storage is isolated per test file; migrations are idempotent, so applying them per file is cheap.
// Every D1 shard gets the same schema.
for (const shard of env.D1_SHARDS.split(",")) {
  await applyD1Migrations((env as unknown as Record<string, D1Database>)[shard.trim()]!, env.TEST_MIGRATIONS);
}
