// The HTTP API: routes, auth, the OpenAPI document and the one place failures become problem+json.
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { BASE_PATH, type AppEnv } from "./context";
import { docsPage } from "./docs-page";
import { requireToken, traceAndNoStore } from "./middleware";
import { ApiError, dependencyFailed, PROBLEM_CODES, PROBLEM_TITLES, problemBody, problemHeaders, validationFailed, type ProblemCode } from "./problem";
import { registerOrderRoutes } from "./routes/orders";
import { registerOperatorRoutes } from "./routes/operator";
import { registerOutboxRoutes } from "./routes/outbox";
import { registerShipmentRoutes } from "./routes/shipments";
import { registerSimulatorRoutes } from "./routes/simulator";
import { registerPerformanceRoutes } from "./routes/performance";
import { registerStatsRoutes } from "./routes/stats";
import { registerStatusCallbackRoutes } from "./routes/status-callbacks";
import { registerVerificationRoutes } from "./routes/verifications";
import { log, logError } from "../log";
import { JurisdictionUnavailable } from "../config/durable-objects";
import { isOverloaded } from "../retry/overloaded";
import { OK, readiness } from "./readiness";
import { registerReportRoutes } from "./routes/reports/routes";

const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "Instant notifications API",
    version: "1.0.0",
    description:
      "One SMS or one email to one recipient, now, exactly once; a drop-in for the Altinn Notifications instant endpoints.\n\n" +
      "Authorize with a bearer token (locally: `npm run --silent token -- --org ttd`), then *Try it out*.\n\n" +
      "One-time codes: `POST /future/verifications/sms` (or `/email`) makes a code, sends it, keeps it sealed and checks it (`…/{verificationId}/check`); no caller handles the code.\n\n" +
      "Statistics: `GET /future/stats` (your organisation's, per UTC day and channel); the whole deployment's on the public [performance page](/performance) ([JSON](/performance.json)).\n\n" +
      "Request property names are matched case-insensitively (`RecipientSms` is `recipientSms`), as ASP.NET does; " +
      "two names in one object that differ only by case are a 400. Responses are always camelCase.\n\n" +
      "Every error is `application/problem+json` (RFC 9457). A problem with a `code` has `type` `urn:altinn:error:<code>`, " +
      "the code's own `title`, and a `Link: </docs#problem-<code>>; rel=\"help\"` header to its explanation:\n\n" +
      (Object.entries(PROBLEM_CODES) as [ProblemCode, string][])
        .map(([code, text]) => `- [${code}](/docs#problem-${code}) *${PROBLEM_TITLES[code]}*: ${text}`)
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
  app.get("/health/ready", async (c) => {
    const { ready, checks } = await readiness(c.env);
    if (ready) return c.json({ status: "ready", checks }, 200);
    const failing = Object.keys(checks).filter((name) => checks[name] !== OK);
    log("health.not_ready", { failing: failing.join(",") });
    return c.json({ status: "not_ready", failing, checks }, 503);
  });
  registerOrderRoutes(app);
  registerShipmentRoutes(app);
  registerVerificationRoutes(app);
  registerStatusCallbackRoutes(app);
  registerStatsRoutes(app);
  registerPerformanceRoutes(app);
  registerReportRoutes(app);
  registerSimulatorRoutes(app);
  registerOutboxRoutes(app);
  registerOperatorRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.doc31("/openapi.json", OPENAPI_INFO);
  app.get("/docs", (c) => {
    const { html, csp } = docsPage(OPENAPI_INFO.info.title, PROBLEM_CODES, PROBLEM_TITLES);
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
    let problem: Pick<ApiError, "code" | "options"> = { options: {} };
    if (error instanceof ApiError) {
      status = error.status;
      problem = error;
    } else if (error instanceof HTTPException) {
      status = error.status;
    } else if (error instanceof JurisdictionUnavailable) {
      // Nothing is made outside the configured jurisdiction; src/config/durable-objects.ts logged why.
      const unavailable = ApiError.of("NOT-00004", { detail: "A dependency failed; nothing was changed. Retry shortly." });
      status = unavailable.status;
      problem = unavailable;
    } else if (isOverloaded(error)) {
      // A Durable Object no route caught: the caller waits (Retry-After) instead of adding to its load.
      logError("durable_object.overloaded", error, { traceId });
      problem = dependencyFailed("A Durable Object is overloaded; nothing was changed. Retry after Retry-After seconds.", true);
      status = 503;
    } else {
      // The detail stays in the log (by trace id), never in the answer.
      logError("unhandled_error", error, { traceId });
    }
    return new Response(JSON.stringify(problemBody(status, traceId, { ...problem.options, code: problem.code })), {
      status,
      headers: { "Content-Type": "application/problem+json", "Cache-Control": "no-store", ...problemHeaders(problem) },
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
