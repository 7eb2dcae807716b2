// Twilio's status callbacks, authenticated by X-Twilio-Signature (under TWILIO_AUTH_TOKEN, or under
// TWILIO_AUTH_TOKEN_PREVIOUS while a rotation has it set: Twilio signs with the token it has). The callback URL names the shipment
// (statusCallbackUrl), so the report reaches its order with no lookup.
import type { Hono } from "hono";
import type { AppEnv } from "../../context";
import { ApiError } from "../../problem";
import { isConfigured } from "../../../providers/choose";
import { CALLBACK_OVERRIDES, TWILIO_STATUS_PATH } from "../../../providers/twilio/client";
import { verifyTwilioSignature } from "../../../providers/twilio/signature";
import { mapTwilioCallback } from "../../../providers/twilio/status-map";
import { acceptAll, reportBodyLimit } from "./http";

const MAX_CALLBACK_BYTES = 16 * 1024;

export function registerTwilioReports(app: Hono<AppEnv>) {
  app.post(TWILIO_STATUS_PATH, reportBodyLimit(MAX_CALLBACK_BYTES), async (c) => {
    const authToken = c.env.TWILIO_AUTH_TOKEN;
    const publicBaseUrl = c.env.PUBLIC_BASE_URL?.replace(/\/+$/, "");
    if (!isConfigured(c.env, "sms", "twilio") || !authToken || !publicBaseUrl) throw new ApiError(404, { detail: "No such resource." });

    const signature = c.req.header("x-twilio-signature");
    if (!signature) throw new ApiError(400, { detail: "X-Twilio-Signature is required." });
    const raw = new TextDecoder().decode(await c.req.arrayBuffer());
    const form = new URLSearchParams(raw);
    // Twilio signs the exact URL it called: the one registered under our public origin. The override
    // fragment never reaches us; a signature over the URL with it is accepted too.
    const url = new URL(c.req.url);
    const called = `${publicBaseUrl}${url.pathname}${url.search}`;
    const tokens = [authToken, c.env.TWILIO_AUTH_TOKEN_PREVIOUS].filter((token): token is string => !!token);
    const checks = tokens.flatMap((token) => [called, `${called}${CALLBACK_OVERRIDES}`].map((signed) => verifyTwilioSignature(token, signed, form, signature)));
    const valid = (await Promise.all(checks)).includes(true);
    if (!valid) throw new ApiError(403, { detail: "The signature does not match." });

    const shipmentId = url.searchParams.get("shipment");
    const messageSid = form.get("MessageSid") ?? form.get("SmsSid");
    const messageStatus = form.get("MessageStatus") ?? form.get("SmsStatus");
    if (!shipmentId || !messageSid || !messageStatus) throw new ApiError(400, { detail: "Not a status callback." });
    const errorCode = form.get("ErrorCode") ?? undefined;

    await acceptAll(c.env, [
      {
        shipmentId,
        providerRef: messageSid,
        outcome: mapTwilioCallback(messageStatus, errorCode),
        // A replay carries the same message id and status as the original: recognised, never applied twice.
        dedupeKey: `twilio:${messageSid}:${messageStatus}`,
        smsProvider: "twilio",
        source: `twilio ${messageStatus}${errorCode ? ` ${errorCode}` : ""}`,
      },
    ]);
    return c.body(null, 200);
  });
}
