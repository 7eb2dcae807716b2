// The one-time code: made from a cryptographic source without modulo bias, and compared in a time that
// does not depend on where a guess differs. The code never leaves the verification's object except
// inside the messages to the person (docs/verifications.md).

export const MIN_CODE_LENGTH = 4;
export const MAX_CODE_LENGTH = 10;

/** The longest code `sameCode` compares; a longer guess is wrong (and costs the same loop). */
export const MAX_COMPARED_LENGTH = 64;

// 250 = 25 × 10 is the largest multiple of 10 a byte can hold: v % 10 over 0–249 gives each digit exactly
// 25 times. Bytes 250–255 would favour the digits 0–5, so they are thrown away and another byte drawn.
const UNBIASED_BYTE_LIMIT = 250;

/** `length` uniform random decimal digits from `crypto.getRandomValues`. */
export function makeCode(length: number): string {
  return makeCodeFrom(length, (n) => crypto.getRandomValues(new Uint8Array(n)));
}

/** `makeCode` with the random source given, so a test can show which bytes are rejected. */
export function makeCodeFrom(length: number, randomBytes: (n: number) => Uint8Array): string {
  if (!Number.isInteger(length) || length < MIN_CODE_LENGTH || length > MAX_CODE_LENGTH) {
    throw new RangeError(`A code has ${MIN_CODE_LENGTH} to ${MAX_CODE_LENGTH} digits, not ${length}.`);
  }
  let code = "";
  while (code.length < length) {
    // A few spare bytes per draw: 6 in 256 are rejected, so one draw nearly always suffices.
    for (const byte of randomBytes(length - code.length + 4)) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      code += String(byte % 10);
      if (code.length === length) break;
    }
  }
  return code;
}

/**
 * Whether `given` is `expected`, with the same work whatever `given` holds and wherever it differs:
 * every one of MAX_COMPARED_LENGTH positions is read and XOR-accumulated, with no early exit and no branch
 * on the content (a position past a string's end reads NaN, which `| 0` turns into 0).
 */
export function sameCode(expected: string, given: string): boolean {
  if (expected.length > MAX_COMPARED_LENGTH) throw new RangeError("The expected code is longer than any code compared.");
  let difference = expected.length ^ given.length;
  for (let i = 0; i < MAX_COMPARED_LENGTH; i++) {
    difference |= (expected.charCodeAt(i) | 0) ^ (given.charCodeAt(i) | 0);
  }
  return difference === 0;
}
