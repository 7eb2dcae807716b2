// The simulator's controls, for tests, the benchmark, the soak and trying failover by hand. Never in production.
import type { Hono } from "hono";
import { z } from "zod";
import { SIMULATOR_NAMES } from "../../providers/choose";
import { simulatorStub } from "../../providers/simulator/stub";
import type { AppEnv } from "../context";
import { jsonBody } from "../middleware";
import { ApiError, validationErrors } from "../problem";

/** An outage of one simulated provider: every call to it fails transiently for `seconds` (0 ends it). */
export const OutageRequest = z.object({
  provider: z.enum(SIMULATOR_NAMES as [string, ...string[]]),
  seconds: z.number().int().min(0).max(3600),
});

export function registerSimulatorRoutes(app: Hono<AppEnv>) {
  app.use("/simulator/*", async (c, next) => {
    if (c.env.ENVIRONMENT === "production") throw new ApiError(404, { detail: "No such resource." });
    await next();
  });

  app.get("/simulator/handovers", async (c) => c.json(await simulatorStub(c.env).stats()));

  const [mediaType, sizeLimit, wellFormed] = jsonBody; // 415, 413, 400 as for every JSON body
  app.post("/simulator/outage", mediaType!, sizeLimit!, wellFormed!, async (c) => {
    const parsed = OutageRequest.safeParse(await c.req.json());
    if (!parsed.success) throw new ApiError(400, { detail: "Validation failed.", errors: validationErrors(parsed.error.issues) });
    return c.json(await simulatorStub(c.env).outage(parsed.data.provider, parsed.data.seconds));
  });
}
