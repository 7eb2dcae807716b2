// The production preflight (`npm run predeploy`): each check of scripts/lib/production-checks.mjs on
// configurations made to fail it, and on wrangler.toml itself, read with wrangler's own reader.
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import {
  CHECKS,
  duplicateDatabaseIds,
  environmentProblems,
  jurisdictionProblems,
  placeholdersIn,
  problemsIn,
  PROVIDER_SETTINGS,
  publicBaseUrlProblems,
  queueNames,
  shardProblems,
  SIMULATOR_NAMES,
  simulatorProviders,
  type ProductionConfig,
} from "../../../scripts/lib/production-checks.mjs";
import { SIMULATOR_NAMES as SERVICE_SIMULATOR_NAMES } from "../../../src/providers/names";

const { rawConfig } = await experimental_readRawConfig({ config: "wrangler.toml" });
const repoProduction = rawConfig.env?.production as ProductionConfig;
/** The repository's production configuration with `vars` changed. */
const withVars = (vars: Record<string, unknown>): ProductionConfig => ({ ...repoProduction, vars: { ...repoProduction.vars, ...vars } });

describe("ENVIRONMENT", () => {
  it.each([
    ["Production", 'env.production.vars.ENVIRONMENT = "Production": it must be exactly "production" (lower case)'],
    ["prod", 'env.production.vars.ENVIRONMENT = "prod": it must be exactly "production" (lower case)'],
    [" production", 'env.production.vars.ENVIRONMENT = " production": it must be exactly "production" (lower case)'],
    ["", 'env.production.vars.ENVIRONMENT = "": it must be exactly "production" (lower case)'],
    ["local", 'env.production.vars.ENVIRONMENT = "local": it must be exactly "production" (lower case)'],
    [undefined, 'env.production.vars.ENVIRONMENT is not set: it must be exactly "production" (lower case)'],
  ])("%j is refused", (value, problem) => {
    expect(environmentProblems(withVars({ ENVIRONMENT: value }))).toEqual([problem]);
    expect(problemsIn(withVars({ ENVIRONMENT: value }))).toContain(problem);
  });

  it("missing with every other variable is refused too", () => {
    const { ENVIRONMENT: _left, ...vars } = repoProduction.vars!;
    expect(environmentProblems({ ...repoProduction, vars })).toEqual(['env.production.vars.ENVIRONMENT is not set: it must be exactly "production" (lower case)']);
    expect(environmentProblems({ ...repoProduction, vars: undefined })).toHaveLength(1);
  });
});

describe("providers", () => {
  it.each([
    [{ SMS_PROVIDERS: "twilio,primary" }, ['env.production.vars.SMS_PROVIDERS = "twilio,primary": "primary" is a simulator, not a provider; name real ones (docs/providers.md)']],
    [{ SMS_PROVIDERS: " Secondary , linkmobility" }, ['env.production.vars.SMS_PROVIDERS = " Secondary , linkmobility": "secondary" is a simulator, not a provider; name real ones (docs/providers.md)']],
    [{ SMS_PROVIDERS: "primary,secondary" }, ['env.production.vars.SMS_PROVIDERS = "primary,secondary": "primary", "secondary" are simulators, not a provider; name real ones (docs/providers.md)']],
    [{ EMAIL_PROVIDER: "simulator" }, ['env.production.vars.EMAIL_PROVIDER = "simulator": "simulator" is a simulator, not a provider; name real ones (docs/providers.md)']],
    [
      { SMS_PROVIDERS: "simulator", EMAIL_PROVIDER: "simulator" },
      [
        'env.production.vars.SMS_PROVIDERS = "simulator": "simulator" is a simulator, not a provider; name real ones (docs/providers.md)',
        'env.production.vars.EMAIL_PROVIDER = "simulator": "simulator" is a simulator, not a provider; name real ones (docs/providers.md)',
      ],
    ],
  ])("%j is refused", (vars, problems) => {
    expect(simulatorProviders(withVars(vars))).toEqual(problems);
    expect(problemsIn(withVars(vars))).toEqual(expect.arrayContaining(problems));
  });

  it.each([{ SMS_PROVIDERS: "linkmobility,twilio", EMAIL_PROVIDER: "azure" }, { SMS_PROVIDERS: "twilio", EMAIL_PROVIDER: "cloudflare" }, { SMS_PROVIDERS: "", EMAIL_PROVIDER: undefined }])(
    "%j passes",
    (vars) => {
      expect(simulatorProviders(withVars(vars))).toEqual([]);
    },
  );

  it("knows the service's simulators and every variable that names providers", () => {
    expect(SIMULATOR_NAMES).toEqual([...SERVICE_SIMULATOR_NAMES]);
    // Every variable of the Worker whose name says it names providers is checked.
    const settings = Object.keys(rawConfig.vars ?? {}).filter((name) => /PROVIDER/.test(name));
    expect(settings.sort()).toEqual([...PROVIDER_SETTINGS].sort());
  });
});

describe("PUBLIC_BASE_URL on a route or custom domain", () => {
  const at = (url: unknown, routes?: ProductionConfig["routes"], route?: ProductionConfig["route"]): ProductionConfig => {
    const { routes: _r, route: _one, ...rest } = repoProduction;
    return { ...rest, ...(routes ? { routes } : {}), ...(route ? { route } : {}), vars: { ...repoProduction.vars, PUBLIC_BASE_URL: url } };
  };
  const custom = [{ pattern: "notify.altinn.no", custom_domain: true }];

  it.each([
    ["https://notify.altinn.no", custom],
    ["https://notify.altinn.no/", custom],
    ["https://NOTIFY.altinn.no", [{ pattern: "Notify.Altinn.no", custom_domain: true }]],
    ["https://notify.altinn.no", [{ pattern: "other.altinn.no", custom_domain: true }, { pattern: "notify.altinn.no", custom_domain: true }]],
    ["https://notify.altinn.no", [{ pattern: "notify.altinn.no/*", zone_name: "altinn.no" }]],
    ["https://notify.altinn.no", [{ pattern: "*.altinn.no/*", zone_id: "0123" }]],
    ["https://notify.altinn.no", ["notify.altinn.no/*"]],
  ])("%s on %j passes", (url, routes) => {
    expect(publicBaseUrlProblems(at(url, routes))).toEqual([]);
  });

  it("the single `route` counts as well", () => {
    expect(publicBaseUrlProblems(at("https://notify.altinn.no", undefined, "notify.altinn.no/*"))).toEqual([]);
  });

  it.each([
    ["https://notify.altinn.no", undefined, 'env.production.vars.PUBLIC_BASE_URL = "https://notify.altinn.no": env.production has no route or custom domain, so nothing reaches the Worker there; add routes = [{ pattern = "notify.altinn.no", custom_domain = true }]'],
    ["https://elsewhere.altinn.no", custom, 'env.production.vars.PUBLIC_BASE_URL = "https://elsewhere.altinn.no": elsewhere.altinn.no is not on a route (with /*) or custom domain of env.production.routes ("notify.altinn.no"); the providers\' reports would not reach the Worker'],
    ["https://notify.altinn.no", [{ pattern: "notify.altinn.no/api/*", zone_name: "altinn.no" }], 'env.production.vars.PUBLIC_BASE_URL = "https://notify.altinn.no": notify.altinn.no is not on a route (with /*) or custom domain of env.production.routes ("notify.altinn.no/api/*"); the providers\' reports would not reach the Worker'],
    ["https://altinn.no", [{ pattern: "*.altinn.no/*", zone_name: "altinn.no" }], 'env.production.vars.PUBLIC_BASE_URL = "https://altinn.no": altinn.no is not on a route (with /*) or custom domain of env.production.routes ("*.altinn.no/*"); the providers\' reports would not reach the Worker'],
    ["http://notify.altinn.no", custom, 'env.production.vars.PUBLIC_BASE_URL = "http://notify.altinn.no": must be https'],
    ["notify.altinn.no", custom, 'env.production.vars.PUBLIC_BASE_URL = "notify.altinn.no": not a URL; set the https origin of the route or custom domain (env.production.routes)'],
    [undefined, custom, "env.production.vars.PUBLIC_BASE_URL is not set: set the https origin of the route or custom domain (env.production.routes)"],
  ])("%j on %j is refused", (url, routes, problem) => {
    expect(publicBaseUrlProblems(at(url, routes))).toEqual([problem]);
    expect(problemsIn(at(url, routes))).toContain(problem);
  });
});

describe("D1 databases and D1_SHARDS", () => {
  const id = (n: number) => `1111111${n}-2222-3333-4444-555555555555`;
  const databases = (...ids: string[]) => ids.map((database_id, i) => ({ binding: i === 0 ? "DB" : `DB_${i}`, database_name: `notifications-${i}`, database_id }));
  const config = (d1_databases: ProductionConfig["d1_databases"], vars: Record<string, unknown> = {}): ProductionConfig => ({ ...repoProduction, d1_databases, vars: { ...repoProduction.vars, D1_SHARDS: "DB,DB_1", D1_SHARDS_OPEN: "", ...vars } });

  it.each([
    [databases(id(1), id(1)), ['env.production.d1_databases "DB", "DB_1": one database_id (11111111-2222-3333-4444-555555555555); each shard needs its own database']],
    [databases(id(1), id(2), id(1).toUpperCase()), ['env.production.d1_databases "DB", "DB_2": one database_id (11111111-2222-3333-4444-555555555555); each shard needs its own database']],
  ])("duplicate database ids are refused", (d1, problems) => {
    expect(duplicateDatabaseIds(config(d1))).toEqual(problems);
    expect(problemsIn(config(d1))).toEqual(expect.arrayContaining(problems));
  });

  it("distinct ids pass; placeholder ids are left to the placeholder check", () => {
    expect(duplicateDatabaseIds(config(databases(id(1), id(2))))).toEqual([]);
    expect(duplicateDatabaseIds(repoProduction)).toEqual([]);
    expect(placeholdersIn(repoProduction).filter((p) => p.includes("database_id"))).toHaveLength(2);
  });

  it.each([
    [{ D1_SHARDS: "DB" }, ['env.production.vars.D1_SHARDS = "DB": the D1 binding(s) "DB_1" of env.production.d1_databases is not listed']],
    [{ D1_SHARDS: "DB,DB_1,DB_2" }, ['env.production.vars.D1_SHARDS = "DB,DB_1,DB_2": "DB_2" is not a D1 binding of env.production.d1_databases']],
    [
      { D1_SHARDS: "DB,DB1" },
      ['env.production.vars.D1_SHARDS = "DB,DB1": "DB1" is not a D1 binding of env.production.d1_databases', 'env.production.vars.D1_SHARDS = "DB,DB1": the D1 binding(s) "DB_1" of env.production.d1_databases is not listed'],
    ],
    [{ D1_SHARDS: "" }, ['env.production.vars.D1_SHARDS = "": the D1 binding(s) "DB", "DB_1" of env.production.d1_databases are not listed']],
    [{ D1_SHARDS_OPEN: "DB_2" }, ['env.production.vars.D1_SHARDS_OPEN = "DB_2": "DB_2" not in D1_SHARDS']],
  ])("%j against the bindings DB, DB_1 is refused", (vars, problems) => {
    const production = config(databases(id(1), id(2)), vars);
    expect(shardProblems(production)).toEqual(problems);
    expect(problemsIn(production)).toEqual(expect.arrayContaining(problems));
  });

  it.each([{ D1_SHARDS: "DB,DB_1" }, { D1_SHARDS: " DB_1 , DB " }, { D1_SHARDS_OPEN: "DB_1" }])("%j against the bindings DB, DB_1 passes", (vars) => {
    expect(shardProblems(config(databases(id(1), id(2)), vars))).toEqual([]);
  });

  it("no database at all is refused", () => {
    expect(shardProblems(config([], { D1_SHARDS: "" }))).toEqual(["env.production has no D1 database: D1_SHARDS and env.production.d1_databases name none"]);
  });
});

describe("DATA_JURISDICTION: resources listed as created in it", () => {
  const everything = [...(repoProduction.d1_databases ?? []).map((db) => `d1:${db.database_name}`), ...queueNames(repoProduction).map((q) => `queue:${q}`)];

  it("unset (or empty), nothing is asked", () => {
    expect(jurisdictionProblems(repoProduction)).toEqual([]);
    expect(jurisdictionProblems(withVars({ DATA_JURISDICTION: "" }))).toEqual([]);
  });

  it("set with every D1 database and queue listed, it passes", () => {
    expect(everything).toEqual(expect.arrayContaining(["d1:notifications", "d1:notifications-1", "queue:sms-dispatch", "queue:sms-dispatch-dlq", "queue:email-events"]));
    expect(jurisdictionProblems(withVars({ DATA_JURISDICTION: "eu", DATA_JURISDICTION_CREATED: everything }))).toEqual([]);
  });

  it.each([
    [{ DATA_JURISDICTION: "eu" }, 'env.production.vars.DATA_JURISDICTION = "eu": list every D1 database and queue you created in it in env.production.vars.DATA_JURISDICTION_CREATED (["d1:<database_name>", "queue:<name>", …]; docs/configuration.md)'],
    [{ DATA_JURISDICTION: "eu", DATA_JURISDICTION_CREATED: "d1:notifications" }, 'env.production.vars.DATA_JURISDICTION = "eu": list every D1 database and queue you created in it in env.production.vars.DATA_JURISDICTION_CREATED (["d1:<database_name>", "queue:<name>", …]; docs/configuration.md)'],
    [
      { DATA_JURISDICTION: "eu", DATA_JURISDICTION_CREATED: everything.filter((r) => r !== "d1:notifications-1" && r !== "queue:provider-reports-dlq") },
      'env.production.vars.DATA_JURISDICTION = "eu": not listed in DATA_JURISDICTION_CREATED as created in it: d1:notifications-1, queue:provider-reports-dlq',
    ],
    [{ DATA_JURISDICTION: "EU", DATA_JURISDICTION_CREATED: everything }, 'env.production.vars.DATA_JURISDICTION = "EU": must be empty or "eu"'],
    [{ DATA_JURISDICTION: "fedramp", DATA_JURISDICTION_CREATED: everything }, 'env.production.vars.DATA_JURISDICTION = "fedramp": must be empty or "eu"'],
  ])("%j is refused", (vars, problem) => {
    expect(jurisdictionProblems(withVars(vars))).toEqual([problem]);
    expect(problemsIn(withVars(vars))).toContain(problem);
  });
});

describe("wrangler.toml", () => {
  it("its [env.production] has a route or custom domain, and PUBLIC_BASE_URL is on it", () => {
    expect(repoProduction.routes).toEqual([{ pattern: "notifications.example.com", custom_domain: true }]);
    expect(publicBaseUrlProblems(repoProduction)).toEqual([]);
    expect(shardProblems(repoProduction)).toEqual([]);
  });

  it("every check is run", () => {
    expect(CHECKS).toEqual([environmentProblems, simulatorProviders, placeholdersIn, publicBaseUrlProblems, duplicateDatabaseIds, shardProblems, jurisdictionProblems]);
  });

  it("its own [env.production] passes the environment and provider checks (its placeholders are for the operator to fill)", () => {
    expect(environmentProblems(repoProduction)).toEqual([]);
    expect(simulatorProviders(repoProduction)).toEqual([]);
    expect(problemsIn(repoProduction)).toEqual(placeholdersIn(repoProduction));
  });

  it("its top level (local development) would be refused: it runs the simulators", () => {
    const local = rawConfig as unknown as ProductionConfig;
    expect(environmentProblems(local)).toEqual(['env.production.vars.ENVIRONMENT = "local": it must be exactly "production" (lower case)']);
    expect(simulatorProviders(local)).toHaveLength(2);
  });

  it("without [env.production] it is refused", () => {
    expect(problemsIn(undefined)).toEqual(["wrangler.toml has no [env.production]"]);
  });
});
