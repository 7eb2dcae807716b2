// The verification endpoints' request and response schemas (docs/api.md, "One-time codes"), written once:
// they validate, type the handlers and describe the OpenAPI document. The fields they share with orders
// are the orders' own (src/orders/schemas.ts); the rules beyond a field's type are plain functions in
// rules.ts, which the schemas only call. Optional fields also take null, meaning "left out".
import { z } from "@hono/zod-openapi";
import {
  emailAddress,
  emailContentType,
  emailSubject,
  idempotencyId,
  phoneNumber,
  sendersReference,
  smsSender,
  text,
  wholeSeconds,
} from "../orders/schemas";
import { normalizePhoneNumber } from "../orders/phone-number";
import { MAX_SMS_SEGMENTS } from "../orders/sms-segments";
import { VERIFICATION_STATUSES } from "../status/verification";
import { MAX_COMPARED_LENGTH } from "./code";
import {
  ANDROID_APP_HASH_LENGTH,
  DEFAULT_CODE_LENGTH,
  DEFAULT_FALLBACK_AFTER_SECONDS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_VERIFICATION_TTL_SECONDS,
  formatConflict,
  isAndroidAppHash,
  isHostName,
  MAX_ATTEMPTS,
  MAX_CODE_LENGTH,
  MAX_FALLBACK_AFTER_SECONDS,
  MAX_HOST_NAME_LENGTH,
  MAX_VERIFICATION_TTL_SECONDS,
  MIN_ATTEMPTS,
  MIN_CODE_LENGTH,
  MIN_FALLBACK_AFTER_SECONDS,
  MIN_VERIFICATION_TTL_SECONDS,
  placeholderProblem,
  smsTextProblem,
  subjectProblem,
} from "./rules";

/** Left out or null: `value`. The OpenAPI document shows the default. */
function withDefault<T extends z.ZodType>(schema: T, value: z.output<T>) {
  return schema
    .nullish()
    .transform((v): z.output<T> => v ?? value)
    .openapi({ default: value });
}

/** A string refused with `message` when `problem` finds one. */
const ruled = (schema: z.ZodString, problem: (value: string) => string | null) =>
  schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message });
  });

const wholeNumber = (min: number, max: number) =>
  z.number({ error: "Must be an integer." }).int("Must be an integer.").min(min, `At least ${min}.`).max(max, `At most ${max}.`);

const verificationKey = idempotencyId.openapi({
  description:
    "The caller's key for this verification; with the caller's organisation it makes the start exactly-once. " +
    "Verification keys are a scope of their own: they never collide with order keys.",
});

const timeToLiveInSeconds = withDefault(wholeSeconds(MIN_VERIFICATION_TTL_SECONDS, MAX_VERIFICATION_TTL_SECONDS), DEFAULT_VERIFICATION_TTL_SECONDS).openapi({
  description:
    `The code's validity, and each message's deadline for hand-over, counted from the start: ${MIN_VERIFICATION_TTL_SECONDS} to ${MAX_VERIFICATION_TTL_SECONDS} ` +
    `(default ${DEFAULT_VERIFICATION_TTL_SECONDS}). A code is never delivered after it can no longer be used. A JSON string of digits ("300") is read as the number.`,
  example: 300,
});

const codeLength = withDefault(wholeNumber(MIN_CODE_LENGTH, MAX_CODE_LENGTH), DEFAULT_CODE_LENGTH).openapi({
  description: `Digits in the code: ${MIN_CODE_LENGTH} to ${MAX_CODE_LENGTH} (default ${DEFAULT_CODE_LENGTH}).`,
  example: 6,
});

const maxAttempts = withDefault(wholeNumber(MIN_ATTEMPTS, MAX_ATTEMPTS), DEFAULT_MAX_ATTEMPTS).openapi({
  description: `Checks allowed, right or wrong: ${MIN_ATTEMPTS} to ${MAX_ATTEMPTS} (default ${DEFAULT_MAX_ATTEMPTS}). The last wrong one ends the verification.`,
  example: 5,
});

const placeholderDescription = "Contains `{code}` exactly once, where the code goes.";

const emailBody = ruled(text({ controls: "body" }), placeholderProblem);
const codeFreeSubject = emailSubject.superRefine((value, ctx) => {
  const message = subjectProblem(value);
  if (message) ctx.addIssue({ code: "custom", message });
});
const subjectDescription =
  "At most 998 characters; each CR, LF or CRLF is read as one space. It must not contain `{code}`: a subject shows on lock screens and in mail lists.";

const smsPhoneNumber = phoneNumber
  .superRefine((value, ctx) => {
    const result = normalizePhoneNumber(value);
    // Orders take such a number (as Altinn does) and fail it later; no Altinn client calls these endpoints.
    if (result.ok && result.noSms) ctx.addIssue({ code: "custom", message: result.noSms });
  })
  .openapi({ description: "International number starting with + or 00, of a type that can take SMS (not a fixed line, for one)." });

const webOtpDomain = z
  .string()
  .refine(isHostName, `Must be a host name: labels of letters, digits and hyphens joined by dots, at most ${MAX_HOST_NAME_LENGTH} characters.`)
  .overwrite((v) => v.toLowerCase())
  .nullish()
  .transform((v) => v ?? undefined)
  .openapi({
    description:
      "The host of the page that asks for the code: the SMS then ends with the WebOTP line `@login.example.no #428516`, which browsers and phones offer to fill in. " +
      "Lower-cased. Not with androidAppHash.",
    example: "login.example.no",
  });

const androidAppHash = z
  .string()
  .refine(isAndroidAppHash, `Must be ${ANDROID_APP_HASH_LENGTH} characters of base64 (A-Z, a-z, 0-9, + and /).`)
  .nullish()
  .transform((v) => v ?? undefined)
  .openapi({
    description:
      "Your Android app's 11-character hash for the SMS Retriever: appended as the SMS's last line, and the whole SMS must then fit in 140 bytes " +
      "(one SMS: 160 GSM-7 characters or 70 UCS-2 units). Not with webOtpDomain.",
    example: "FA+9qCX9VSu",
  });

const FallbackEmailSchema = z
  .object({
    emailAddress: emailAddress("The recipient's address."),
    subject: codeFreeSubject.openapi({ description: subjectDescription, example: "Your code" }),
    body: emailBody.openapi({ description: placeholderDescription, example: "Your Altinn code is {code}." }),
    contentType: emailContentType,
    afterSeconds: withDefault(wholeNumber(MIN_FALLBACK_AFTER_SECONDS, MAX_FALLBACK_AFTER_SECONDS), DEFAULT_FALLBACK_AFTER_SECONDS).openapi({
      description:
        `Seconds after the start: if the SMS has failed, or is not delivered by then while the code is pending, the same code is sent once by email. ` +
        `${MIN_FALLBACK_AFTER_SECONDS} to ${MAX_FALLBACK_AFTER_SECONDS} (default ${DEFAULT_FALLBACK_AFTER_SECONDS}).`,
      example: 30,
    }),
  })
  .openapi("VerificationFallbackEmail");

export const SmsVerificationSchema = z
  .object({
    idempotencyId: verificationKey,
    sendersReference,
    phoneNumber: smsPhoneNumber,
    timeToLiveInSeconds,
    sender: smsSender,
    message: ruled(text({ controls: "body" }), placeholderProblem).openapi({
      description: `The SMS text (GSM-7 or UCS-2). ${placeholderDescription} At most ${MAX_SMS_SEGMENTS} segments, counted with the code and any WebOTP or app hash line in place.`,
      example: "Your Altinn code is {code}. It expires in 5 minutes.",
    }),
    codeLength,
    maxAttempts,
    webOtpDomain,
    androidAppHash,
    fallbackEmail: FallbackEmailSchema.nullish()
      .transform((v) => v ?? undefined)
      .openapi({ description: "The same code by email, once, when the SMS fails or is not delivered in time." }),
  })
  .superRefine((request, ctx) => {
    const format = { webOtpDomain: request.webOtpDomain, androidAppHash: request.androidAppHash };
    const conflict = formatConflict(format);
    if (conflict) {
      ctx.addIssue({ code: "custom", path: ["webOtpDomain"], message: conflict });
      ctx.addIssue({ code: "custom", path: ["androidAppHash"], message: conflict });
    }
    const problem = smsTextProblem(request.message, request.codeLength, format);
    if (problem) ctx.addIssue({ code: "custom", path: ["message"], message: problem });
  })
  .openapi("SmsVerificationRequest");

export const EmailVerificationSchema = z
  .object({
    idempotencyId: verificationKey,
    sendersReference,
    emailAddress: emailAddress("The recipient's address."),
    subject: codeFreeSubject.openapi({ description: subjectDescription, example: "Your code" }),
    body: emailBody.openapi({ description: placeholderDescription, example: "<p>Your Altinn code is {code}.</p>" }),
    contentType: emailContentType,
    senderEmailAddress: emailAddress("Sender address; the configured default when left out.").nullish(),
    timeToLiveInSeconds,
    codeLength,
    maxAttempts,
  })
  .openapi("EmailVerificationRequest");

export const CheckSchema = z
  .object({
    code: z
      .string()
      .min(1, "Must not be empty.")
      .max(MAX_COMPARED_LENGTH, `At most ${MAX_COMPARED_LENGTH} characters.`)
      .openapi({ description: "The code the person typed, as typed.", example: "428516" }),
  })
  .openapi("VerificationCheckRequest");

export const ResendSchema = z
  .object({
    idempotencyId: idempotencyId.openapi({ description: "The caller's key for this resend: a replay answers the same shipment, nothing sent." }),
  })
  .openapi("VerificationResendRequest");

const EXAMPLE_VERIFICATION_ID = "6a0c2f9e-8f1d-4c55-9b3e-2d7a41c0e915";
const EXAMPLE_SHIPMENT_ID = "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c21";

const verificationId = z.string().openapi({ description: "The verification's id, in its URL.", example: EXAMPLE_VERIFICATION_ID });
const shipmentId = z.string().openapi({ description: "The message's shipment: its manifest, feed entries and callbacks are an order's.", example: EXAMPLE_SHIPMENT_ID });

export const VerificationCreatedSchema = z
  .object({
    verificationId,
    shipmentId,
    expiresAt: z.string().openapi({ description: "When the code stops being accepted (ISO 8601, UTC).", example: "2026-12-07T12:05:00Z" }),
    sendersReference: z.string().optional(),
  })
  .openapi("VerificationCreated", {
    description: "The verification has started; its first message is on its way.",
    example: { verificationId: EXAMPLE_VERIFICATION_ID, shipmentId: EXAMPLE_SHIPMENT_ID, expiresAt: "2026-12-07T12:05:00Z", sendersReference: "login-1234" },
  });

export const CheckResultSchema = z
  .object({
    verificationId,
    status: z.enum(["approved", "denied"]).openapi({ description: "`approved` for the first right code; `denied` for a wrong one." }),
    attemptsLeft: z.number().int().openapi({ description: "Checks left; 0 after the last wrong one, which ends the verification." }),
  })
  .openapi("VerificationCheckResult", {
    description: "The check's judgement. A verification that can no longer approve a code answers 410 NOT-20001 instead.",
    example: { verificationId: EXAMPLE_VERIFICATION_ID, status: "approved", attemptsLeft: 4 },
  });

export const ResendResultSchema = z
  .object({ shipmentId: shipmentId.openapi({ description: "The new message's shipment." }) })
  .openapi("VerificationResendResult", { description: "The same code, sent again as a new message.", example: { shipmentId: EXAMPLE_SHIPMENT_ID } });

const VerificationShipmentSchema = z
  .object({
    shipmentId,
    channel: z.enum(["sms", "email"]),
    status: z.string().openapi({ description: "The shipment's recipient status.", example: "SMS_Delivered" }),
  })
  .openapi("VerificationShipment");

export const VerificationSchema = z
  .object({
    verificationId,
    status: z.enum(VERIFICATION_STATUSES).openapi({ description: "`pending` while a code can be approved; otherwise how it ended." }),
    attempts: z.number().int().openapi({ description: "Checks judged, right or wrong." }),
    maxAttempts: z.number().int(),
    expiresAt: z.string().openapi({ description: "ISO 8601, UTC.", example: "2026-12-07T12:05:00Z" }),
    approvedAt: z.string().optional().openapi({ description: "When the right code was checked (ISO 8601, UTC)." }),
    channel: z.enum(["sms", "email"]).openapi({ description: "The channel it started on." }),
    fallbackRefused: z.string().optional().openapi({ description: "The limit code (NOT-1000x) that kept the fallback email from being sent.", example: "NOT-10003" }),
    shipments: z.array(VerificationShipmentSchema).openapi({ description: "Its messages, first message first." }),
  })
  .openapi("Verification", {
    description: "A verification's state and its messages; never the code. Also the `data` of the `verification.status` callback.",
    example: {
      verificationId: EXAMPLE_VERIFICATION_ID,
      status: "approved",
      attempts: 1,
      maxAttempts: 5,
      expiresAt: "2026-12-07T12:05:00Z",
      approvedAt: "2026-12-07T12:00:41Z",
      channel: "sms",
      shipments: [{ shipmentId: EXAMPLE_SHIPMENT_ID, channel: "sms", status: "SMS_Delivered" }],
    },
  });

export type SmsVerificationRequest = z.output<typeof SmsVerificationSchema>;
export type EmailVerificationRequest = z.output<typeof EmailVerificationSchema>;
