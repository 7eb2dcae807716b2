// The production preflight's checks (`node scripts/production-config.mjs check`, run by `npm run
// predeploy`). Each check is a plain function of wrangler.toml's [env.production] as wrangler reads it,
// answering its problems, one `where: why` each (none: it passes). A new check is one more function in
// CHECKS. test/config/production-checks.test.ts runs each one.

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

/** Every check, in the order their problems are listed. */
export const CHECKS = [environmentProblems, simulatorProviders, placeholdersIn];

/** Every problem of the production configuration (undefined: wrangler.toml has no [env.production]). */
export function problemsIn(production) {
  if (!production) return ["wrangler.toml has no [env.production]"];
  return CHECKS.flatMap((check) => check(production));
}
