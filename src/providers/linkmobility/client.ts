// SMS through LINK Mobility's SMS REST API ("Common"): JSON over fetch, HTTP Basic.
import { callProvider, parseRetryAfter } from "../http";
import type { ProviderOutcome } from "../outcome";
import type { OutboundMessage, Provider } from "../provider";
import { GSM7_SAFE_SENDERS, type SmsSenderRule } from "../sender-rule";
import { mapLinkSendResponse } from "./status-map";

/**
 * The alphanumeric senders LINK Mobility carries. Its SMS REST API documentation ("MT and Delivery
 * Reports" v1.6/v2.4, as summarised in the project's PROVIDERS.md) says only that an ALPHANUMERIC
 * `source` has at most 11 characters and names no character set: so the conservative GSM-7-safe set.
 * A source it refuses answers one of the result codes 2000-2003 (status-map.ts).
 */
export const LINK_SENDERS: SmsSenderRule = GSM7_SAFE_SENDERS;

/** LINK's longest relative validity (48 h, its default); our deadline job covers the rest. */
export const LINK_MAX_VALIDITY_MS = 172_800_000;

export interface LinkConfig {
  /** The account's API origin, e.g. https://n-eu.linkmobility.io; messages go to {baseUrl}/sms/send. */
  baseUrl: string;
  username: string;
  password: string;
  platformId: string;
  platformPartnerId: string;
  /** The gate whose URL receives the delivery reports. */
  gateId: string;
}

export function linkConfig(env: Env): LinkConfig {
  const required = {
    LINK_BASE_URL: env.LINK_BASE_URL,
    LINK_USERNAME: env.LINK_USERNAME,
    LINK_PASSWORD: env.LINK_PASSWORD,
    LINK_PLATFORM_ID: env.LINK_PLATFORM_ID,
    LINK_PLATFORM_PARTNER_ID: env.LINK_PLATFORM_PARTNER_ID,
    LINK_GATE_ID: env.LINK_GATE_ID,
  };
  const missing = Object.entries(required).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length > 0) throw new Error(`LINK Mobility is not configured: missing ${missing.join(", ")}`);
  return {
    baseUrl: required.LINK_BASE_URL!.replace(/\/+$/, ""),
    username: required.LINK_USERNAME!,
    password: required.LINK_PASSWORD!,
    platformId: required.LINK_PLATFORM_ID!,
    platformPartnerId: required.LINK_PLATFORM_PARTNER_ID!,
    gateId: required.LINK_GATE_ID!,
  };
}

/** How LINK must read the sender: a name (≤ 11 characters), a short number, or a full number. */
export function sourceTon(sender: string): "ALPHANUMERIC" | "SHORTNUMBER" | "MSISDN" {
  if (/[A-Za-z]/.test(sender)) return "ALPHANUMERIC";
  return /^\d{1,8}$/.test(sender) ? "SHORTNUMBER" : "MSISDN";
}

export function linkMobilityProvider(config: LinkConfig): Provider {
  return {
    async send(message: OutboundMessage, signal: AbortSignal): Promise<ProviderOutcome> {
      const body = {
        source: message.from,
        sourceTON: sourceTon(message.from),
        destination: message.to,
        userData: message.body,
        platformId: config.platformId,
        platformPartnerId: config.platformPartnerId,
        useDeliveryReport: true,
        deliveryReportGates: [config.gateId],
        // The remaining lifetime: LINK must not deliver after our deadline.
        relativeValidityTime: Math.min(message.validitySeconds * 1000, LINK_MAX_VALIDITY_MS),
        // The shipment id comes back in every delivery report and routes it to the order.
        refId: message.shipmentId,
        // The default (true) answers 204 with no message id; we need the id and the result code.
        ignoreResponse: false,
      };
      const call = await callProvider(
        `${config.baseUrl}/sms/send`,
        {
          method: "POST",
          headers: { Authorization: `Basic ${btoa(`${config.username}:${config.password}`)}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        },
        signal,
      );
      if ("outcome" in call) return call.outcome;
      const answer: unknown = await call.response.json().catch(() => null);
      return mapLinkSendResponse(call.response.status, answer, parseRetryAfter(call.response.headers.get("retry-after")));
    },
  };
}
