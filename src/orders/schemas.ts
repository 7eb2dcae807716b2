// The request schemas, written once: they validate, type the handlers and describe the OpenAPI document.
// Optional fields also take null (as Altinn's .NET clients send it), meaning "left out".
// Cross-field and library-backed rules (phone numbers, segments, addresses) are plain functions
// beside this file; the schemas only call them.
import { z } from "@hono/zod-openapi";
import { isValidEmailAddress } from "./email-address";
import { normalizePhoneNumber } from "./phone-number";
import { countSmsSegments, MAX_SMS_SEGMENTS } from "./sms-segments";
import { isValidSmsSender } from "./sms-sender";

// A required field that is missing (or null, which means "left out" here) says "Required", not zod 4's
// "Invalid input: expected string, received undefined". Messages set on a schema still come first.
z.config({
  customError: (issue) => (issue.code === "invalid_type" && (issue.input === undefined || issue.input === null) ? "Required" : undefined),
});

export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 172_800;

// Text that reaches logs, D1 or a provider must be well-formed Unicode (no lone surrogates). Keys and
// references take no control characters at all; a subject keeps tab (never CR or LF, which would split
// a mail header); message bodies keep tab, CR and LF.
const FORBIDDEN_CONTROLS = {
  none: { pattern: /[\u0000-\u001f\u007f-\u009f]/, message: "Must not contain control characters." },
  line: { pattern: /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/, message: "Must not contain CR, LF or other control characters." },
  body: { pattern: /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/, message: "Must not contain control characters other than tab, CR and LF." },
} as const;

const text = (options: { max?: number; blank?: "allowed" | "refused"; controls: keyof typeof FORBIDDEN_CONTROLS }) => {
  let schema = z.string();
  if (options.max !== undefined) schema = schema.max(options.max, `At most ${options.max} characters.`);
  return schema
    .refine((v) => options.blank === "allowed" || v.trim().length > 0, "Must not be blank.")
    .refine((v) => v.isWellFormed(), "Must be well-formed Unicode text.")
    .refine((v) => !FORBIDDEN_CONTROLS[options.controls].pattern.test(v), FORBIDDEN_CONTROLS[options.controls].message);
};

const idempotencyId = text({ max: 255, controls: "none" }).openapi({
  description: "The caller's key for this order; with the caller's organisation it makes registration exactly-once.",
  example: "94e9d0f6-5c5a-4a47-9a2f-0e4f2b1a7c11",
});
const sendersReference = text({ max: 255, blank: "allowed", controls: "none" })
  .nullish()
  .openapi({ description: "The caller's own reference, echoed back.", example: "otp-login-1234" });

export const RecipientSmsSchema = z
  .object({
    phoneNumber: z
      .string()
      .superRefine((value, ctx) => {
        const result = normalizePhoneNumber(value);
        if (!result.ok) ctx.addIssue({ code: "custom", message: result.message });
      })
      .openapi({ description: "International number starting with + or 00; stored and sent in E.164.", example: "+4799999999" }),
    timeToLiveInSeconds: z
      .number()
      .int("Must be an integer.")
      .min(MIN_TTL_SECONDS, `At least ${MIN_TTL_SECONDS}.`)
      .max(MAX_TTL_SECONDS, `At most ${MAX_TTL_SECONDS}.`)
      .openapi({ description: "Deadline for hand-over, counted from registration.", example: 120 }),
    smsSettings: z.object({
      sender: z
        .string()
        .refine(isValidSmsSender, "1 to 11 letters, digits or spaces with at least one letter, or a number of at most 15 digits.")
        .nullish()
        .openapi({ description: "Sender id; the configured default when left out.", example: "Altinn" }),
      body: text({ controls: "body" })
        .refine((v) => countSmsSegments(v).segments <= MAX_SMS_SEGMENTS, `At most ${MAX_SMS_SEGMENTS} SMS segments.`)
        .openapi({ description: "The message text (GSM-7 or UCS-2), at most 16 segments.", example: "Your code is 428516" }),
    }),
  })
  .openapi("RecipientSms");

export const SmsOrderSchema = z
  .object({ idempotencyId, sendersReference, recipientSms: RecipientSmsSchema })
  .openapi("InstantSmsOrderRequest");

export const DeprecatedSmsOrderSchema = z
  .object({ idempotencyId, sendersReference, recipient: z.object({ recipientSms: RecipientSmsSchema }) })
  .openapi("InstantNotificationOrderRequest");

const emailAddress = (description: string) =>
  z
    .string()
    .max(254, "At most 254 characters.")
    .refine(isValidEmailAddress, "Not a valid email address.")
    .openapi({ description, example: "user@example.com" });

const CONTENT_TYPES = { plain: "Plain", html: "Html", "0": "Plain", "1": "Html" } as const;
export type EmailContentType = "Plain" | "Html";

export const RecipientEmailSchema = z
  .object({
    emailAddress: emailAddress("The recipient's address."),
    emailSettings: z.object({
      subject: text({ max: 255, controls: "line" })
        .openapi({ example: "One-time code" }),
      body: text({ controls: "body" }).openapi({ example: "<p>Your code is 428516</p>" }),
      senderEmailAddress: emailAddress("Sender address; the configured default when left out.").nullish(),
      contentType: z
        .union([z.string(), z.number()])
        .refine((v) => Object.hasOwn(CONTENT_TYPES, String(v).toLowerCase()), "Must be Plain or Html (or 0 or 1).")
        .nullish()
        .openapi({ description: "Plain (default) or Html, case-insensitive; 0 and 1 also accepted.", example: "Html" }),
    }),
  })
  .openapi("RecipientEmail");

export const EmailOrderSchema = z
  .object({ idempotencyId, sendersReference, recipientEmail: RecipientEmailSchema })
  .openapi("InstantEmailOrderRequest");

export function contentTypeOf(value: string | number | null | undefined): EmailContentType {
  return value == null ? "Plain" : (CONTENT_TYPES[String(value).toLowerCase() as keyof typeof CONTENT_TYPES] ?? "Plain");
}

export const OrderResponseSchema = z
  .object({
    notificationOrderId: z.uuid(),
    notification: z.object({ shipmentId: z.uuid(), sendersReference: z.string().optional() }),
  })
  .openapi("InstantNotificationOrderResponse", {
    example: {
      notificationOrderId: "0f5f4a35-3b3e-4d1c-9f59-5f2b8c3e1a77",
      notification: { shipmentId: "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c21", sendersReference: "otp-login-1234" },
    },
  });

const statusDescription = z.string().openapi({
  description: "What the status means and what the caller should do next (as Altinn's manifest).",
  example: "The SMS was delivered to the recipient's phone.",
});

const RecipientStatusSchema = z.object({
  type: z.enum(["SMS", "Email"]),
  destination: z.string(),
  status: z.string().openapi({ example: "SMS_Delivered" }),
  statusDescription,
  lastUpdate: z.string().openapi({ example: "2024-09-30T08:25:13Z" }),
});

export const ShipmentSchema = z
  .object({
    shipmentId: z.uuid(),
    sendersReference: z.string().optional(),
    type: z.literal("Instant"),
    status: z.string().openapi({ example: "Order_Completed" }),
    statusDescription,
    lastUpdate: z.string(),
    recipients: z.array(RecipientStatusSchema),
  })
  .openapi("ShipmentDeliveryManifest");

export const FeedEntrySchema = z
  .object({
    sequenceNumber: z.number().int(),
    shipmentId: z.uuid(),
    sendersReference: z.string().optional(),
    shipmentType: z.literal("Instant"),
    status: z.string(),
    statusDescription,
    lastUpdate: z.string(),
    recipients: z.array(RecipientStatusSchema.omit({ type: true })),
  })
  .openapi("ShipmentFeedEntry");

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().optional(),
    detail: z.string().optional(),
    traceId: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .openapi("ProblemDetails");
