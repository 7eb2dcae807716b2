// Message bodies at the contract's limits, made of text that stresses every encoding step: 4-byte
// UTF-8 (emoji, outside the BMP), combining marks, a ZWJ sequence, Norwegian letters and CJK.
import { countSmsSegments, MAX_SMS_SEGMENTS, type SmsEncoding } from "../../src/orders/sms-segments";

export const MAX_REQUEST_BYTES = 256 * 1024;

/** Mixed Unicode for HTML. */
export const UNICODE_HTML = "<p>Koden din er 428516 😀 e\u0301 a\u0308\u0323 👨‍👩‍👧 æøå 日本語 𝄞</p>\n";

export const utf8Length = (text: string) => new TextEncoder().encode(text).length;
/** Bytes `text` takes inside a JSON string (escapes included, quotes not). */
const jsonLength = (text: string) => utf8Length(JSON.stringify(text)) - 2;

/**
 * The JSON text of `request` with `setBody(request, body)` filled so the whole text is exactly `bytes`
 * bytes: whole repeats of UNICODE_HTML while they fit, then ASCII for the last few bytes.
 */
export function requestOfBytes<T>(request: T, setBody: (request: T, body: string) => void, bytes: number): { request: T; text: string } {
  setBody(request, "");
  let room = bytes - utf8Length(JSON.stringify(request));
  const body = UNICODE_HTML.repeat(Math.floor(room / jsonLength(UNICODE_HTML)));
  room -= jsonLength(body);
  setBody(request, body + "x".repeat(room));
  const text = JSON.stringify(request);
  if (utf8Length(text) !== bytes) throw new Error(`requestOfBytes built ${utf8Length(text)} bytes, not ${bytes}`);
  return { request, text };
}

/** The longest text made by repeating `pattern` (whole code points) that still fits in 16 SMS segments. */
export function smsBodyAtSegmentLimit(pattern: string, encoding: SmsEncoding): string {
  const characters = Array.from(pattern);
  let body = "";
  for (let i = 0; ; i++) {
    const next = body + characters[i % characters.length];
    if (countSmsSegments(next).segments > MAX_SMS_SEGMENTS) break;
    body = next;
  }
  const counted = countSmsSegments(body);
  if (counted.encoding !== encoding || counted.segments !== MAX_SMS_SEGMENTS) throw new Error(`built ${counted.segments} ${counted.encoding} segments`);
  return body;
}

/** GSM-7 at the limit, extension characters (two septets each) included. */
export const GSM7_AT_LIMIT = () => smsBodyAtSegmentLimit("Din kode er 428516 [æøå] {€} ~ ", "GSM-7");
/** UCS-2 at the limit: surrogate pairs (4-byte UTF-8) and combining marks. */
export const UCS2_AT_LIMIT = () => smsBodyAtSegmentLimit("Koden din 😀 e\u0301 a\u0308 👨‍👩‍👧 日本 ", "UCS-2");
