// The simulator's hand-over counts, for tests, the benchmark and the soak. Never in production.
import type { Hono } from "hono";
import { simulatorStub } from "../../providers/simulator/provider-simulator";
import type { AppEnv } from "../context";
import { ApiError } from "../problem";

export function registerSimulatorRoutes(app: Hono<AppEnv>) {
  app.get("/simulator/handovers", async (c) => {
    if (c.env.ENVIRONMENT === "production") throw new ApiError(404, { detail: "No such resource." });
    return c.json(await simulatorStub(c.env).stats());
  });
}
