// A fake of Azure Communication Services' Email API in its wire format, behind the
// Worker's own fetch. Like ACS it checks every request's HMAC signature (its own check, independent
// of src/), and answers 401 when it does not match. Event Grid's delivery reports are posted as
// Event Grid posts them.
import { exports } from "cloudflare:workers";
import { interceptFetch, json, never, scriptedReplies } from "./fake-fetch";

// The "providers" project's bindings (vitest.config.ts).
export const ACS_ENDPOINT = "https://acs.test";
export const ACS_ACCESS_KEY = btoa("fake-acs-access-key-of-32-bytes!");
export const ACS_EVENTS_SECRET = "acs-events-secret";
export const EVENTS_URL = "https://notifications.test/webhooks/azure-email/events";
export const SEND_URL = `${ACS_ENDPOINT}/emails:send?api-version=2023-03-31`;

export type AcsReply =
  | { kind: "accepted" }
  | { kind: "error"; httpStatus: number; code: string; message: string; retryAfter?: string }
  | { kind: "hang" };

export const acsReply = {
  accepted: (): AcsReply => ({ kind: "accepted" }),
  invalidAddress: (): AcsReply => ({ kind: "error", httpStatus: 400, code: "BadRequest", message: "Invalid format for email address 'x'." }),
  tooManyRequests: (retryAfter = "2"): AcsReply => ({ kind: "error", httpStatus: 429, code: "TooManyRequests", message: "Too many requests.", retryAfter }),
  unavailable: (): AcsReply => ({ kind: "error", httpStatus: 503, code: "ServiceUnavailable", message: "Service unavailable." }),
  hang: (): AcsReply => ({ kind: "hang" }),
};

export interface AcsRequest {
  n: number;
  at: number;
  url: string;
  operationId: string | null;
  body: Record<string, unknown>;
  signatureValid: boolean;
  answered: AcsReply["kind"];
  httpStatus?: number;
}

export interface FakeAcs {
  readonly requests: AcsRequest[];
  requestsFor(shipmentId: string): AcsRequest[];
  script(address: string, replies: AcsReply[]): void;
}

const utf8 = new TextEncoder();
const b64 = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes)));

/** What ACS checks: the body hash, and the signature over VERB, path and query, date, host and hash. */
async function verifies(request: Request, raw: string): Promise<boolean> {
  const url = new URL(request.url);
  const date = request.headers.get("x-ms-date") ?? "";
  const hash = b64(await crypto.subtle.digest("SHA-256", utf8.encode(raw)));
  if (request.headers.get("x-ms-content-sha256") !== hash) return false;
  const key = await crypto.subtle.importKey("raw", Uint8Array.from(atob(ACS_ACCESS_KEY), (c) => c.charCodeAt(0)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = b64(await crypto.subtle.sign("HMAC", key, utf8.encode(`${request.method}\n${url.pathname}${url.search}\n${date};${url.host};${hash}`)));
  const skewOk = Math.abs(Date.parse(date) - Date.now()) < 5 * 60_000;
  return skewOk && request.headers.get("authorization") === `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`;
}

export function fakeAcs(): FakeAcs {
  const requests: AcsRequest[] = [];
  const { script, next } = scriptedReplies<AcsReply>(acsReply.accepted);

  interceptFetch(`${ACS_ENDPOINT}/`, async (request) => {
    const raw = await request.text();
    const body = (JSON.parse(raw || "{}") ?? {}) as Record<string, unknown>;
    const record: AcsRequest = {
      n: requests.length + 1,
      at: Date.now(),
      url: request.url,
      operationId: request.headers.get("operation-id"),
      body,
      signatureValid: await verifies(request, raw),
      answered: "error",
    };
    requests.push(record);
    const error = (httpStatus: number, code: string, message: string, headers: Record<string, string> = {}) => {
      record.httpStatus = httpStatus;
      return json(httpStatus, { error: { code, message } }, { "x-ms-error-code": code, ...headers });
    };
    if (request.method !== "POST" || request.url !== SEND_URL) return error(404, "NotFound", "Not found.");
    if (!record.signatureValid) return error(401, "Denied", "Denied by the resource provider.");

    const to = ((body.recipients as { to?: { address?: string }[] } | undefined)?.to ?? [])[0]?.address ?? "";
    const answer = next(to);
    record.answered = answer.kind;
    switch (answer.kind) {
      case "hang":
        return never(request);
      case "error":
        return error(answer.httpStatus, answer.code, answer.message, answer.retryAfter ? { "retry-after": answer.retryAfter } : {});
      case "accepted": {
        record.httpStatus = 202;
        const id = record.operationId ?? crypto.randomUUID();
        return json(202, { id, status: "Running" }, { "Operation-Location": `${ACS_ENDPOINT}/emails/operations/${id}?api-version=2023-03-31`, "retry-after": "30" });
      }
    }
  });

  return {
    requests,
    requestsFor: (shipmentId) => requests.filter((r) => r.operationId === shipmentId),
    script,
  };
}

/** An EmailDeliveryReportReceived event as Event Grid delivers it. */
export function deliveryEvent(operationId: string, recipient: string, status: string, id: string = crypto.randomUUID()) {
  return {
    id,
    topic: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs",
    subject: `sender/noreply@example.com/message/${operationId}`,
    eventType: "Microsoft.Communication.EmailDeliveryReportReceived",
    eventTime: new Date().toISOString(),
    dataVersion: "1.0",
    metadataVersion: "1",
    data: {
      sender: "noreply@example.com",
      recipient,
      messageId: operationId,
      status,
      deliveryStatusDetails: { statusMessage: status === "Delivered" ? "250 2.0.0 OK" : "550 5.1.1 rejected" },
      deliveryAttemptTimeStamp: new Date().toISOString(),
    },
  };
}

export function validationEvent(validationCode: string) {
  return {
    id: crypto.randomUUID(),
    topic: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs",
    subject: "",
    eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
    eventTime: new Date().toISOString(),
    dataVersion: "2",
    metadataVersion: "1",
    data: { validationCode, validationUrl: `https://rp-westeurope.eventgrid.azure.net/eventsubscriptions/s/validate?id=${validationCode}&t=x` },
  };
}

/** POSTs events to the Worker as Event Grid does. */
export async function postEvents(events: unknown[], { accesskey = ACS_EVENTS_SECRET as string | null, type = "Notification" } = {}) {
  const url = accesskey === null ? EVENTS_URL : `${EVENTS_URL}?accesskey=${encodeURIComponent(accesskey)}`;
  return exports.default.fetch(
    new Request(url, { method: "POST", headers: { "Content-Type": "application/json", "aeg-event-type": type }, body: JSON.stringify(events) }),
  );
}
