/** Types of scripts/lib/production-checks.mjs (used by test/unit/config/production-checks.test.ts). */

/** wrangler.toml's [env.production] as wrangler's reader gives it (only what the checks look at). */
export interface ProductionConfig {
  vars?: Record<string, unknown>;
  d1_databases?: { binding?: string; database_name?: string; database_id?: string }[];
  routes?: (string | Route)[];
  route?: string | Route;
  queues?: { producers?: { queue?: string }[]; consumers?: { queue?: string; dead_letter_queue?: string }[] };
  [key: string]: unknown;
}

export interface Route {
  pattern: string;
  custom_domain?: boolean;
  zone_name?: string;
  zone_id?: string;
}

export type Check = (production: ProductionConfig) => string[];

export const SIMULATOR_NAMES: string[];
export const PROVIDER_SETTINGS: string[];
export const environmentProblems: Check;
export const simulatorProviders: Check;
export const placeholdersIn: Check;
export const publicBaseUrlProblems: Check;
export const duplicateDatabaseIds: Check;
export const shardProblems: Check;
export const jurisdictionProblems: Check;
export function routesOf(production: ProductionConfig): Route[];
export function routeCoversHost(route: Route, host: string): boolean;
export function queueNames(production: ProductionConfig | undefined): string[];
export const CHECKS: Check[];
export function problemsIn(production: ProductionConfig | undefined): string[];
