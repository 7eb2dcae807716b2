// Provider delivery reports over HTTP. Twilio's status callback is authenticated by X-Twilio-Signature.
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deliverReport } from "../../dispatch/reports";
import { verifyTwilioSignature } from "../../providers/twilio/signature";
import { mapTwilioCallback } from "../../providers/twilio/status-map";
import type { AppEnv } from "../context";
import { ApiError } from "../problem";

export const TWILIO_STATUS_PATH = "/webhooks/twilio/status";
const MAX_CALLBACK_BYTES = 16 * 1024;

export function registerWebhookRoutes(app: Hono<AppEnv>) {
  const limit = bodyLimit({
    maxSize: MAX_CALLBACK_BYTES,
    onError: () => {
      throw new ApiError(413, { detail: "Callback too large." });
    },
  });
  app.post(TWILIO_STATUS_PATH, limit, async (c) => {
    const authToken = c.env.TWILIO_AUTH_TOKEN;
    const publicBaseUrl = c.env.PUBLIC_BASE_URL?.replace(/\/+$/, "");
    if (c.env.SMS_PROVIDER !== "twilio" || !authToken || !publicBaseUrl) throw new ApiError(404, { detail: "No such resource." });

    const signature = c.req.header("x-twilio-signature");
    if (!signature) throw new ApiError(400, { detail: "X-Twilio-Signature is required." });
    const raw = new TextDecoder().decode(await c.req.arrayBuffer());
    const params = [...new URLSearchParams(raw)];
    // Twilio signs the exact URL it called: the one registered under our public origin.
    const url = new URL(c.req.url);
    if (!(await verifyTwilioSignature(authToken, `${publicBaseUrl}${url.pathname}${url.search}`, params, signature))) {
      throw new ApiError(403, { detail: "The signature does not match." });
    }

    const form = new URLSearchParams(raw);
    const orderRef = url.searchParams.get("ref");
    const shipmentId = url.searchParams.get("shipment");
    const messageSid = form.get("MessageSid") ?? form.get("SmsSid");
    const messageStatus = form.get("MessageStatus") ?? form.get("SmsStatus");
    if (!orderRef || !shipmentId || !messageSid || !messageStatus) throw new ApiError(400, { detail: "Not a status callback." });

    const result = await deliverReport(c.env, {
      orderRef,
      shipmentId,
      providerRef: messageSid,
      outcome: mapTwilioCallback(messageStatus, form.get("ErrorCode") ?? undefined),
      // A replay carries the same message id and status as the original: recognised, never applied twice.
      dedupeKey: `twilio:${messageSid}:${messageStatus}`,
      source: `twilio ${messageStatus}${form.get("ErrorCode") ? ` ${form.get("ErrorCode")}` : ""}`,
    });
    if (result.kind === "unknown") throw new ApiError(404, { detail: "No such message for this callback." });
    if (result.kind === "duplicate") throw new ApiError(409, { detail: "This report was already received." });
    return c.body(null, 200);
  });
}
