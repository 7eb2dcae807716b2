// An order as the service keeps it: validated, normalised (E.164, defaults applied) and independent of
// which endpoint it came through, so the same request through /instant and /instant/sms is one request.
import type { z } from "@hono/zod-openapi";
import { normalizePhoneNumber } from "./phone-number";
import { contentTypeOf, type EmailContentType, type EmailOrderSchema, type RecipientSmsSchema } from "./schemas";
import { senderReplacement, type SenderReplacement } from "./sms-sender";

export interface SmsOrder {
  channel: "sms";
  idempotencyId: string;
  sendersReference?: string;
  phoneNumber: string;
  timeToLiveInSeconds: number;
  /** The sender as given (or the default when none was): what the request's fingerprint covers. */
  sender: string;
  /** A sender not every configured provider carries: the default is sent instead, and the status history says why. */
  senderReplaced?: SenderReplacement;
  body: string;
  /** Why this valid number cannot take an SMS (its type): the order is registered and fails at once. */
  noSms?: string;
}

export interface EmailOrder {
  channel: "email";
  idempotencyId: string;
  sendersReference?: string;
  emailAddress: string;
  subject: string;
  body: string;
  senderEmailAddress: string;
  contentType: EmailContentType;
  /** A deadline for the hand-over other than the email lifetime (a verification's email: its expiry). */
  timeToLiveInSeconds?: number;
}

/**
 * An order a verification makes (src/verifications/): one of its messages, the code in the body. Its key
 * is in the verification's scope (order-key.ts), never an order key a caller could use.
 */
export interface MessageOfVerification {
  verificationId: string;
  /** 1 for the first message, then each resend and the fallback in turn. */
  n: number;
  /** The body as the verification was asked for, with `{code}`: the fingerprint covers this, never the code. */
  template: string;
}

export type Order = (SmsOrder | EmailOrder) & { verification?: MessageOfVerification };

export interface OrderDefaults {
  smsSender: string;
  emailSender: string;
  /** The SMS providers (SMS_PROVIDERS, in failover order) whose sender rules decide whether a given sender is sent as given; none: only the rules every provider shares. */
  smsProviders?: readonly string[];
}

export function toSmsOrder(
  request: { idempotencyId: string; sendersReference?: string | null; recipientSms: z.infer<typeof RecipientSmsSchema> },
  defaults: OrderDefaults,
): SmsOrder {
  const { phoneNumber, timeToLiveInSeconds, smsSettings } = request.recipientSms;
  const phone = normalizePhoneNumber(phoneNumber);
  if (!phone.ok) throw new Error("toSmsOrder called with an unvalidated phone number");
  const replaced = smsSettings.sender == null ? null : senderReplacement(smsSettings.sender, defaults.smsSender, defaults.smsProviders ?? []);
  return {
    channel: "sms",
    idempotencyId: request.idempotencyId,
    ...(request.sendersReference != null ? { sendersReference: request.sendersReference } : {}),
    phoneNumber: phone.e164,
    timeToLiveInSeconds,
    sender: smsSettings.sender ?? defaults.smsSender,
    ...(replaced ? { senderReplaced: replaced } : {}),
    body: smsSettings.body,
    ...(phone.noSms ? { noSms: phone.noSms } : {}),
  };
}

export function toEmailOrder(request: z.infer<typeof EmailOrderSchema>, defaults: OrderDefaults): EmailOrder {
  const { emailAddress, emailSettings } = request.recipientEmail;
  return {
    channel: "email",
    idempotencyId: request.idempotencyId,
    ...(request.sendersReference != null ? { sendersReference: request.sendersReference } : {}),
    emailAddress,
    subject: emailSettings.subject,
    body: emailSettings.body,
    senderEmailAddress: emailSettings.senderEmailAddress ?? defaults.emailSender,
    contentType: contentTypeOf(emailSettings.contentType),
  };
}

/** The sender the provider is given: the caller's, or the default that replaced it. */
export function senderSent(order: SmsOrder): string {
  return order.senderReplaced?.by ?? order.sender;
}

/** The order's destination as the manifest shows it. */
export function destinationOf(order: Order): string {
  return order.channel === "sms" ? order.phoneNumber : order.emailAddress;
}
