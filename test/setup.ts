import { env } from "cloudflare:workers";

// Storage is isolated per test file, so every file applies the migrations to every D1 shard. Done here
// with D1's own batch rather than cloudflare:test's applyD1Migrations: importing that module in the
// setup file costs seconds per test file; this costs milliseconds.
const migrations = env.TEST_MIGRATIONS as unknown as { name: string; queries: string[] }[];
for (const shard of env.D1_SHARDS.split(",")) {
  const db = (env as unknown as Record<string, D1Database>)[shard.trim()]!;
  // ...and records them as `wrangler d1 migrations apply` does (its table, as wrangler creates it), so
  // GET /health/ready finds each shard at the newest migration.
  const recorded = [
    db.prepare("CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"),
    ...migrations.map((m) => db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(m.name)),
  ];
  await db.batch([...migrations.flatMap((m) => m.queries.map((q) => db.prepare(q))), ...recorded]);
}
