// Azure Communication Services HMAC-SHA256 request signing (the scheme of Azure's
// communication-common key credential policy):
//   x-ms-date            = RFC 1123 UTC date
//   x-ms-content-sha256  = Base64(SHA-256(body))
//   string to sign       = VERB + "\n" + path and query as sent + "\n" + date + ";" + host + ";" + hash
//   Authorization        = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
//                          Base64(HMAC-SHA256(Base64-decode(access key), UTF-8 string to sign))
import { bytesToBase64 } from "../../encoding/base64";

export interface AcsCredentials {
  /** https://<resource>.communication.azure.com, without a trailing slash. */
  endpoint: string;
  /** The resource's access key, Base64 as the portal shows it. */
  accessKey: string;
}

/** Reads `endpoint=https://…/;accesskey=…` (the portal's connection string); throws when a part is missing. */
export function parseConnectionString(connectionString: string): AcsCredentials {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const endpoint = parts.get("endpoint");
  const accessKey = parts.get("accesskey");
  if (!endpoint || !accessKey) throw new Error("The ACS connection string needs endpoint= and accesskey=");
  const url = new URL(endpoint);
  if (url.protocol !== "https:") throw new Error("The ACS endpoint must be https");
  return { endpoint: url.origin, accessKey };
}

const utf8 = new TextEncoder();

const base64 = (bytes: ArrayBuffer) => bytesToBase64(new Uint8Array(bytes));

/** Base64(SHA-256(UTF-8 body)). */
export async function contentHash(body: string): Promise<string> {
  return base64(await crypto.subtle.digest("SHA-256", utf8.encode(body)));
}

export function stringToSign(method: string, pathAndQuery: string, date: string, host: string, hash: string): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${date};${host};${hash}`;
}

/** Base64(HMAC-SHA256(key = Base64-decode(accessKey), UTF-8 data)). */
export async function hmacSignature(accessKey: string, data: string): Promise<string> {
  const keyBytes = Uint8Array.from(atob(accessKey), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64(await crypto.subtle.sign("HMAC", key, utf8.encode(data)));
}

/** The headers that authenticate one request; `host` is the URL's (a default port is omitted, as URL does). */
export async function signedHeaders(
  accessKey: string,
  { method, url, body, date }: { method: string; url: string; body: string; date: Date },
): Promise<Record<string, string>> {
  const u = new URL(url);
  const utcDate = date.toUTCString();
  const hash = await contentHash(body);
  const signature = await hmacSignature(accessKey, stringToSign(method, `${u.pathname}${u.search}`, utcDate, u.host, hash));
  return {
    "x-ms-date": utcDate,
    "x-ms-content-sha256": hash,
    Authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}
