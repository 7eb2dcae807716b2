// The simulator's controls, for tests, the benchmark, the soak and trying failover by hand. Only in local
// development (ENVIRONMENT "local"): anywhere else they do not exist (404).
import type { Hono } from "hono";
import { z } from "zod";
import { isLocal } from "../../config/environment";
import { SIMULATOR_NAMES } from "../../providers/choose";
import { simulatorStub } from "../../providers/simulator/stub";
import type { AppEnv } from "../context";
import { jsonBody } from "../middleware";
import { ApiError, validationErrors } from "../problem";

/**
 * An outage of one simulated provider for `seconds` (0 ends it). `fail` (the default): every call fails
 * transiently. `slow`: every call is accepted, and its delivery report comes `reportDelaySeconds` later.
 */
export const OutageRequest = z
  .object({
    provider: z.enum(SIMULATOR_NAMES as [string, ...string[]]),
    seconds: z.number().int().min(0).max(3600),
    mode: z.enum(["fail", "slow"]).default("fail"),
    reportDelaySeconds: z.number().int().min(1).max(86_400).optional(),
  })
  .refine((outage) => outage.mode === "slow" || outage.reportDelaySeconds === undefined, {
    path: ["reportDelaySeconds"],
    message: "Only a slow outage (mode \"slow\") takes reportDelaySeconds.",
  });

export function registerSimulatorRoutes(app: Hono<AppEnv>) {
  app.use("/simulator/*", async (c, next) => {
    if (!isLocal(c.env)) throw new ApiError(404, { detail: "No such resource." });
    await next();
  });

  app.get("/simulator/handovers", async (c) => c.json(await simulatorStub(c.env).stats()));

  const [mediaType, sizeLimit, wellFormed] = jsonBody; // 415, 413, 400 as for every JSON body
  app.post("/simulator/outage", mediaType!, sizeLimit!, wellFormed!, async (c) => {
    const parsed = OutageRequest.safeParse(await c.req.json());
    if (!parsed.success) throw new ApiError(400, { detail: "Validation failed.", errors: validationErrors(parsed.error.issues) });
    const { provider, seconds, mode, reportDelaySeconds } = parsed.data;
    return c.json(await simulatorStub(c.env).outage(provider, seconds, mode, reportDelaySeconds));
  });
}
