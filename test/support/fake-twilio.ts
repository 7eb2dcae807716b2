// A fake of Twilio's Messages API, in Twilio's wire format, behind the Worker's own `fetch`
// (fake-fetch.ts). Behaviour is scripted per recipient (`To`), because a message may be
// dispatched before the test learns its shipment id.
import { exports } from "cloudflare:workers";
import { twilioSignature } from "../../src/providers/twilio/signature";
import { interceptFetch, json, never, scriptedReplies } from "./fake-fetch";

export { uniqueMobile } from "./fake-fetch";

// The "twilio" project's bindings (vitest.config.ts).
export const TWILIO_API_BASE = "https://api.twilio.test";
export const ACCOUNT_SID = "AC00000000000000000000000000000000";
export const API_KEY_SID = "SK00000000000000000000000000000000";
export const API_KEY_SECRET = "test-api-key-secret";
export const AUTH_TOKEN = "test-auth-token";
export const PUBLIC_BASE_URL = "https://notifications.test";
export const MESSAGES_URL = `${TWILIO_API_BASE}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
export const MAX_VALIDITY_SECONDS = 36_000;

export type TwilioReply =
  /** 201, status "queued"; with `hold`, the answer waits for it (the SID is known from the start). */
  | { kind: "created"; hold?: Promise<unknown> }
  /** A JSON error answer: 400 validation, 429 (20429), 5xx. */
  | { kind: "error"; httpStatus: number; code: number; message: string }
  /** The connection fails: fetch rejects. */
  | { kind: "network" }
  /** Twilio creates the message (it has a SID) but its answer never arrives: settles only when the caller's signal aborts. */
  | { kind: "hang" };

export const reply = {
  created: (): TwilioReply => ({ kind: "created" }),
  createdWhen: (hold: Promise<unknown>): TwilioReply => ({ kind: "created", hold }),
  invalidTo: (): TwilioReply => ({ kind: "error", httpStatus: 400, code: 21211, message: "Invalid 'To' Phone Number" }),
  /** Twilio refuses the `From` (e.g. an alphanumeric sender not registered for the destination). */
  invalidFrom: (): TwilioReply => ({ kind: "error", httpStatus: 400, code: 21212, message: "The 'From' number is not a valid phone number, shortcode, or alphanumeric sender ID." }),
  unsubscribed: (): TwilioReply => ({ kind: "error", httpStatus: 400, code: 21610, message: "Attempt to send to unsubscribed recipient" }),
  tooManyRequests: (): TwilioReply => ({ kind: "error", httpStatus: 429, code: 20429, message: "Too Many Requests" }),
  serverError: (): TwilioReply => ({ kind: "error", httpStatus: 500, code: 20500, message: "Internal Server Error" }),
  unavailable: (): TwilioReply => ({ kind: "error", httpStatus: 503, code: 20503, message: "Service Unavailable" }),
  network: (): TwilioReply => ({ kind: "network" }),
  hang: (): TwilioReply => ({ kind: "hang" }),
};

export interface TwilioRequest {
  /** Order of arrival across all recipients. */
  n: number;
  /** When it arrived (ms since epoch). */
  at: number;
  method: string;
  url: string;
  authorization: string | null;
  contentType: string | null;
  /** The decoded form body. */
  form: Record<string, string>;
  /** From the StatusCallback query: which shipment this hand-over was for. */
  shipmentId: string | null;
  answered: TwilioReply["kind"];
  httpStatus?: number;
  /** The Message SID Twilio gave it (201 only). */
  sid?: string;
}

const twilioError = (status: number, code: number, message: string) =>
  json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

/** Segments as Twilio counts them, roughly: GSM-7 160/153, otherwise UCS-2 70/67. */
function segments(body: string): number {
  const gsm = /^[\n\r !"#$%&'()*+,\-./0-9:;<=>?@A-Z_a-z£¥èéùìòÇØøÅåÄÖÑÜ§¿äöñüà]*$/.test(body);
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return body.length <= single ? 1 : Math.ceil(body.length / part);
}

export interface FakeTwilio {
  readonly requests: TwilioRequest[];
  /** Hand-overs of one shipment, in order. */
  requestsFor(shipmentId: string): TwilioRequest[];
  /** Answers for one recipient, in order; the last one repeats. Unscripted recipients get 201. */
  script(to: string, replies: TwilioReply[]): void;
}

/** Installs the fake (restored by vi.restoreAllMocks()). */
export function fakeTwilio(): FakeTwilio {
  const requests: TwilioRequest[] = [];
  const { script, next } = scriptedReplies<TwilioReply>(reply.created);

  interceptFetch(`${TWILIO_API_BASE}/`, async (request) => {
    const url = request.url;
    // (arrayBuffer, not text(): workerd warns when a form body is read as text)
    const form = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer())));
    let callback: URL | null = null;
    try {
      callback = form.StatusCallback ? new URL(form.StatusCallback) : null;
    } catch {
      callback = null;
    }
    const record: TwilioRequest = {
      n: requests.length + 1,
      at: Date.now(),
      method: request.method,
      url,
      authorization: request.headers.get("authorization"),
      contentType: request.headers.get("content-type"),
      form,
      shipmentId: callback?.searchParams.get("shipment") ?? null,
      answered: "created",
    };
    requests.push(record);

    // Twilio itself refuses what it would refuse; a test then sees an unexpected final status.
    if (request.method !== "POST" || url !== MESSAGES_URL) {
      record.answered = "error";
      record.httpStatus = 404;
      return twilioError(404, 20404, "The requested resource was not found");
    }
    if (record.authorization !== `Basic ${btoa(`${API_KEY_SID}:${API_KEY_SECRET}`)}`) {
      record.answered = "error";
      record.httpStatus = 401;
      return twilioError(401, 20003, "Authenticate");
    }

    const answer = next(form.To ?? "");
    record.answered = answer.kind;
    switch (answer.kind) {
      case "network":
        throw new TypeError("Network connection lost.");
      case "hang":
        record.sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
        return never(request);
      case "error":
        record.httpStatus = answer.httpStatus;
        return twilioError(answer.httpStatus, answer.code, answer.message);
      case "created": {
        const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
        const now = new Date().toUTCString().replace("GMT", "+0000");
        record.sid = sid;
        record.httpStatus = 201;
        if (answer.hold) await answer.hold;
        return json(201, {
          account_sid: ACCOUNT_SID,
          api_version: "2010-04-01",
          body: form.Body ?? "",
          date_created: now,
          date_sent: null,
          date_updated: now,
          direction: "outbound-api",
          error_code: null,
          error_message: null,
          from: form.From ?? null,
          messaging_service_sid: form.MessagingServiceSid ?? null,
          num_media: "0",
          num_segments: String(segments(form.Body ?? "")),
          price: null,
          price_unit: "USD",
          sid,
          status: "queued",
          subresource_uris: { media: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}/Media.json` },
          to: form.To ?? null,
          uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`,
        });
      }
    }
  });

  return {
    requests,
    requestsFor: (shipmentId) => requests.filter((r) => r.shipmentId === shipmentId),
    script,
  };
}

// ── Status callbacks, as Twilio sends them ────────────────────────────────────────────────────

/** The form parameters of a status callback for one accepted message. */
export function callbackParams(handover: TwilioRequest, status: string, errorCode?: string): Record<string, string> {
  if (!handover.sid) throw new Error("that hand-over was not accepted: it has no Message SID");
  const params: Record<string, string> = {
    ApiVersion: "2010-04-01",
    SmsSid: handover.sid,
    SmsStatus: status,
    MessageStatus: status,
    To: handover.form.To ?? "",
    MessageSid: handover.sid,
    AccountSid: ACCOUNT_SID,
    From: handover.form.From ?? "",
  };
  if (errorCode) params.ErrorCode = errorCode;
  if (status === "delivered" || status === "undelivered") params.RawDlrDoneDate = "2409300825";
  return params;
}

/** The URL Twilio requests for a StatusCallback: the fragment (its connection overrides) is Twilio's, never sent. */
export const requestedUrl = (statusCallback: string) => statusCallback.split("#")[0]!;

export interface PostCallbackOptions {
  /** The URL posted to; default the hand-over's StatusCallback as Twilio requests it (no fragment). */
  url?: string;
  /** What the signature covers; default what is posted. */
  signedUrl?: string;
  signedParams?: Record<string, string>;
  token?: string;
  /** An explicit header value, or null for none. */
  signature?: string | null;
}

/** POSTs a status callback to the Worker, signed like Twilio signs it unless told otherwise. */
export async function postCallback(handover: TwilioRequest, params: Record<string, string>, options: PostCallbackOptions = {}): Promise<Response> {
  if (!handover.form.StatusCallback) throw new Error("that hand-over carried no StatusCallback");
  const url = options.url ?? requestedUrl(handover.form.StatusCallback);
  const signature =
    options.signature !== undefined
      ? options.signature
      : await twilioSignature(options.token ?? AUTH_TOKEN, options.signedUrl ?? url, Object.entries(options.signedParams ?? params));
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1" };
  if (signature !== null) headers["X-Twilio-Signature"] = signature;
  return exports.default.fetch(new Request(url, { method: "POST", headers, body: new URLSearchParams(params).toString() }));
}

/** Shorthand: a correctly signed callback with this status. */
export const sendStatus = (handover: TwilioRequest, status: string, errorCode?: string) => postCallback(handover, callbackParams(handover, status, errorCode));
