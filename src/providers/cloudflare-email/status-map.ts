// Cloudflare Email Service answers → contract statuses (Cloudflare Email Service's documented errors and events; docs/providers.md).

import { z } from "zod";
import type { EMAIL_FINAL, EmailStatus } from "../../status/statuses";
import { lookup, type ProviderOutcome } from "../outcome";

type EmailFinal = (typeof EMAIL_FINAL)[number];
export type EmailOutcome = ProviderOutcome<EmailStatus>;

/** A send() error either settles the recipient or is retried; it never means progress. */
type SendErrorOutcome = Extract<EmailOutcome, { kind: "final" | "transient" }>;

const final = (status: EmailFinal): SendErrorOutcome => ({ kind: "final", status });
const TRANSIENT: SendErrorOutcome = { kind: "transient" };
/**
 * The account's daily sending quota is used up (new accounts start small; it resets the next day): no
 * retry before the deadline can send it, and every other email fails the same way, so it ends the
 * shipment at once and counts as the provider's outage.
 */
const DAILY_QUOTA_USED_UP: SendErrorOutcome = {
  kind: "final",
  status: "Email_Failed",
  detail: "the deployment's daily sending quota at Cloudflare Email Service is used up (E_DAILY_LIMIT_EXCEEDED); nothing was sent",
  providerOutage: "daily_quota",
};

/** `.code` of the Error thrown by `env.EMAIL.send()`. */
const SEND_ERROR_OUTCOME: Readonly<Record<string, SendErrorOutcome>> = {
  E_RECIPIENT_SUPPRESSED: final("Email_Failed_SuppressedRecipient"),
  // Our own address check runs first, so what is left is the provider's stricter view of the address.
  E_VALIDATION_ERROR: final("Email_Failed_InvalidFormat"),
  // Rate limit and provider faults: nothing was sent, retry until the deadline.
  E_RATE_LIMIT_EXCEEDED: TRANSIENT,
  E_DAILY_LIMIT_EXCEEDED: DAILY_QUOTA_USED_UP,
  E_INTERNAL_SERVER_ERROR: TRANSIENT,
  E_DELIVERY_FAILED: final("Email_Failed"),
  // Configuration and message-shape errors: retrying the same call cannot succeed.
  E_SENDER_NOT_VERIFIED: final("Email_Failed"),
  E_SENDER_DOMAIN_NOT_AVAILABLE: final("Email_Failed"),
  E_RECIPIENT_NOT_ALLOWED: final("Email_Failed"),
  E_FIELD_MISSING: final("Email_Failed"),
  E_TOO_MANY_RECIPIENTS: final("Email_Failed"),
  E_CONTENT_TOO_LARGE: final("Email_Failed"),
};

/** Code families matched by prefix (header validation errors come in many names). */
const SEND_ERROR_PREFIXES: ReadonlyArray<readonly [prefix: string, outcome: SendErrorOutcome]> = [
  ["E_HEADER_", final("Email_Failed")],
  ["E_HEADERS_", final("Email_Failed")],
];

/**
 * Maps a `send()` failure by its error code. No code (a network failure or a non-provider error) and
 * unknown codes are retried: the deadline bounds them.
 */
export function mapEmailSendError(code: string | undefined): EmailOutcome {
  const outcome =
    lookup(SEND_ERROR_OUTCOME, code) ??
    SEND_ERROR_PREFIXES.find(([prefix]) => code?.startsWith(prefix))?.[1] ??
    TRANSIENT;
  return code ? { ...outcome, detail: outcome.detail ?? code } : { ...outcome };
}

const EVENT_PREFIX = "cf.email.sending.message.";

/** Only the fields we act on; everything else (and future fields) passes through unchecked. */
const EmailEventSchema = z.object({
  type: z.string().startsWith(EVENT_PREFIX),
  payload: z.object({
    eventId: z.string().min(1),
    messageId: z.string().min(1),
    recipient: z.string().min(1),
    rejection: z.object({ reason: z.string().optional(), detail: z.string().optional() }).optional(),
  }),
});
type EmailEvent = z.infer<typeof EmailEventSchema>;

/**
 * Rejection reasons, first match wins. Only "suppressed" is documented; the others are matched loosely
 * because their wording is unconfirmed in Cloudflare's documentation.
 */
const REJECTION_RULES: ReadonlyArray<readonly [pattern: RegExp, status: EmailFinal]> = [
  [/^suppressed$/i, "Email_Failed_SuppressedRecipient"],
  [/spam/i, "Email_Failed_FilteredSpam"],
  [/invalid|validation/i, "Email_Failed_InvalidFormat"],
];

const EVENT_OUTCOME: Readonly<Record<string, (event: EmailEvent) => EmailOutcome>> = {
  delivered: () => final("Email_Delivered"),
  bounced: () => final("Email_Failed_Bounced"), // hard bounce, or soft-bounce retries exhausted
  failed: () => final("Email_Failed"),
  rejected: (event) => {
    const reason = event.payload.rejection?.reason ?? "";
    const status = REJECTION_RULES.find(([pattern]) => pattern.test(reason))?.[1] ?? "Email_Failed";
    return reason ? { kind: "final", status, detail: reason } : { kind: "final", status };
  },
  deferred: () => ({ kind: "ignore" }), // 4xx answer, provider retries; our deadline ends it as Email_Failed_TTL
  complained: () => ({ kind: "ignore" }), // may follow delivered; the status stays Email_Delivered
};

export type MappedEmailEvent = {
  messageId: string;
  recipient: string;
  /** De-duplication key: events arrive at least once. */
  eventId: string;
  /** The event name after the prefix, e.g. "complained", so callers can log what they ignore. */
  eventType: string;
  outcome: EmailOutcome;
};

/**
 * Parses one `cf.email.sending.message.*` queue message body. Malformed bodies give null; an unknown
 * event name under the prefix is well-formed but changes nothing.
 */
export function mapEmailEvent(event: unknown): MappedEmailEvent | null {
  const parsed = EmailEventSchema.safeParse(event);
  if (!parsed.success) return null;
  const { type, payload } = parsed.data;
  const eventType = type.slice(EVENT_PREFIX.length);
  const outcome = lookup(EVENT_OUTCOME, eventType)?.(parsed.data) ?? { kind: "ignore" };
  return { messageId: payload.messageId, recipient: payload.recipient, eventId: payload.eventId, eventType, outcome };
}
