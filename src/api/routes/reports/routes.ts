// The provider delivery-report endpoints, outside the API's base path (providers carry no bearer token;
// each endpoint authenticates its provider by signature or secret).
import type { Hono } from "hono";
import type { AppEnv } from "../../context";
import { registerAzureEmailReports } from "./azure-email";
import { registerLinkMobilityReports } from "./linkmobility";
import { registerTwilioReports } from "./twilio";

export function registerReportRoutes(app: Hono<AppEnv>) {
  registerTwilioReports(app);
  registerLinkMobilityReports(app);
  registerAzureEmailReports(app);
}
