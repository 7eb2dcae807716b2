// Counters never hold a phone number or address: they are keyed by an HMAC-SHA256 of the organisation,
// the channel and the recipient under the LIMITS_KEY secret, so the counters' storage alone cannot tell
// whom they count, nor be matched against a guessed number without the secret.

/** What the limits read of an order: its channel and recipient (an order of src/orders/order.ts is one). */
export type LimitedOrder = { channel: "sms"; phoneNumber: string } | { channel: "email"; emailAddress: string };

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/** The LIMITS_KEY secret's bytes (at least 32); throws, naming the setting only, when it is missing or too short. */
export function limitsKeyBytes(secret: string | undefined): Uint8Array<ArrayBuffer> {
  if (!secret) throw new Error("LIMITS_KEY is not configured");
  const raw = Uint8Array.from(atob(secret), (c) => c.charCodeAt(0));
  if (raw.length < 32) throw new Error("LIMITS_KEY must be at least 32 bytes, base64-encoded");
  return raw;
}

function hmacKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) throw new Error("LIMITS_KEY is not configured");
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", limitsKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * The recipient as counted: the E.164 number, or the address in lower case without a "+tag" in its
 * local part (user+1@ and user+2@ reach one mailbox, so they share one count).
 */
export function countedRecipient(order: LimitedOrder): string {
  if (order.channel === "sms") return order.phoneNumber;
  const address = order.emailAddress.toLowerCase();
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at).split("+")[0] || address.slice(0, at);
  return `${local}${address.slice(at)}`;
}

/** The counter key of the order's recipient: `sms:` or `email:` and the base64url HMAC. */
export async function recipientKey(secret: string | undefined, org: string, order: LimitedOrder): Promise<string> {
  const message = new TextEncoder().encode(`${org}\u0000${order.channel}\u0000${countedRecipient(order)}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), message));
  const base64url = btoa(String.fromCharCode(...mac)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `${order.channel}:${base64url}`;
}
