// SMS through Twilio's Messages API over fetch (form POST, HTTP Basic with an API key).
import { callProvider } from "../http";
import type { ProviderOutcome } from "../outcome";
import type { OutboundMessage, Provider } from "../provider";
import type { SmsSenderRule } from "../sender-rule";
import { mapTwilioSendResponse } from "./status-map";

/**
 * The alphanumeric senders Twilio carries: "A-Z, a-z, 0-9, space, hyphen `-`, plus `+`, underscore `_`
 * and ampersand `&`", at most 11, not only digits (Twilio's AlphaSender resource, twilio-node
 * `rest/messaging/v1/service/alphaSender`). It refuses any other `From` with 21212 (status-map.ts).
 */
export const TWILIO_SENDERS: SmsSenderRule = {
  characters: /^[A-Za-z0-9 +_&-]$/,
  described: "letters A-Z and a-z, digits, space, `-`, `+`, `_` and `&`",
};

export const TWILIO_MAX_VALIDITY_SECONDS = 36_000;

export interface TwilioConfig {
  accountSid: string;
  apiKeySid: string;
  apiKeySecret: string;
  messagingServiceSid?: string;
  apiBase: string;
  /** Public origin of this service; the status callback is registered per message under it. */
  publicBaseUrl: string;
}

export function twilioConfig(env: Env): TwilioConfig {
  const required = { accountSid: env.TWILIO_ACCOUNT_SID, apiKeySid: env.TWILIO_API_KEY_SID, apiKeySecret: env.TWILIO_API_KEY_SECRET, publicBaseUrl: env.PUBLIC_BASE_URL };
  const missing = Object.entries(required).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length > 0) throw new Error(`Twilio is not configured: missing ${missing.join(", ")}`);
  return {
    accountSid: required.accountSid!,
    apiKeySid: required.apiKeySid!,
    apiKeySecret: required.apiKeySecret!,
    publicBaseUrl: required.publicBaseUrl!.replace(/\/+$/, ""),
    apiBase: (env.TWILIO_API_BASE || "https://api.twilio.com").replace(/\/+$/, ""),
    ...(env.TWILIO_MESSAGING_SERVICE_SID ? { messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID } : {}),
  };
}

export const TWILIO_STATUS_PATH = "/webhooks/twilio/status";

/**
 * Twilio's connection overrides for the callback (a fragment: it never reaches us): up to 5 retries
 * (Twilio's maximum) on any failure, so a report we answer 503 (not yet durable) is sent again.
 * Twilio keeps all attempts within 15 s.
 */
export const CALLBACK_OVERRIDES = "#rc=5&rp=all";

/** The status-callback URL for one message; it names the shipment, and Twilio signs it with every callback. */
export function statusCallbackUrl(publicBaseUrl: string, shipmentId: string): string {
  return `${publicBaseUrl}${TWILIO_STATUS_PATH}?shipment=${encodeURIComponent(shipmentId)}${CALLBACK_OVERRIDES}`;
}

export function twilioProvider(config: TwilioConfig): Provider {
  return {
    async send(message: OutboundMessage, signal: AbortSignal): Promise<ProviderOutcome> {
      const form = new URLSearchParams({
        To: message.to,
        Body: message.body,
        // Twilio's validity counts only its own queue time; our deadline alarm covers the rest.
        ValidityPeriod: String(Math.min(message.validitySeconds, TWILIO_MAX_VALIDITY_SECONDS)),
        StatusCallback: statusCallbackUrl(config.publicBaseUrl, message.shipmentId),
      });
      if (config.messagingServiceSid) form.set("MessagingServiceSid", config.messagingServiceSid);
      if (message.from) form.set("From", message.from);

      const call = await callProvider(
        `${config.apiBase}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`,
        {
          method: "POST",
          headers: {
            Authorization: `Basic ${btoa(`${config.apiKeySid}:${config.apiKeySecret}`)}`,
            "Content-Type": "application/x-www-form-urlencoded",
          },
          body: form,
        },
        signal,
      );
      if ("outcome" in call) return call.outcome;
      const { response } = call;
      const body: unknown = await response.json().catch(() => null);
      return mapTwilioSendResponse(response.status, body, { retryAfter: response.headers.get("retry-after") });
    },
  };
}
