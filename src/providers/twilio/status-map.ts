// Twilio answers → contract statuses (Twilio's message statuses and error codes; docs/providers.md).

import type { SMS_FINAL, SmsStatus } from "../../status/statuses";
import { notProcessed, parseRetryAfter, transientHttp } from "../http";
import { lookup, senderRefused, type ProviderOutcome } from "../outcome";

type SmsFinal = (typeof SMS_FINAL)[number];
export type SmsOutcome = ProviderOutcome<SmsStatus>;

/** Error codes of a rejected create (HTTP 400) that say something about the recipient. */
const SEND_ERROR_STATUS: Readonly<Record<string, SmsFinal>> = {
  "21211": "SMS_Failed_InvalidRecipient", // invalid 'To'
  "21614": "SMS_Failed_InvalidRecipient", // not a mobile number
  "21635": "SMS_Failed_InvalidRecipient", // landline
  "21610": "SMS_Failed_BarredReceiver", // recipient replied STOP
  "21408": "SMS_Failed_Rejected", // region not enabled
};

/** Error codes of a rejected create (HTTP 400) that refuse the `From` (the sender). */
const SENDER_ERRORS: ReadonlySet<string> = new Set([
  "21212", // invalid From: not a valid phone number, short code or alphanumeric sender ID
  "21606", // From is not a message-capable Twilio number for this destination or account
  "21659", // From is not a Twilio number or short code, or the short code's country differs
  "21661", // From number is not SMS-capable
]);

/** `ErrorCode` of a failed/undelivered status callback that refuses the sender. */
const CALLBACK_SENDER_ERRORS: ReadonlySet<string> = new Set([
  "30042", // the sender ID is blocked as generic or for its special characters
]);

/** `ErrorCode` of a failed/undelivered status callback. */
const CALLBACK_ERROR_STATUS: Readonly<Record<string, SmsFinal>> = {
  "30005": "SMS_Failed_InvalidRecipient", // unknown handset
  "30006": "SMS_Failed_InvalidRecipient", // landline or unreachable carrier
  "30004": "SMS_Failed_BarredReceiver", // message blocked
  "30007": "SMS_Failed_Rejected", // carrier filtering
  "30450": "SMS_Failed_Rejected", // SMS pumping protection
  "30036": "SMS_Failed_TTL", // ValidityPeriod expired
};

/** A callback status either fixes the outcome or is a failure refined by its ErrorCode. */
type CallbackRule = { outcome: SmsOutcome } | { failureOtherwise: SmsFinal };

const IGNORE: SmsOutcome = { kind: "ignore" };

const CALLBACK_RULES: Readonly<Record<string, CallbackRule>> = {
  // Steps before or at hand-over: we already recorded SMS_Accepted from the create response.
  queued: { outcome: IGNORE },
  accepted: { outcome: IGNORE },
  scheduled: { outcome: IGNORE },
  sending: { outcome: IGNORE },
  sent: { outcome: { kind: "progress", status: "SMS_Accepted" } },
  delivered: { outcome: { kind: "final", status: "SMS_Delivered" } },
  undelivered: { failureOtherwise: "SMS_Failed_Undelivered" },
  failed: { failureOtherwise: "SMS_Failed" },
  canceled: { outcome: { kind: "final", status: "SMS_Failed" } },
};

/** Maps the HTTP answer to `POST …/Messages.json`. */
export function mapTwilioSendResponse(
  httpStatus: number,
  body: unknown,
  headers?: { retryAfter?: string | null },
): SmsOutcome {
  if (httpStatus >= 200 && httpStatus < 300) {
    // Twilio took the message. Without a sid we cannot correlate reports, but sending again could
    // duplicate it; the deadline job settles it instead.
    const sid = field(body, "sid");
    return typeof sid === "string" && sid
      ? { kind: "accepted", status: "SMS_Accepted", providerRef: sid }
      : { kind: "accepted", status: "SMS_Accepted" };
  }
  // 408/429/5xx (and an unexpected 1xx/3xx): not processed, so retrying cannot duplicate.
  if (notProcessed(httpStatus)) {
    return transientHttp(httpStatus, parseRetryAfter(headers?.retryAfter));
  }
  // Other 4xx: validation, or config errors (401/403/404) that retrying will not fix.
  const code = field(body, "code");
  const codeKey = typeof code === "number" || typeof code === "string" ? String(code) : undefined;
  if (codeKey !== undefined && SENDER_ERRORS.has(codeKey)) return senderRefused(`twilio ${codeKey}`);
  return {
    kind: "final",
    status: lookup(SEND_ERROR_STATUS, codeKey) ?? "SMS_Failed",
    detail: codeKey ? `twilio ${codeKey}` : `http ${httpStatus}`,
  };
}

/** Maps a status callback's `MessageStatus` and `ErrorCode`. Unknown statuses change nothing. */
export function mapTwilioCallback(messageStatus: string, errorCode: string | undefined): SmsOutcome {
  const rule = lookup(CALLBACK_RULES, messageStatus);
  if (!rule) return { kind: "ignore" };
  if ("outcome" in rule) return { ...rule.outcome }; // a copy: callers must not be able to edit the table
  const code = errorCode?.trim() || undefined;
  if (code !== undefined && CALLBACK_SENDER_ERRORS.has(code)) return senderRefused(`twilio ${code}`);
  const status = lookup(CALLBACK_ERROR_STATUS, code) ?? rule.failureOtherwise;
  return code ? { kind: "final", status, detail: `twilio ${code}` } : { kind: "final", status };
}

function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}
