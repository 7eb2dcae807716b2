// The production configuration ([env.production] in wrangler.toml), read with wrangler's own reader.
//   node scripts/production-config.mjs check         refuses a configuration that fails a check of
//                                                    scripts/lib/production-checks.mjs (run by `npm run deploy` first)
//   node scripts/production-config.mjs d1-names      prints the D1 database names, one a line (the loops in docs/configuration.md)
//   node scripts/production-config.mjs queue-names   prints every queue it names (dead-letter queues too)
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { experimental_readRawConfig } from "wrangler";
import { problemsIn, queueNames } from "./lib/production-checks.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

async function production() {
  const { rawConfig } = await experimental_readRawConfig({ config: join(ROOT, "wrangler.toml") });
  return rawConfig.env?.production;
}

export { queueNames };

async function main(command) {
  if (command === "d1-names") {
    for (const db of (await production())?.d1_databases ?? []) console.log(db.database_name);
    return;
  }
  if (command === "queue-names") {
    for (const name of queueNames(await production())) console.log(name);
    return;
  }
  if (command !== "check") {
    console.error("Usage: node scripts/production-config.mjs check | d1-names | queue-names");
    process.exit(2);
  }
  const found = problemsIn(await production());
  if (found.length > 0) {
    console.error(`Refusing to deploy: wrangler.toml's production configuration has ${found.length} problem(s):\n${found.map((f) => `  - ${f}`).join("\n")}\nSee docs/configuration.md, "Production".`);
    process.exit(1);
  }
  console.error("production configuration: every check passed");
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv[2]);
