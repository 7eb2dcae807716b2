// Recipient phone numbers: international form only, checked against libphonenumber's full metadata.

// The "max" build carries the per-type patterns; the smaller builds cannot tell mobile from fixed line.
import { parsePhoneNumberFromString, type NumberType } from "libphonenumber-js/max";

export type PhoneNumberResult = { ok: true; e164: string } | { ok: false; message: string };

// Types whose numbers cannot receive an SMS (CONTRACT.md, `phoneNumber`). Every other type passes:
// MOBILE and FIXED_LINE_OR_MOBILE plainly can; undefined means the metadata cannot tell, so the
// benefit of the doubt goes to the caller; PERSONAL_NUMBER and VOIP usually forward to a handset or
// an SMS-capable service; PAGER ranges take text messages (UK 076 is mostly SMS-routed today).
// A number that still cannot take the message fails later as SMS_Failed_InvalidRecipient.
const NO_SMS_TYPE_MESSAGES: Partial<Record<NonNullable<NumberType>, string>> = {
  FIXED_LINE: "A fixed-line number cannot receive SMS.",
  PREMIUM_RATE: "A premium-rate number cannot receive SMS.",
  TOLL_FREE: "A toll-free number cannot receive SMS.",
  SHARED_COST: "A shared-cost number cannot receive SMS.",
  VOICEMAIL: "A voicemail number cannot receive SMS.",
  UAN: "A universal access number cannot receive SMS.",
};

const INTERNATIONAL_PREFIX = /^(?:\+|00)[0-9]/;

// After the prefix: digits, with spaces or hyphens as people write them. Anything else (letters,
// "ext.", brackets) is refused outright, because libphonenumber would quietly drop or translate it.
const DIGITS_SPACES_HYPHENS = /^[0-9 -]*$/;

export function normalizePhoneNumber(input: string): PhoneNumberResult {
  const trimmed = input.trim();
  if (!INTERNATIONAL_PREFIX.test(trimmed)) {
    return { ok: false, message: "Must start with + or 00 and a country code." };
  }
  const international = trimmed.startsWith("00") ? `+${trimmed.slice(2)}` : trimmed;
  if (!DIGITS_SPACES_HYPHENS.test(international.slice(1))) {
    return { ok: false, message: "May contain only digits, spaces and hyphens after the prefix." };
  }

  const parsed = parsePhoneNumberFromString(international);
  if (!parsed || !parsed.isValid()) {
    return { ok: false, message: "Not a valid phone number for its country code." };
  }

  const type = parsed.getType();
  const refusal = type === undefined ? undefined : NO_SMS_TYPE_MESSAGES[type];
  if (refusal) return { ok: false, message: refusal };

  return { ok: true, e164: parsed.number };
}
