// Email through Azure Communication Services' Email API over fetch, signed with the resource's access
// key (signing.ts). Our shipment id is the Operation-Id, so the delivery reports (whose messageId is the
// operation id) reach the order with no lookup.
import { callProvider, parseRetryAfter } from "../http";
import type { ProviderOutcome } from "../outcome";
import type { OutboundMessage, Provider } from "../provider";
import { parseConnectionString, signedHeaders, type AcsCredentials } from "./signing";
import { mapAcsSendResponse } from "./status-map";

export const ACS_API_VERSION = "2023-03-31";

export function acsConfig(env: Env): AcsCredentials {
  if (!env.ACS_CONNECTION_STRING) throw new Error("Azure Communication Services is not configured: missing ACS_CONNECTION_STRING");
  return parseConnectionString(env.ACS_CONNECTION_STRING);
}

/** retry-after-ms / x-ms-retry-after-ms (Azure's) before retry-after in seconds. */
function retryAfterMs(headers: Headers): number | undefined {
  const ms = headers.get("retry-after-ms") ?? headers.get("x-ms-retry-after-ms");
  if (ms !== null && /^\d+$/.test(ms.trim())) return Number(ms.trim());
  return parseRetryAfter(headers.get("retry-after"));
}

export function azureEmailProvider(credentials: AcsCredentials): Provider {
  return {
    async send(message: OutboundMessage, signal: AbortSignal): Promise<ProviderOutcome> {
      const url = `${credentials.endpoint}/emails:send?api-version=${ACS_API_VERSION}`;
      const body = JSON.stringify({
        senderAddress: message.from,
        recipients: { to: [{ address: message.to }] },
        content: { subject: message.subject ?? "", ...(message.contentType === "Html" ? { html: message.body, ...(message.text !== undefined ? { plainText: message.text } : {}) } : { plainText: message.body }) },
        userEngagementTrackingDisabled: true,
      });
      const headers = {
        ...(await signedHeaders(credentials.accessKey, { method: "POST", url, body, date: new Date() })),
        "Content-Type": "application/json",
        "Operation-Id": message.shipmentId,
      };
      const call = await callProvider(url, { method: "POST", headers, body }, signal);
      if ("outcome" in call) return call.outcome;
      const answer: unknown = await call.response.json().catch(() => null);
      return mapAcsSendResponse(call.response.status, answer, message.shipmentId, retryAfterMs(call.response.headers));
    },
  };
}
