// X-Twilio-Signature, as twilio-node's validateRequest computes it.
import { bytesToBase64 } from "../../encoding/base64";

const utf8 = new TextEncoder();

/**
 * Base64(HMAC-SHA1(authToken, url + name+value pairs)). The URL is signed exactly as given:
 * verifyTwilioSignature decides which spellings of it to try.
 */
export async function twilioSignature(
  authToken: string,
  url: string,
  params: Iterable<[string, string]>,
): Promise<string> {
  return signData(await hmacKey(authToken), url + paramString(params));
}

/**
 * True when `signature` matches any URL variant Twilio's own validator accepts. A missing or empty
 * header is false (the caller answers 400 for missing, 403 for mismatch).
 */
export async function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Iterable<[string, string]>,
  signature: string | null | undefined,
): Promise<boolean> {
  if (!signature) return false;
  const key = await hmacKey(authToken);
  const suffix = paramString(params); // params may be a one-shot iterator: read it once
  const given = utf8.encode(signature);
  let valid = false;
  // Check every variant (no early exit) so timing does not reveal which one matched.
  for (const variant of urlVariants(url)) {
    const expected = utf8.encode(await signData(key, variant + suffix));
    valid = constantTimeEqual(given, expected) || valid;
  }
  return valid;
}

/** Names in code-unit order; a repeated name contributes each distinct value, sorted. */
function paramString(params: Iterable<[string, string]>): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    const values = byName.get(name) ?? new Set<string>();
    values.add(value);
    byName.set(name, values);
  }
  // Default sort compares UTF-16 code units, which is what Twilio (and Array#sort in Node) uses.
  return [...byName.keys()]
    .sort()
    .map((name) => [...byName.get(name)!].sort().map((value) => name + value).join(""))
    .join("");
}

/**
 * The spellings of the configured callback URL Twilio may have signed: as given, then without the
 * port and with the scheme's default port spelled out (WHATWG URLs drop it, hence by hand), each with
 * the query as parsed and as Node's `querystring` re-serialises it. Parsing also lower-cases the host
 * and escapes `'` as `%27`, as twilio-node's `new URL()` does.
 */
function urlVariants(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [url];
  }
  const auth = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ""}@` : "";
  const port = u.port ? `:${u.port}` : u.protocol === "https:" ? ":443" : ":80";
  const prefixes = [`${u.protocol}//${auth}${u.hostname}`, `${u.protocol}//${auth}${u.hostname}${port}`];
  const queries = [u.search, nodeQuerystring(u.searchParams)];
  const variants = prefixes.flatMap((prefix) => queries.map((query) => prefix + u.pathname + query + u.hash));
  return [...new Set([url, ...variants])];
}

/** querystring.stringify(querystring.parse(q)): repeated names grouped, encodeURIComponent escaping. */
function nodeQuerystring(query: URLSearchParams): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of query) byName.set(name, [...(byName.get(name) ?? []), value]);
  const pairs = [...byName].flatMap(([name, values]) =>
    values.map((value) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`),
  );
  return pairs.length ? `?${pairs.join("&")}` : "";
}

async function hmacKey(authToken: string): Promise<CryptoKey> {
  // An empty token is a configuration error, not a bad request: fail loudly (500), never 403.
  if (!authToken) throw new Error("Twilio auth token is not configured");
  return crypto.subtle.importKey("raw", utf8.encode(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
}

async function signData(key: CryptoKey, data: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(data)));
  return bytesToBase64(mac);
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Length is not secret: every valid signature is 28 Base64 characters.
  if (a.byteLength !== b.byteLength) return false;
  if (typeof crypto.subtle.timingSafeEqual === "function") return crypto.subtle.timingSafeEqual(a, b);
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
