// The text of a verification's message: the caller's template with the code in place of `{code}`, and
// for an SMS the line a phone or browser reads the code from (WebOTP, or Android's SMS Retriever).
import { countSmsSegments } from "../orders/sms-segments";

export const CODE_PLACEHOLDER = "{code}";

export interface SmsFormat {
  /** A host name: the SMS ends with the WebOTP line `@<domain> #<code>`. */
  webOtpDomain?: string;
  /** Android's 11-character app hash: the SMS ends with it, on a line of its own. */
  androidAppHash?: string;
}

/** How many times `{code}` occurs in `text` (a valid template has it exactly once). */
export function countPlaceholders(text: string): number {
  return text.split(CODE_PLACEHOLDER).length - 1;
}

/** The template with its one `{code}` replaced by the code. */
export function withCode(template: string, code: string): string {
  const at = template.indexOf(CODE_PLACEHOLDER);
  if (at < 0 || countPlaceholders(template) !== 1) throw new Error(`A template has ${CODE_PLACEHOLDER} exactly once.`);
  return template.slice(0, at) + code + template.slice(at + CODE_PLACEHOLDER.length);
}

/**
 * The code in a message made from `template` (with `codeLength` digits in place of the placeholder), or
 * null when the message is not one made from it.
 */
export function codeIn(message: string, template: string, codeLength: number): string | null {
  const at = template.indexOf(CODE_PLACEHOLDER);
  if (at < 0 || !message.startsWith(template.slice(0, at))) return null;
  const code = message.slice(at, at + codeLength);
  return /^[0-9]+$/.test(code) && code.length === codeLength ? code : null;
}

/**
 * The SMS as sent: the code in place, then at most one of the two formats' last lines.
 *
 * WebOTP ("Origin-bound one-time codes delivered via SMS", https://wicg.github.io/sms-one-time-codes/,
 * the format the WebOTP API reads, https://wicg.github.io/web-otp/): the parser takes the message's last
 * line (after CRLF and CR become LF) and needs it to start with `@` and the host, then exactly one space,
 * then `#` and the code; everything before that line is explanatory text. So the line goes last, after a
 * line feed: "Your code is 428516.\n@login.example.no #428516".
 *
 * Android's SMS Retriever (https://developers.google.com/identity/sms-retriever/verify, "Construct a
 * verification message"): at most 140 bytes, holding the code and ending with the app's 11-character
 * hash string, as in "Your ExampleApp code is: 123ABC78\nFA+9qCX9VSu". (The page once also asked for a
 * `<#>` prefix; it no longer does, and a caller who wants it writes it in the template.)
 */
export function smsText(template: string, code: string, format: SmsFormat): string {
  if (format.webOtpDomain && format.androidAppHash) throw new Error("An SMS takes the WebOTP line or the Android app hash, not both.");
  const text = withCode(template, code);
  if (format.webOtpDomain) return `${text}\n${webOtpLine(format.webOtpDomain, code)}`;
  if (format.androidAppHash) return `${text}\n${format.androidAppHash}`;
  return text;
}

/** WebOTP's origin-bound line: `@login.example.no #428516`. */
export function webOtpLine(domain: string, code: string): string {
  return `@${domain} #${code}`;
}

/**
 * Whether the whole SMS fits in the SMS Retriever's 140 bytes, which is one SMS segment: 140 bytes carry
 * 160 GSM-7 septets or 70 UCS-2 units (3GPP TS 23.038), and a message of more is split with a header.
 */
export function fitsSmsRetriever(text: string): boolean {
  return countSmsSegments(text).segments <= 1;
}
