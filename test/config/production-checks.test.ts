// The production preflight (`npm run predeploy`): each check of scripts/lib/production-checks.mjs on
// configurations made to fail it, and on wrangler.toml itself, read with wrangler's own reader.
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { environmentProblems, placeholdersIn, problemsIn, PROVIDER_SETTINGS, SIMULATOR_NAMES, simulatorProviders, type ProductionConfig } from "../../scripts/lib/production-checks.mjs";
import { SIMULATOR_NAMES as SERVICE_SIMULATOR_NAMES } from "../../src/providers/names";

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

describe("wrangler.toml", () => {
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
