// The production preflight's checks (`node scripts/production-config.mjs check`, run by `npm run
// predeploy`). Each check is a plain function of wrangler.toml's [env.production] as wrangler reads it,
// answering its problems, one `where: why` each (none: it passes). A new check is one more function in
// CHECKS. test/unit/config/production-checks.test.ts runs each one.

const ZERO_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Documentation domains (RFC 2606) never belong in a deployed configuration.
const PLACEHOLDER_DOMAIN = /(^|[.@/])example\.(com|org|net)\b/i;

/** The simulated providers' names, as src/providers/names.ts has them (its test keeps the two equal). */
export const SIMULATOR_NAMES = ["simulator", "primary", "secondary"];
/** Every variable that names providers: SMS_PROVIDERS (a list, in order of preference) and EMAIL_PROVIDER. */
export const PROVIDER_SETTINGS = ["SMS_PROVIDERS", "EMAIL_PROVIDER"];

/** ENVIRONMENT must be exactly "production": the service runs a misspelt or missing one as a deployment too, but says so nowhere. */
export function environmentProblems(production) {
  const value = production.vars?.ENVIRONMENT;
  if (value === "production") return [];
  const where = value === undefined ? "env.production.vars.ENVIRONMENT is not set" : `env.production.vars.ENVIRONMENT = ${JSON.stringify(value)}`;
  return [`${where}: it must be exactly "production" (lower case)`];
}

/** No provider setting may name a simulator: it sends nothing, and outside local development the service fails every shipment handed to one. */
export function simulatorProviders(production) {
  const found = [];
  for (const setting of PROVIDER_SETTINGS) {
    const value = production.vars?.[setting];
    const names = String(value ?? "").split(",").map((name) => name.trim().toLowerCase());
    const simulators = SIMULATOR_NAMES.filter((name) => names.includes(name));
    if (simulators.length > 0) {
      found.push(`env.production.vars.${setting} = ${JSON.stringify(value)}: ${simulators.map((s) => `"${s}"`).join(", ")} ${simulators.length === 1 ? "is a simulator" : "are simulators"}, not a provider; name real ones (docs/providers.md)`);
    }
  }
  return found;
}

/** Each placeholder left in the production environment: zero D1 ids, documentation domains. */
export function placeholdersIn(production) {
  const found = [];
  for (const db of production.d1_databases ?? []) {
    const where = `env.production.d1_databases "${db.database_name}"`;
    if (!db.database_id || ZERO_ID.test(db.database_id)) found.push(`${where}: database_id is a placeholder; put the id \`wrangler d1 create ${db.database_name}\` printed`);
    else if (!UUID.test(db.database_id)) found.push(`${where}: database_id "${db.database_id}" is not a D1 id`);
  }
  const walk = (value, path) => {
    if (typeof value === "string" && PLACEHOLDER_DOMAIN.test(value)) found.push(`${path} = "${value}": a placeholder domain; set your own`);
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (value && typeof value === "object") for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
  };
  walk(production, "env.production");
  return found;
}

/** The routes of the production environment (`routes`, or the single `route`), each as `{ pattern, custom_domain? }`. */
export function routesOf(production) {
  const routes = production.routes ?? (production.route === undefined ? [] : [production.route]);
  return routes.map((route) => (typeof route === "string" ? { pattern: route } : route));
}

/**
 * Whether a route sends every path of `host` to the Worker: a custom domain is the host itself; a route
 * pattern is a host (a leading `*` matches any prefix, `*.example.com` any subdomain) and a path that must
 * be `/*` (or nothing for a custom domain), since reports and the API live on different paths.
 */
export function routeCoversHost(route, host) {
  const pattern = String(route?.pattern ?? "").trim().toLowerCase();
  const slash = pattern.indexOf("/");
  const routeHost = slash === -1 ? pattern : pattern.slice(0, slash);
  const path = slash === -1 ? "" : pattern.slice(slash);
  if (route?.custom_domain === true) return path === "" && routeHost === host;
  if (path !== "/*") return false;
  if (routeHost.startsWith("*")) return host.endsWith(routeHost.slice(1));
  return routeHost === host;
}

/**
 * PUBLIC_BASE_URL is where Twilio, LINK and ACS send their reports: an https origin on a route or custom
 * domain of this environment, or every report goes to a host that never reaches the Worker.
 */
export function publicBaseUrlProblems(production) {
  const value = production.vars?.PUBLIC_BASE_URL;
  const where = `env.production.vars.PUBLIC_BASE_URL = ${JSON.stringify(value)}`;
  if (value === undefined || value === "") return ["env.production.vars.PUBLIC_BASE_URL is not set: set the https origin of the route or custom domain (env.production.routes)"];
  let url;
  try {
    url = new URL(String(value));
  } catch {
    return [`${where}: not a URL; set the https origin of the route or custom domain (env.production.routes)`];
  }
  if (url.protocol !== "https:") return [`${where}: must be https`];
  const routes = routesOf(production);
  if (routes.length === 0) return [`${where}: env.production has no route or custom domain, so nothing reaches the Worker there; add routes = [{ pattern = "${url.hostname}", custom_domain = true }]`];
  if (!routes.some((route) => routeCoversHost(route, url.hostname))) {
    return [`${where}: ${url.hostname} is not on a route (with /*) or custom domain of env.production.routes (${routes.map((r) => JSON.stringify(r.pattern)).join(", ")}); the providers' reports would not reach the Worker`];
  }
  return [];
}

/** Two shards on one database would mix their organisations' rows and feeds (placeholder ids are placeholdersIn's). */
export function duplicateDatabaseIds(production) {
  const bindingsById = new Map();
  for (const db of production.d1_databases ?? []) {
    if (!db.database_id || ZERO_ID.test(db.database_id)) continue;
    const id = db.database_id.toLowerCase();
    bindingsById.set(id, [...(bindingsById.get(id) ?? []), db.binding]);
  }
  return [...bindingsById]
    .filter(([, bindings]) => bindings.length > 1)
    .map(([id, bindings]) => `env.production.d1_databases ${bindings.map((b) => `"${b}"`).join(", ")}: one database_id (${id}); each shard needs its own database`);
}

const listOf = (value) => String(value ?? "").split(",").map((name) => name.trim()).filter(Boolean);

/**
 * D1_SHARDS must name exactly the production D1 bindings: a binding it leaves out is never written or
 * read, a name without a binding fails every request of the organisations placed on it. D1_SHARDS_OPEN
 * may name only shards of D1_SHARDS.
 */
export function shardProblems(production) {
  const bindings = (production.d1_databases ?? []).map((db) => db.binding);
  const shards = listOf(production.vars?.D1_SHARDS);
  const where = `env.production.vars.D1_SHARDS = ${JSON.stringify(production.vars?.D1_SHARDS)}`;
  const found = [];
  const unbound = shards.filter((name) => !bindings.includes(name));
  const unlisted = bindings.filter((name) => !shards.includes(name));
  if (unbound.length > 0) found.push(`${where}: ${unbound.map((n) => `"${n}"`).join(", ")} ${unbound.length === 1 ? "is not a D1 binding" : "are not D1 bindings"} of env.production.d1_databases`);
  if (unlisted.length > 0) found.push(`${where}: the D1 binding(s) ${unlisted.map((n) => `"${n}"`).join(", ")} of env.production.d1_databases ${unlisted.length === 1 ? "is" : "are"} not listed`);
  if (shards.length === 0 && bindings.length === 0) found.push("env.production has no D1 database: D1_SHARDS and env.production.d1_databases name none");
  const closed = listOf(production.vars?.D1_SHARDS_OPEN).filter((name) => !shards.includes(name));
  if (closed.length > 0) found.push(`env.production.vars.D1_SHARDS_OPEN = ${JSON.stringify(production.vars?.D1_SHARDS_OPEN)}: ${closed.map((n) => `"${n}"`).join(", ")} not in D1_SHARDS`);
  return found;
}

/** Every queue the production configuration produces to, consumes or dead-letters into, once each. */
export function queueNames(production) {
  const { producers = [], consumers = [] } = production?.queues ?? {};
  const names = [...producers.map((p) => p.queue), ...consumers.flatMap((c) => [c.queue, c.dead_letter_queue])];
  return [...new Set(names.filter(Boolean))];
}

/**
 * With DATA_JURISDICTION set, every D1 database and queue must have been created in that jurisdiction
 * (wrangler cannot tell, and a resource's jurisdiction is fixed when it is created): the operator lists
 * each one created so in DATA_JURISDICTION_CREATED, as "d1:<database_name>" and "queue:<name>".
 */
export function jurisdictionProblems(production) {
  const jurisdiction = production.vars?.DATA_JURISDICTION;
  if (jurisdiction === undefined || jurisdiction === "") return [];
  // The Worker refuses any other value too (src/config/durable-objects.ts): every object would answer 503.
  if (jurisdiction !== "eu") return [`env.production.vars.DATA_JURISDICTION = ${JSON.stringify(jurisdiction)}: must be empty or "eu"`];
  const listed = production.vars?.DATA_JURISDICTION_CREATED;
  if (!Array.isArray(listed)) {
    return [`env.production.vars.DATA_JURISDICTION = ${JSON.stringify(jurisdiction)}: list every D1 database and queue you created in it in env.production.vars.DATA_JURISDICTION_CREATED (["d1:<database_name>", "queue:<name>", …]; docs/configuration.md)`];
  }
  const resources = [...(production.d1_databases ?? []).map((db) => `d1:${db.database_name}`), ...queueNames(production).map((name) => `queue:${name}`)];
  const missing = resources.filter((resource) => !listed.includes(resource));
  if (missing.length === 0) return [];
  return [`env.production.vars.DATA_JURISDICTION = ${JSON.stringify(jurisdiction)}: not listed in DATA_JURISDICTION_CREATED as created in it: ${missing.join(", ")}`];
}

/** Every check, in the order their problems are listed. */
export const CHECKS = [environmentProblems, simulatorProviders, placeholdersIn, publicBaseUrlProblems, duplicateDatabaseIds, shardProblems, jurisdictionProblems];

/** Every problem of the production configuration (undefined: wrangler.toml has no [env.production]). */
export function problemsIn(production) {
  if (!production) return ["wrangler.toml has no [env.production]"];
  return CHECKS.flatMap((check) => check(production));
}
