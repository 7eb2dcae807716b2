// Azure Communication Services email delivery reports, delivered by an Event Grid subscription (Event
// Grid schema) to this endpoint. Event Grid signs nothing: the subscription's URL carries a secret,
// ?accesskey=<ACS_EVENTS_SECRET> (as Altinn's does; ACS_EVENTS_SECRET_PREVIOUS too while a rotation has it
// set), compared in constant time; 401 otherwise (Event Grid does not retry 401). The report's messageId is the operation id, which is our shipment id.
import type { Hono } from "hono";
import type { AppContext, AppEnv } from "../../context";
import { ApiError } from "../../problem";
import { log } from "../../../log";
import { isConfigured } from "../../../providers/choose";
import { EventGridBatch, readEventGridEvent } from "../../../providers/azure-email/status-map";
import type { DeliveryReport } from "../../../reports/deliver";
import { acceptAll, reportBodyLimit, secretMatchesAny } from "./http";

export const ACS_EVENTS_PATH = "/webhooks/azure-email/events";
const MAX_BATCH_BYTES = 1024 * 1024; // Event Grid's largest batch

export function registerAzureEmailReports(app: Hono<AppEnv>) {
  /** 404 unless ACS is the email provider, 401 unless the secret matches. */
  const authenticate = async (c: AppContext) => {
    const secret = c.env.ACS_EVENTS_SECRET;
    if (!isConfigured(c.env, "email", "azure") || !secret) throw new ApiError(404, { detail: "No such resource." });
    if (!(await secretMatchesAny(c.req.query("accesskey"), [secret, c.env.ACS_EVENTS_SECRET_PREVIOUS]))) throw new ApiError(401, { detail: "The access key does not match." });
  };

  // CloudEvents schema's abuse-protection handshake, should the subscription use that schema.
  app.options(ACS_EVENTS_PATH, async (c) => {
    await authenticate(c);
    const origin = c.req.header("webhook-request-origin");
    if (!origin) throw new ApiError(400, { detail: "WebHook-Request-Origin is required." });
    return c.body(null, 200, { "WebHook-Allowed-Origin": origin, Allow: "POST, OPTIONS" });
  });

  app.post(ACS_EVENTS_PATH, reportBodyLimit(MAX_BATCH_BYTES), async (c) => {
    await authenticate(c);
    const batch = EventGridBatch.safeParse(await c.req.json().catch(() => null));
    if (!batch.success) throw new ApiError(400, { detail: "Not an Event Grid event batch." });
    const items = batch.data.map(readEventGridEvent);
    if (items.some((item) => item === null)) throw new ApiError(400, { detail: "An event is not well-formed." });

    // The subscription-validation handshake: answer with the code to prove we own the endpoint.
    const validation = items.find((item) => item?.kind === "validation");
    if (validation?.kind === "validation") {
      log("acs_events.subscription_validated");
      return c.json({ validationResponse: validation.validationCode });
    }

    const reports: DeliveryReport[] = [];
    for (const item of items) {
      if (item?.kind === "delivery") {
        const shipmentId = item.messageId.toLowerCase();
        reports.push({ shipmentId, providerRef: shipmentId, outcome: item.outcome, dedupeKey: `acs:${item.eventId}`, source: `acs ${item.status}` });
      } else if (item?.kind === "other") {
        log("acs_events.ignored", { eventType: item.eventType.slice(0, 100) });
      }
    }
    await acceptAll(c.env, reports);
    return c.body(null, 200);
  });
}
