// Applies the D1 migrations to every D1 database (shard) in wrangler.toml's local configuration, so
// `npm start` needs no manual step however many shards there are.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { experimental_readRawConfig } from "wrangler";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { rawConfig } = experimental_readRawConfig({ config: join(root, "wrangler.toml") });
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const extra = process.argv.slice(2); // e.g. --persist-to <dir>

for (const { database_name: name } of rawConfig.d1_databases ?? []) {
  const run = spawnSync(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "d1", "migrations", "apply", name, "--local", ...extra], {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (run.status !== 0) {
    console.error(`Applying the D1 migrations to ${name} failed.`);
    process.exit(run.status ?? 1);
  }
}
