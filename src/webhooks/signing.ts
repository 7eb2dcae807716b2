// Standard Webhooks signing (https://www.standardwebhooks.com): the secret, the headers, the signature.
// WebCrypto only; the reference `standardwebhooks` package verifies what this signs (see the tests).
import { fromBase64, toBase64 } from "../orders/content-cipher";

const SECRET_PREFIX = "whsec_";

/** `whsec_` + base64 of 32 random bytes. */
export function newSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the decoded part after `whsec_`. */
export async function signature(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", fromBase64(secret.slice(SECRET_PREFIX.length)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The headers of one attempt: signed by every secret given (two during a rotation), space-separated. */
export async function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Promise<Record<string, string>> {
  const signatures = await Promise.all(secrets.map((secret) => signature(secret, id, timestampSeconds, body)));
  return {
    "Content-Type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}
