// The validation rules of a verification request that are more than a field's type and range: where the
// code goes, the WebOTP and Android formats, and what an SMS with the code in place may be. Plain
// functions, each returning the message a caller reads (or null when the rule holds); the schemas
// (schemas.ts) only call them.
import { MAX_SMS_SEGMENTS, countSmsSegments } from "../orders/sms-segments";
import { MAX_CODE_LENGTH, MIN_CODE_LENGTH } from "./code";
import { CODE_PLACEHOLDER, countPlaceholders, fitsSmsRetriever, smsText, type SmsFormat } from "./message-text";

export { MAX_CODE_LENGTH, MIN_CODE_LENGTH };
export const DEFAULT_CODE_LENGTH = 6;
export const MIN_ATTEMPTS = 1;
export const MAX_ATTEMPTS = 10;
export const DEFAULT_MAX_ATTEMPTS = 5;
/** The code's validity, and the deadline of each of its messages. */
export const MIN_VERIFICATION_TTL_SECONDS = 60;
export const MAX_VERIFICATION_TTL_SECONDS = 3600;
export const DEFAULT_VERIFICATION_TTL_SECONDS = 300;
/** How long after the 201 an SMS not yet delivered is followed by the fallback email. */
export const MIN_FALLBACK_AFTER_SECONDS = 5;
export const MAX_FALLBACK_AFTER_SECONDS = 600;
export const DEFAULT_FALLBACK_AFTER_SECONDS = 30;

export const MAX_HOST_NAME_LENGTH = 253;
export const ANDROID_APP_HASH_LENGTH = 11;

/** Why a message template (SMS text or email body) is not one with `{code}` exactly once, or null. */
export function placeholderProblem(template: string): string | null {
  const count = countPlaceholders(template);
  if (count === 0) return `Must contain ${CODE_PLACEHOLDER} where the code goes.`;
  if (count > 1) return `Must contain ${CODE_PLACEHOLDER} only once (it is there ${count} times).`;
  return null;
}

/**
 * Why a subject is refused, or null. The code goes in the body only: a subject is shown on lock screens,
 * in notifications and in mail lists, and kept in mail indexes, where anyone near the screen reads it.
 */
export function subjectProblem(subject: string): string | null {
  return subject.includes(CODE_PLACEHOLDER) ? "The code may be only in the body." : null;
}

// A DNS label: 1 to 63 letters, digits and inner hyphens (a name in another script is given in its
// xn-- form). Letters are ASCII on purpose: lower-casing first would let "K" (the Kelvin sign) become k.
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DIGITS_ONLY = /^[0-9]+$/;

/**
 * Whether `name` is a host name WebOTP can bind a code to: labels joined by dots, at least two, at most
 * 253 characters, no trailing dot, and a last label that is not all digits (a browser reads such a host
 * as an IPv4 address).
 */
export function isHostName(name: string): boolean {
  if (name.length > MAX_HOST_NAME_LENGTH) return false;
  const labels = name.split(".");
  return labels.length >= 2 && labels.every((label) => LABEL.test(label)) && !DIGITS_ONLY.test(labels.at(-1)!);
}

const ANDROID_APP_HASH = new RegExp(`^[A-Za-z0-9+/]{${ANDROID_APP_HASH_LENGTH}}$`);

/** Whether `hash` is an SMS Retriever app hash: 11 characters of base64 (no padding). */
export function isAndroidAppHash(hash: string): boolean {
  return ANDROID_APP_HASH.test(hash);
}

/** The message when both formats are asked for, or null: an SMS has one last line. */
export function formatConflict(format: SmsFormat): string | null {
  return format.webOtpDomain && format.androidAppHash
    ? "Give webOtpDomain or androidAppHash, not both: each needs the message's last line."
    : null;
}

/**
 * Why an SMS template cannot be sent with a code of `codeLength` digits and the format's last line, or
 * null. The SMS is counted as it will be sent (segments, and the 140 bytes the SMS Retriever reads).
 * Left to the other rules: a template without exactly one `{code}`, and both formats at once.
 */
export function smsTextProblem(template: string, codeLength: number, format: SmsFormat): string | null {
  if (countPlaceholders(template) !== 1 || formatConflict(format)) return null;
  const sent = smsText(template, "0".repeat(codeLength), format);
  const added = format.webOtpDomain ? " and the WebOTP line" : format.androidAppHash ? " and the app hash line" : "";
  const { segments, encoding, units } = countSmsSegments(sent);
  if (segments > MAX_SMS_SEGMENTS) {
    return `At most ${MAX_SMS_SEGMENTS} SMS segments, counted with the ${codeLength}-digit code${added} in place (this needs ${segments}).`;
  }
  if (format.androidAppHash && !fitsSmsRetriever(sent)) {
    const unit = encoding === "GSM-7" ? "GSM-7 characters (160 fit)" : "UCS-2 units (70 fit)";
    return `With androidAppHash the whole SMS, the ${codeLength}-digit code and the app hash line included, must fit in Android's 140 bytes, one SMS: this is ${units} ${unit}.`;
  }
  return null;
}
