// An order as the service keeps it: validated, normalised (E.164, defaults applied) and independent of
// which endpoint it came through, so the same request through /instant and /instant/sms is one request.
import type { z } from "@hono/zod-openapi";
import { normalizePhoneNumber } from "./phone-number";
import { contentTypeOf, type EmailContentType, type EmailOrderSchema, type RecipientSmsSchema } from "./schemas";

export interface SmsOrder {
  channel: "sms";
  idempotencyId: string;
  sendersReference?: string;
  phoneNumber: string;
  timeToLiveInSeconds: number;
  sender: string;
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
}

export type Order = SmsOrder | EmailOrder;

export interface OrderDefaults {
  smsSender: string;
  emailSender: string;
}

export function toSmsOrder(
  request: { idempotencyId: string; sendersReference?: string | null; recipientSms: z.infer<typeof RecipientSmsSchema> },
  defaults: OrderDefaults,
): SmsOrder {
  const { phoneNumber, timeToLiveInSeconds, smsSettings } = request.recipientSms;
  const phone = normalizePhoneNumber(phoneNumber);
  if (!phone.ok) throw new Error("toSmsOrder called with an unvalidated phone number");
  return {
    channel: "sms",
    idempotencyId: request.idempotencyId,
    ...(request.sendersReference != null ? { sendersReference: request.sendersReference } : {}),
    phoneNumber: phone.e164,
    timeToLiveInSeconds,
    sender: smsSettings.sender ?? defaults.smsSender,
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

/** The order's destination as the manifest shows it. */
export function destinationOf(order: Order): string {
  return order.channel === "sms" ? order.phoneNumber : order.emailAddress;
}
