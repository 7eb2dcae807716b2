// SMS originator (docs/api.md, `smsSettings.sender`): what networks accept as an alphanumeric or numeric sender.

// GSM allows 11 alphanumeric characters; at least one letter keeps it from being read as a number.
const ALPHANUMERIC_SENDER = /^(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

// A numeric sender is an MSISDN or short code: E.164 allows at most 15 digits.
const NUMERIC_SENDER = /^\+?[0-9]{1,15}$/;

export function isValidSmsSender(s: string): boolean {
  return ALPHANUMERIC_SENDER.test(s) || NUMERIC_SENDER.test(s);
}
