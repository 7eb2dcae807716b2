// LINK Mobility answers and delivery reports → contract statuses (LINK Mobility's documented status codes; docs/providers.md).
import { z } from "zod";
import type { SMS_FINAL, SmsStatus } from "../../status/statuses";
import { notProcessed, transientHttp } from "../http";
import { lookup, senderRefused, type ProviderOutcome } from "../outcome";

type SmsFinal = (typeof SMS_FINAL)[number];
export type SmsOutcome = ProviderOutcome<SmsStatus>;

/** "Queued": LINK has taken the message. */
export const QUEUED = 1005;

/** Result codes that settle the recipient. */
const FINAL_CODES: Readonly<Record<string, SmsFinal>> = {
  "1001": "SMS_Delivered",
  "2104": "SMS_Failed_InvalidRecipient", // unknown subscriber
  "2106": "SMS_Failed_InvalidRecipient", // number error
  "2105": "SMS_Failed_BarredReceiver",
  "2107": "SMS_Failed_BarredReceiver",
  "1004": "SMS_Failed_Undelivered", // mobile full
  "1006": "SMS_Failed_Undelivered",
  "1009": "SMS_Failed_Undelivered",
  "3000": "SMS_Failed_Rejected", // encoding
  "3001": "SMS_Failed_Rejected",
  "3002": "SMS_Failed_Rejected",
  "4000": "SMS_Failed_Rejected", // content
  "4001": "SMS_Failed_Rejected",
  "4002": "SMS_Failed_Rejected",
  "4003": "SMS_Failed_Rejected",
  "4004": "SMS_Failed_Rejected",
  "4005": "SMS_Failed_Rejected",
  "4006": "SMS_Failed_Rejected",
  "4007": "SMS_Failed_Rejected",
  "2205": "SMS_Failed_Rejected", // service rejected
  "1002": "SMS_Failed_TTL", // validity expired
  "1010": "SMS_Failed", // expired without a report
  "0": "SMS_Failed",
  "1": "SMS_Failed",
  "2": "SMS_Failed",
  "3": "SMS_Failed",
  "4": "SMS_Failed",
  "5": "SMS_Failed",
  "6": "SMS_Failed",
  "104": "SMS_Failed",
  "105": "SMS_Failed",
};

/**
 * Result codes that refuse the `source` (the sender): 2000 invalid source number, 2001 short number
 * not supported as source, 2002 alphanumeric not supported as source, 2003 MSISDN not supported as
 * source. They are the "Common" platform's result codes as Sergel Connect (a LINK Mobility company on
 * the same platform) publishes them; where LINK puts them (an error answer, a 200, a report) is
 * unconfirmed, so all three are read.
 */
const SENDER_CODES: ReadonlySet<number> = new Set([2000, 2001, 2002, 2003]);

/**
 * Maps a result code of a delivery report. Temporary and unknown codes change nothing (the
 * deadline and its grace settle a message that never gets a known final code); 1005 (queued) is the
 * step we already recorded at hand-over.
 */
export function mapLinkResultCode(resultCode: number): SmsOutcome {
  if (SENDER_CODES.has(resultCode)) return senderRefused(`linkmobility ${resultCode}`);
  const final = lookup(FINAL_CODES, resultCode) ?? (resultCode >= 2200 && resultCode < 2300 ? "SMS_Failed" : undefined);
  if (final) return { kind: "final", status: final, detail: `linkmobility ${resultCode}` };
  if (resultCode === QUEUED) return { kind: "progress", status: "SMS_Accepted" };
  return { kind: "ignore" }; // temporary (1000, 1007, 1008, 1011, 1012: still on its way) or unknown

}

const SendAnswer = z.object({ messageId: z.string().min(1).optional(), resultCode: z.coerce.number().int().optional() });

/** Maps the HTTP answer to `POST {base}/sms/send` (sent with ignoreResponse: false). */
export function mapLinkSendResponse(httpStatus: number, body: unknown, retryAfterMs?: number): SmsOutcome {
  if (httpStatus === 204) return { kind: "accepted", status: "SMS_Accepted" }; // ignoreResponse was on: taken, no id
  if (httpStatus >= 200 && httpStatus < 300) {
    const answer = SendAnswer.safeParse(body);
    // Taken without an id we can read: sending again could duplicate it, so it counts as accepted.
    if (!answer.success) return { kind: "accepted", status: "SMS_Accepted" };
    const { messageId, resultCode } = answer.data;
    // A failure code says it was not taken, with or without a message id.
    if (resultCode !== undefined && resultCode !== QUEUED) {
      const mapped = mapLinkResultCode(resultCode);
      if (mapped.kind === "final" && mapped.status !== "SMS_Delivered") return mapped;
    }
    return messageId ? { kind: "accepted", status: "SMS_Accepted", providerRef: messageId } : { kind: "accepted", status: "SMS_Accepted" };
  }
  // 408/429/5xx: not processed, retry (also on the other provider). Other unexpected statuses too.
  if (notProcessed(httpStatus)) return transientHttp(httpStatus, retryAfterMs);
  // 400/401/403: a request or account error (106xxx) that sending again will not fix. The error body's
  // shape is unconfirmed: the code is read from `resultCode` or `code` where present.
  const code = errorCode(body);
  if (code !== undefined && SENDER_CODES.has(Number(code))) return senderRefused(`linkmobility ${code}`);
  return { kind: "final", status: "SMS_Failed", detail: code ? `linkmobility ${code}` : `http ${httpStatus}` };
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { resultCode, code } = body as Record<string, unknown>;
  const value = resultCode ?? code;
  return typeof value === "number" || (typeof value === "string" && /^\d{1,9}$/.test(value)) ? String(value) : undefined;
}

/** A delivery report as LINK posts it to the gate's URL (JSON); only the fields we act on are checked. */
export const LinkDeliveryReport = z.object({
  refId: z.string().min(1).max(100),
  id: z.string().min(1).max(200),
  resultCode: z.coerce.number().int(),
  operatorResultCode: z.union([z.string(), z.number()]).optional(),
  timestamp: z.string().optional(),
});
export type LinkDeliveryReport = z.infer<typeof LinkDeliveryReport>;
