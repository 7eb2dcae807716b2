// Recipient phone numbers: international form only, checked against libphonenumber's full metadata.

// The "max" build carries the per-type patterns; the smaller builds cannot tell mobile from fixed line.
import { parsePhoneNumberFromString, type NumberType } from "libphonenumber-js/max";

/**
 * A valid number, in E.164; `noSms` says why it cannot take an SMS (its type), when its type is known to
 * be one that cannot: such a number is still registered, as Altinn does, and fails at once
 * (SMS_Failed_InvalidRecipient) without a provider call.
 */
export type PhoneNumberResult = { ok: true; e164: string; noSms?: string } | { ok: false; message: string };

// Types whose numbers cannot receive an SMS (docs/api.md, `phoneNumber`). Every other type passes:
// MOBILE and FIXED_LINE_OR_MOBILE plainly can; undefined means the metadata cannot tell, so the
// benefit of the doubt goes to the caller; PERSONAL_NUMBER and VOIP usually forward to a handset or
// an SMS-capable service; PAGER ranges take text messages (UK 076 is mostly SMS-routed today).
// A number of another type that still cannot take the message fails later, at the provider.
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
  const noSms = type === undefined ? undefined : NO_SMS_TYPE_MESSAGES[type];
  return { ok: true, e164: parsed.number, ...(noSms ? { noSms } : {}) };
}
