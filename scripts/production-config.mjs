// The production configuration ([env.production] in wrangler.toml), read with wrangler's own reader.
//   node scripts/production-config.mjs check      refuses placeholders (run by `npm run deploy` first)
//   node scripts/production-config.mjs d1-names      prints the D1 database names, one a line (the loops in docs/configuration.md)
//   node scripts/production-config.mjs queue-names   prints every queue it names (dead-letter queues too)
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { experimental_readRawConfig } from "wrangler";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ZERO_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Documentation domains (RFC 2606) never belong in a deployed configuration.
const PLACEHOLDER_DOMAIN = /(^|[.@/])example\.(com|org|net)\b/i;

/** Each placeholder in the production environment, as `path: why`. */
export function placeholdersIn(production) {
  const found = [];
  for (const db of production?.d1_databases ?? []) {
    const where = `env.production.d1_databases "${db.database_name}"`;
    if (!db.database_id || ZERO_ID.test(db.database_id)) found.push(`${where}: database_id is a placeholder; put the id \`wrangler d1 create ${db.database_name}\` printed`);
    else if (!UUID.test(db.database_id)) found.push(`${where}: database_id "${db.database_id}" is not a D1 id`);
  }
  const walk = (value, path) => {
    if (typeof value === "string" && PLACEHOLDER_DOMAIN.test(value)) found.push(`${path} = "${value}": a placeholder domain; set your own`);
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (value && typeof value === "object") for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
  };
  walk(production ?? {}, "env.production");
  if (!production) found.push("wrangler.toml has no [env.production]");
  return found;
}

async function production() {
  const { rawConfig } = await experimental_readRawConfig({ config: join(ROOT, "wrangler.toml") });
  return rawConfig.env?.production;
}

/** Every queue the production configuration produces to, consumes or dead-letters into, once each. */
export function queueNames(production) {
  const { producers = [], consumers = [] } = production?.queues ?? {};
  const names = [...producers.map((p) => p.queue), ...consumers.flatMap((c) => [c.queue, c.dead_letter_queue])];
  return [...new Set(names.filter(Boolean))];
}

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
  const found = placeholdersIn(await production());
  if (found.length > 0) {
    console.error(`Refusing to deploy: wrangler.toml's production configuration still has placeholders:\n${found.map((f) => `  - ${f}`).join("\n")}\nSee docs/configuration.md, "Production".`);
    process.exit(1);
  }
  console.error("production configuration: no placeholders");
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv[2]);
