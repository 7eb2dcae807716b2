// A fake of LINK Mobility's SMS REST API ("Common") in its wire format, behind the
// Worker's own fetch, and its delivery reports as LINK posts them to our gate's URL.
import { exports } from "cloudflare:workers";
import { interceptFetch, json, never, scriptedReplies } from "./fake-fetch";

// The "providers" project's bindings (vitest.config.ts).
export const LINK_BASE_URL = "https://link.test";
export const LINK_USERNAME = "link-user";
export const LINK_PASSWORD = "link-password";
export const LINK_PLATFORM_ID = "PLATFORM-1";
export const LINK_PLATFORM_PARTNER_ID = "PARTNER-1";
export const LINK_GATE_ID = "GATE-1";
export const LINK_DR_SECRET = "link-dr-secret";
export const DR_URL = "https://notifications.test/webhooks/linkmobility/dr";

export type LinkReply =
  | { kind: "queued"; hold?: Promise<unknown> }
  | { kind: "error"; httpStatus: number; resultCode: number; description: string }
  | { kind: "network" }
  /** LINK queues the message (it has an id) but the answer never arrives. */
  | { kind: "hang" };

export const linkReply = {
  queued: (): LinkReply => ({ kind: "queued" }),
  badRequest: (): LinkReply => ({ kind: "error", httpStatus: 400, resultCode: 106000, description: "Unknown error" }),
  /** LINK refuses the `source`: 2000 invalid source number, 2002 alphanumeric not supported as source (where it answers them is unconfirmed). */
  sourceRefused: (httpStatus = 400, resultCode = 2000): LinkReply => ({ kind: "error", httpStatus, resultCode, description: resultCode === 2002 ? "Alpha is not supported as source" : "Invalid source number" }),
  unauthorized: (): LinkReply => ({ kind: "error", httpStatus: 401, resultCode: 106101, description: "Authentication failed" }),
  tooManyRequests: (): LinkReply => ({ kind: "error", httpStatus: 429, resultCode: 0, description: "Too many requests" }),
  unavailable: (): LinkReply => ({ kind: "error", httpStatus: 503, resultCode: 0, description: "Service unavailable" }),
  network: (): LinkReply => ({ kind: "network" }),
  hang: (): LinkReply => ({ kind: "hang" }),
};

export interface LinkRequest {
  n: number;
  at: number;
  url: string;
  authorization: string | null;
  body: Record<string, unknown>;
  /** refId: the shipment this hand-over was for. */
  shipmentId: string | null;
  answered: LinkReply["kind"];
  httpStatus?: number;
  /** The message id LINK gave it. */
  messageId?: string;
}

export interface FakeLink {
  readonly requests: LinkRequest[];
  requestsFor(shipmentId: string): LinkRequest[];
  /** Answers for one destination, in order; the last one repeats. Unscripted destinations are queued. */
  script(destination: string, replies: LinkReply[]): void;
  /** Answers for every destination without a script of its own (an outage), or null to end it. */
  scriptAll(reply: LinkReply | null): void;
}

const REQUIRED = ["source", "destination", "userData", "platformId", "platformPartnerId"] as const;

export function fakeLink(): FakeLink {
  const requests: LinkRequest[] = [];
  let everyone: LinkReply | null = null;
  const { script, next } = scriptedReplies<LinkReply>(() => everyone ?? linkReply.queued());

  interceptFetch(`${LINK_BASE_URL}/`, async (request) => {
    const body = ((await request.json().catch(() => ({}))) ?? {}) as Record<string, unknown>;
    const record: LinkRequest = {
      n: requests.length + 1,
      at: Date.now(),
      url: request.url,
      authorization: request.headers.get("authorization"),
      body,
      shipmentId: typeof body.refId === "string" ? body.refId : null,
      answered: "error",
    };
    requests.push(record);
    const refuse = (httpStatus: number, resultCode: number, description: string) => {
      record.httpStatus = httpStatus;
      return json(httpStatus, { resultCode, description });
    };
    // LINK refuses what it would refuse; a test then sees an unexpected final status.
    if (request.method !== "POST" || request.url !== `${LINK_BASE_URL}/sms/send`) return refuse(404, 106000, "Not found");
    if (record.authorization !== `Basic ${btoa(`${LINK_USERNAME}:${LINK_PASSWORD}`)}`) return refuse(401, 106101, "Authentication failed");
    if (REQUIRED.some((field) => typeof body[field] !== "string" || body[field] === "")) return refuse(400, 106000, "Missing field");
    if (body.platformId !== LINK_PLATFORM_ID || body.platformPartnerId !== LINK_PLATFORM_PARTNER_ID) return refuse(403, 106200, "Invalid platform");

    const answer = next(String(body.destination));
    record.answered = answer.kind;
    switch (answer.kind) {
      case "network":
        throw new TypeError("Network connection lost.");
      case "hang":
        record.messageId = crypto.randomUUID();
        return never(request);
      case "error":
        return refuse(answer.httpStatus, answer.resultCode, answer.description);
      case "queued": {
        record.messageId = crypto.randomUUID();
        record.httpStatus = 200;
        if (answer.hold) await answer.hold;
        // With ignoreResponse: true LINK answers 204 without a body: the client must ask for the answer.
        if (body.ignoreResponse !== false) return new Response(null, { status: 204 });
        return json(200, { messageId: record.messageId, resultCode: 1005, description: "Queued" });
      }
    }
  });

  return {
    requests,
    requestsFor: (shipmentId) => requests.filter((r) => r.shipmentId === shipmentId),
    script,
    scriptAll: (reply) => void (everyone = reply),
  };
}

/** A delivery report for a queued hand-over, in LINK's JSON DR format. */
export function deliveryReport(handover: LinkRequest, resultCode: number): Record<string, unknown> {
  if (!handover.messageId) throw new Error("that hand-over was not queued: it has no message id");
  const now = new Date().toISOString();
  return {
    refId: handover.shipmentId,
    id: handover.messageId,
    operator: "no.telenor",
    sentTimestamp: now,
    timestamp: now,
    resultCode,
    operatorResultCode: "0",
    segments: 1,
    gateCustomParameters: {},
    customParameters: {},
  };
}

/** POSTs a delivery report to the Worker as LINK does, with our gate's Basic credentials unless told otherwise. */
export async function postDeliveryReport(report: unknown, { authorization = `Basic ${btoa(`linkmobility:${LINK_DR_SECRET}`)}` as string | null, contentType = "application/json" } = {}) {
  const headers: Record<string, string> = { "Content-Type": contentType };
  if (authorization !== null) headers.Authorization = authorization;
  return exports.default.fetch(new Request(DR_URL, { method: "POST", headers, body: typeof report === "string" ? report : JSON.stringify(report) }));
}

export const sendDr = (handover: LinkRequest, resultCode: number) => postDeliveryReport(deliveryReport(handover, resultCode));
