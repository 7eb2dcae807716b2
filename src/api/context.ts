import type { Context } from "hono";

export interface AppEnv {
  Bindings: Env;
  Variables: { org: string; traceId: string };
}
export type AppContext = Context<AppEnv>;

export const BASE_PATH = "/notifications/api/v1";
