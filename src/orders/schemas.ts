// The request schemas, written once: they validate, type the handlers and describe the OpenAPI document.
// Optional fields also take null (as Altinn's .NET clients send it), meaning "left out".
// Cross-field and library-backed rules (phone numbers, segments, addresses) are plain functions
// beside this file; the schemas only call them.
import { z } from "@hono/zod-openapi";
import { isValidEmailAddress } from "./email-address";
import { normalizePhoneNumber } from "./phone-number";
import { countSmsSegments, MAX_SMS_SEGMENTS } from "./sms-segments";
import { SMS_SENDER_CHARACTERS } from "../providers/sms-senders";
import { isDefaultSmsSender, MAX_SMS_SENDER_LENGTH } from "./sms-sender";

// A required field that is missing (or null, which means "left out" here) says "Required", not zod 4's
// "Invalid input: expected string, received undefined". Messages set on a schema still come first.
z.config({
  customError: (issue) => (issue.code === "invalid_type" && (issue.input === undefined || issue.input === null) ? "Required" : undefined),
});

export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 172_800;

// Text that reaches logs, D1 or a provider must be well-formed Unicode (no lone surrogates). Keys and
// references take no control characters at all; a subject keeps tab (its CR and LF have become spaces
// before this check, so none can split a mail header); message bodies keep tab, CR and LF.
const FORBIDDEN_CONTROLS = {
  none: { pattern: /[\u0000-\u001f\u007f-\u009f]/, message: "Must not contain control characters." },
  line: { pattern: /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/, message: "Must not contain CR, LF or other control characters." },
  body: { pattern: /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/, message: "Must not contain control characters other than tab, CR and LF." },
} as const;

export const text = (options: { max?: number; blank?: "allowed" | "refused"; controls: keyof typeof FORBIDDEN_CONTROLS; normalize?: (v: string) => string }) => {
  let schema = z.string();
  if (options.normalize) schema = schema.overwrite(options.normalize);
  if (options.max !== undefined) schema = schema.max(options.max, `At most ${options.max} characters.`);
  return schema
    .refine((v) => options.blank === "allowed" || v.trim().length > 0, "Must not be blank.")
    .refine((v) => v.isWellFormed(), "Must be well-formed Unicode text.")
    .refine((v) => !FORBIDDEN_CONTROLS[options.controls].pattern.test(v), FORBIDDEN_CONTROLS[options.controls].message);
};

// Keys and references Altinn accepts: up to 1,000 characters.
export const MAX_KEY_LENGTH = 1000;

export const idempotencyId = text({ max: MAX_KEY_LENGTH, controls: "none" }).openapi({
  description: "The caller's key for this order; with the caller's organisation it makes registration exactly-once.",
  example: "94e9d0f6-5c5a-4a47-9a2f-0e4f2b1a7c11",
});
export const sendersReference = text({ max: MAX_KEY_LENGTH, blank: "allowed", controls: "none" })
  .nullish()
  .openapi({ description: "The caller's own reference, echoed back.", example: "otp-login-1234" });

const TTL_DIGITS = /^[0-9]+$/;

// A JSON string of ASCII digits is read as the number, as Altinn's JSON settings read numbers from
// strings; any other string (signs, spaces, decimals, exponents) is refused.
/** Whole seconds from `min` to `max`, as a JSON integer or a string of digits (orders, verifications). */
export const wholeSeconds = (min: number, max: number) => {
  const range = z.number().int("Must be an integer.").min(min, `At least ${min}.`).max(max, `At most ${max}.`);
  return z.union(
    [range, z.string().regex(TTL_DIGITS, "Must be an integer, or a string of the digits 0-9 only.").transform(Number).pipe(range)],
    { error: (issue) => (issue.input == null ? "Required" : "Must be an integer, or a string of the digits 0-9 only.") },
  );
};

const timeToLiveInSeconds = wholeSeconds(MIN_TTL_SECONDS, MAX_TTL_SECONDS).openapi({
  description: `Deadline for hand-over, counted from registration: ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}. A JSON string of digits ("3600") is read as the number.`,
  example: 120,
});

export const phoneNumber = z
  .string()
  .superRefine((value, ctx) => {
    const result = normalizePhoneNumber(value);
    if (!result.ok) ctx.addIssue({ code: "custom", message: result.message });
  })
  .openapi({ description: "International number starting with + or 00; stored and sent in E.164.", example: "+4799999999" });

// Any string Altinn accepts: one a provider cannot carry is replaced at registration (sms-sender.ts), never refused.
export const smsSender = z
  .string()
  .max(MAX_SMS_SENDER_LENGTH, `At most ${MAX_SMS_SENDER_LENGTH} characters.`)
  .refine((v) => v.isWellFormed(), "Must be well-formed Unicode text.")
  .nullish()
  // Left out, null, empty or blank: the configured default, as in Altinn.
  .transform((v) => (v == null || isDefaultSmsSender(v) ? undefined : v))
  .openapi({
    description:
      `Sender id; the configured default when left out, null, empty or blank. Any other string of at most ${MAX_SMS_SENDER_LENGTH} characters is accepted. ` +
      "It is sent as given when every configured SMS provider carries it: a name of 1 to 11 characters that each provider takes, with at least one letter " +
      `(${SMS_SENDER_CHARACTERS.map(([provider, described]) => `${provider}: ${described}`).join("; ")}), ` +
      "or a number of at most 15 digits with an optional `+`. Any other sender is replaced by the configured default: the answer carries `Sender-Replaced: true` " +
      "and the shipment's status history says why. The idempotency comparison uses the sender as given.",
    example: "Altinn",
  });

export const RecipientSmsSchema = z
  .object({
    phoneNumber,
    timeToLiveInSeconds,
    smsSettings: z.object({
      sender: smsSender,
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

// Surrounding whitespace is ignored (Altinn trims), so the address is stored and compared without it.
export const emailAddress = (description: string) =>
  z
    .string()
    .trim()
    .max(254, "At most 254 characters.")
    .refine(isValidEmailAddress, "Not a valid email address.")
    .openapi({ description: `${description} Surrounding whitespace is ignored; æøå are allowed in either part.`, example: "user@example.com" });

// RFC 5322's line limit; Altinn sets none.
export const MAX_SUBJECT_LENGTH = 998;

/** Altinn accepts CR and LF in a subject; a mail header cannot carry them, so each becomes a space. */
const lineBreaksToSpaces = (v: string) => v.replace(/\r\n|[\r\n]/g, " ");

const CONTENT_TYPES = { plain: "Plain", html: "Html", "0": "Plain", "1": "Html" } as const;
export type EmailContentType = "Plain" | "Html";

export const emailSubject = text({ max: MAX_SUBJECT_LENGTH, controls: "line", normalize: lineBreaksToSpaces }).openapi({
  description: `At most ${MAX_SUBJECT_LENGTH} characters; each CR, LF or CRLF is read as one space (a header line must not break).`,
  example: "One-time code",
});

export const emailContentType = z
  .union([z.string(), z.number()])
  .refine((v) => Object.hasOwn(CONTENT_TYPES, String(v).toLowerCase()), "Must be Plain or Html (or 0 or 1).")
  .nullish()
  .openapi({ description: "Plain (default) or Html, case-insensitive; 0 and 1 also accepted.", example: "Html" });

export const RecipientEmailSchema = z
  .object({
    emailAddress: emailAddress("The recipient's address."),
    emailSettings: z.object({
      subject: emailSubject,
      body: text({ controls: "body" }).openapi({ example: "<p>Your code is 428516</p>" }),
      senderEmailAddress: emailAddress("Sender address; the configured default when left out.").nullish(),
      contentType: emailContentType,
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
    verificationId: z.uuid().optional().openapi({ description: "Present when the shipment is a message of a verification (POST /future/verifications/…)." }),
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
    verificationId: z.uuid().optional().openapi({ description: "Present when the shipment is a message of a verification (POST /future/verifications/…)." }),
  })
  .openapi("ShipmentFeedEntry");

export const ProblemSchema = z
  .object({
    type: z.string().openapi({
      description: "`urn:altinn:error:<code>` for a problem with a code (as Altinn's); otherwise the HTTP status in RFC 9110.",
      example: "urn:altinn:error:NOT-00003",
    }),
    title: z.string().openapi({ description: "The code's own short title; otherwise the HTTP status text.", example: "Shipment not found" }),
    status: z.union([z.number().int(), z.enum(["approved", "expired", "max_attempts"])]).openapi({
      description: "The HTTP status; for `NOT-20001` (a verification no longer pending) the verification's status instead, as the contract says (the HTTP status is 410).",
    }),
    code: z.string().optional().openapi({ description: "The problem code; its explanation is at the `Link` header's `rel=\"help\"` target." }),
    detail: z.string().optional(),
    traceId: z.string(),
    errors: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .openapi({ description: "Validation failures, keyed by the JSON path of the field (`recipientSms.phoneNumber`), each a list of messages." }),
  })
  .openapi("ProblemDetails");
