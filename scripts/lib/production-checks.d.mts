/** Types of scripts/lib/production-checks.mjs (used by test/config/production-checks.test.ts). */

/** wrangler.toml's [env.production] as wrangler's reader gives it (only what the checks look at). */
export interface ProductionConfig {
  vars?: Record<string, unknown>;
  d1_databases?: { binding?: string; database_name?: string; database_id?: string }[];
  [key: string]: unknown;
}

export type Check = (production: ProductionConfig) => string[];

export const SIMULATOR_NAMES: string[];
export const PROVIDER_SETTINGS: string[];
export const environmentProblems: Check;
export const simulatorProviders: Check;
export const placeholdersIn: Check;
export const CHECKS: Check[];
export function problemsIn(production: ProductionConfig | undefined): string[];
