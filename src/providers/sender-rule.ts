// Which SMS senders a provider carries. Each SMS provider client declares the characters of the
// alphanumeric senders it takes (an SmsSenderRule, beside the client); the shape is the same for all:
// an alphanumeric sender is 1 to 11 of those characters with at least one letter (GSM's limit for an
// alphanumeric originator, 3GPP TS 23.040), and a numeric one is a number of at most 15 digits
// (E.164) with an optional `+`. Registration sends a sender as given only when every configured
// provider carries it (failover may pick any); any other is replaced by the default (src/orders/sms-sender.ts).

export interface SmsSenderRule {
  /** Whether one character (a code point) may be in an alphanumeric sender. */
  readonly characters: RegExp;
  /** The characters in words, for the documentation. */
  readonly described: string;
}

export const MAX_ALPHANUMERIC_SENDER = 11;
export const MAX_NUMERIC_SENDER_DIGITS = 15;

const NUMERIC_SENDER = new RegExp(`^\\+?[0-9]{1,${MAX_NUMERIC_SENDER_DIGITS}}$`);
const LETTER = /[A-Za-z]/;

/**
 * A conservative GSM-7-safe set, for a provider whose documentation names no character set: ASCII
 * letters, digits, space, `-` and `.`, characters that GSM's 7-bit default alphabet codes as ASCII
 * does and that sender names commonly use.
 */
export const GSM7_SAFE_SENDERS: SmsSenderRule = {
  characters: /^[A-Za-z0-9 .-]$/,
  described: "letters A-Z and a-z, digits, space, `-` and `.`",
};

/**
 * Why the providers (in failover order, each with its rule) cannot all carry `sender`, or null when
 * every one can. A number is carried by all; a name must be made of each provider's characters (the
 * first one refused is named), have a letter, and be at most 11 long. The reason shows at most one
 * character of the sender.
 */
export function senderNotCarried(sender: string, providers: ReadonlyArray<readonly [name: string, rule: SmsSenderRule]>): string | null {
  if (NUMERIC_SENDER.test(sender)) return null;
  for (const [name, rule] of providers) {
    for (const character of sender) {
      if (!rule.characters.test(character)) return `${shown(character)} is not carried by ${name}`;
    }
  }
  if (/^\+?[0-9]+$/.test(sender)) return `a number of more than ${MAX_NUMERIC_SENDER_DIGITS} digits`;
  if (!LETTER.test(sender)) return "a name needs at least one letter";
  if ([...sender].length > MAX_ALPHANUMERIC_SENDER) return `a name of more than ${MAX_ALPHANUMERIC_SENDER} characters`;
  return null;
}

/** One character as a status description may show it: printable ASCII quoted, anything else by its code point. */
function shown(character: string): string {
  if (character === " ") return "a space";
  if (/^[\x21-\x7e]$/.test(character) && character !== "'") return `'${character}'`;
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}
