// The HTTP API: routes, auth, the OpenAPI document and the one place failures become problem+json.
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { BASE_PATH, type AppEnv } from "./context";
import { docsPage } from "./docs-page";
import { requireToken, traceAndNoStore } from "./middleware";
import { ApiError, PROBLEM_CODES, problemBody, validationFailed } from "./problem";
import { registerOrderRoutes } from "./routes/orders";
import { registerOutboxRoutes } from "./routes/outbox";
import { registerShipmentRoutes } from "./routes/shipments";
import { registerSimulatorRoutes } from "./routes/simulator";
import { registerPerformanceRoutes } from "./routes/performance";
import { registerStatsRoutes } from "./routes/stats";
import { registerStatusCallbackRoutes } from "./routes/status-callbacks";
import { logError } from "../log";
import { registerReportRoutes } from "../reports/routes";

const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "Instant notifications API",
    version: "1.0.0",
    description:
      "One SMS or one email to one recipient, now, exactly once; a drop-in for the Altinn Notifications instant endpoints.\n\n" +
      "Authorize with a bearer token (locally: `npm run --silent token -- --org ttd`), then *Try it out*.\n\n" +
      "Statistics: `GET /future/stats` (your organisation's, per UTC day and channel); the whole deployment's on the public [performance page](/performance) ([JSON](/performance.json)).\n\n" +
      "Problem codes:\n\n" +
      Object.entries(PROBLEM_CODES)
        .map(([code, text]) => `- [${code}](#problem-${code}): ${text}`)
        .join("\n"),
  },
};

export function newApp() {
  const app = new OpenAPIHono<AppEnv>({
    // Schema failures become one 400 problem with `errors` keyed by JSON path.
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.error.issues);
    },
  });

  app.use("*", traceAndNoStore);
  // Browser tools (editors, other API consoles) load the document from another origin.
  app.use("/openapi.json", cors({ origin: "*", allowMethods: ["GET", "OPTIONS"] }));
  app.use(`${BASE_PATH}/*`, requireToken);

  app.get("/health", (c) => c.json({ status: "ok" }));
  registerOrderRoutes(app);
  registerShipmentRoutes(app);
  registerStatusCallbackRoutes(app);
  registerStatsRoutes(app);
  registerPerformanceRoutes(app);
  registerReportRoutes(app);
  registerSimulatorRoutes(app);
  registerOutboxRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.doc31("/openapi.json", OPENAPI_INFO);
  app.get("/docs", (c) => {
    const { html, csp } = docsPage(OPENAPI_INFO.info.title, PROBLEM_CODES);
    return c.html(html, 200, { "Content-Security-Policy": csp });
  });

  // Hono answers 404 for a known path with the wrong method; say 405 and which methods exist.
  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) throw new ApiError(405, { detail: `Use ${allowed.join(", ")}.`, headers: { Allow: allowed.join(", ") } });
    throw new ApiError(404, { detail: "No such resource." });
  });

  app.onError((error, c) => {
    const traceId = c.get("traceId") ?? crypto.randomUUID();
    let status = 500;
    let options: ApiError["options"] = {};
    if (error instanceof ApiError) {
      status = error.status;
      options = error.options;
    } else if (error instanceof HTTPException) {
      status = error.status;
    } else {
      // The detail stays in the log (by trace id), never in the answer.
      logError("unhandled_error", error, { traceId });
    }
    return new Response(JSON.stringify(problemBody(status, traceId, options)), {
      status,
      headers: { "Content-Type": "application/problem+json", "Cache-Control": "no-store", ...options.headers },
    });
  });
  return app;
}

function allowedMethods(app: OpenAPIHono<AppEnv>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const pattern = new RegExp(`^${route.path.replace(/:[^/]+/g, "[^/]+").replace(/\*/g, ".*")}$`);
    if (pattern.test(path)) methods.add(route.method);
  }
  return [...methods];
}
