// GET /performance (the page) and GET /performance.json (its figures): public, no token, the whole
// deployment with no organisation named (src/stats/performance.ts). PERFORMANCE_PAGE = "off": neither exists.
import type { Context, Hono } from "hono";
import { performanceFigures, type Performance } from "../../stats/performance";
import type { AppEnv } from "../context";
import { performancePage } from "../performance-page";
import { ApiError } from "../problem";

async function figures(c: Context<AppEnv>): Promise<Performance> {
  if (c.env.PERFORMANCE_PAGE === "off") throw new ApiError(404, { detail: "No such resource." });
  const p = await performanceFigures(c.env);
  if (!p) throw ApiError.of("NOT-00004", { detail: "The figures cannot be read just now; try again shortly." });
  return p;
}

export function registerPerformanceRoutes(app: Hono<AppEnv>) {
  app.get("/performance", async (c) => {
    const { html, csp } = performancePage(await figures(c));
    return c.html(html, 200, { "Content-Security-Policy": csp });
  });
  app.get("/performance.json", async (c) => c.json(await figures(c)));
}
