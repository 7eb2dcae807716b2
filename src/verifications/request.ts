// A verification as the service keeps its request: validated and normalised, independent of the route
// it came through, and the orders its messages become. The request is kept sealed while the
// verification is pending (its texts and contact details), and erased with the code.
import { toEmailOrder, toSmsOrder, type Order, type OrderDefaults } from "../orders/order";
import type { EmailContentType } from "../orders/schemas";
import type { Channel } from "../status/statuses";
import { messageKey } from "./key";
import { smsText, withCode } from "./message-text";

interface Common {
  idempotencyId: string;
  sendersReference?: string;
  timeToLiveInSeconds: number;
  codeLength: number;
  maxAttempts: number;
}

export interface EmailMessage {
  emailAddress: string;
  subject: string;
  /** With `{code}` once. */
  body: string;
  contentType: EmailContentType;
  /** Null: the deployment's default sender. */
  senderEmailAddress: string | null;
}

export interface SmsVerificationRequest extends Common {
  channel: "sms";
  phoneNumber: string;
  /** As given (null: the default), so the sender rule decides as it does for orders. */
  sender: string | null;
  /** With `{code}` once. */
  message: string;
  webOtpDomain?: string;
  androidAppHash?: string;
  fallbackEmail?: EmailMessage & { afterSeconds: number };
}

export interface EmailVerificationRequest extends Common, EmailMessage {
  channel: "email";
}

export type VerificationRequest = SmsVerificationRequest | EmailVerificationRequest;

/** What "the same request" means for a verification key: every field, in a fixed order. */
export function canonicalRequest(r: VerificationRequest): unknown[] {
  const common = [r.channel, r.idempotencyId, r.sendersReference ?? null, r.timeToLiveInSeconds, r.codeLength, r.maxAttempts];
  if (r.channel === "email") return [...common, ...emailFields(r)];
  const fallback = r.fallbackEmail ? [...emailFields(r.fallbackEmail), r.fallbackEmail.afterSeconds] : null;
  return [...common, r.phoneNumber, r.sender, r.message, r.webOtpDomain ?? null, r.androidAppHash ?? null, fallback];
}

const emailFields = (m: EmailMessage) => [m.emailAddress, m.subject, m.body, m.contentType, m.senderEmailAddress];

export type MessageKind = "first" | "resend" | "fallback";

export interface MessagePlan {
  verificationId: string;
  n: number;
  kind: MessageKind;
  code: string;
  /** The verification's expiry: no message is handed over after it. */
  expiresAt: number;
  now: number;
}

/** The channel a message of this kind goes on: the fallback is the email; any other, the verification's channel. */
export function channelOf(r: VerificationRequest, kind: MessageKind): Channel {
  return kind === "fallback" ? "email" : r.channel;
}

/**
 * The order a message becomes: the code in its text, its key in the verification's scope, and its
 * deadline the verification's expiry (whole seconds left, never later).
 */
export function messageOrder(r: VerificationRequest, plan: MessagePlan, defaults: OrderDefaults): Order {
  const idempotencyId = messageKey(plan.verificationId, plan.n);
  const ttl = Math.max(1, Math.floor((plan.expiresAt - plan.now) / 1000));
  const reference = r.sendersReference !== undefined ? { sendersReference: r.sendersReference } : {};
  const email = r.channel === "email" ? r : plan.kind === "fallback" ? r.fallbackEmail : undefined;
  if (email) {
    const order = toEmailOrder(
      {
        idempotencyId,
        ...reference,
        recipientEmail: {
          emailAddress: email.emailAddress,
          emailSettings: { subject: email.subject, body: withCode(email.body, plan.code), contentType: email.contentType, senderEmailAddress: email.senderEmailAddress },
        },
      },
      defaults,
    );
    return { ...order, timeToLiveInSeconds: ttl, verification: { verificationId: plan.verificationId, n: plan.n, template: email.body } };
  }
  if (r.channel !== "sms") throw new Error("an email verification has no SMS message");
  const format = { ...(r.webOtpDomain ? { webOtpDomain: r.webOtpDomain } : {}), ...(r.androidAppHash ? { androidAppHash: r.androidAppHash } : {}) };
  const order = toSmsOrder(
    { idempotencyId, ...reference, recipientSms: { phoneNumber: r.phoneNumber, timeToLiveInSeconds: ttl, smsSettings: { sender: r.sender ?? undefined, body: smsText(r.message, plan.code, format) } } },
    defaults,
  );
  return { ...order, verification: { verificationId: plan.verificationId, n: plan.n, template: r.message } };
}
