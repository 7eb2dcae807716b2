// The newest D1 migration this Worker's code needs, as `wrangler d1 migrations apply` records it in each
// database's d1_migrations table (the file name). GET /health/ready answers 503 for a shard without it.
// A constant because the Worker cannot list migrations/ once bundled; test/api/readiness.test.ts fails
// when migrations/ gains a newer file than this names, so it cannot go stale unnoticed.
export const LATEST_MIGRATION = "0004_verifications.sql";

/** wrangler's default `migrations_table` (wrangler.toml sets no other). */
export const MIGRATIONS_TABLE = "d1_migrations";
