// What "the same request" means for idempotency, and how the order keeps it. The order keeps, for its
// whole retention, a fingerprint of the validated, normalised request (the body, so the one-time code,
// included). A plain hash of it, even salted, could be matched against guessed codes by whoever reads
// the order's storage (the salt lies beside it): a six-digit code falls in about a second. So the stored
// value is keyed: an HMAC-SHA256 under a key derived from CONTENT_KEY, a secret that is not in that
// storage. Without the key the stored row confirms no guess.
//
// The stored form names its scheme, so a later scheme (or key) can tell its own from this one:
//   "v2:" + key id + ":" + hex HMAC-SHA256(K, the salted digest's 64 hex characters)   (this version)
//          K = HKDF-SHA256(content key, empty salt, info "request-fingerprint v1"); the key id is the
//          content key's (content-cipher.ts), so after a rotation the key is found at once
//   "v1:" + hex HMAC (the same K): the previous version's, naming no key. It is verified with the
//          current key, then each key of CONTENT_KEYS_PREVIOUS (a cost only replays pay)
//   64 hex characters: the salted digest itself, as versions before v1 stored it (unkeyed)
// A replay that matches a value in an older form, or under a key that no longer seals, stores it anew
// as v2 under the current key (the same request's HMAC), so the previous key is needed once per order.
// A key that stopped sealing must stay in CONTENT_KEYS_PREVIOUS for RETENTION_DAYS (the orders it
// keyed live that long); an order whose key is gone can no longer be told to be the same request.
// One scheme for every order: a new order's fingerprint is the keyed form of its salted digest too, so
// a wrapped order and a new one are compared the same way (the salt stays; without K it is of no use).
import { allKeys, contentKeyBytes, contentKeyId, keyNamed, type ContentKeys } from "./content-cipher";
import type { Order } from "./order";

const KEYED_V1 = /^v1:[0-9a-f]{64}$/;
const KEYED_V2 = /^v2:([0-9a-f]{16}):([0-9a-f]{64})$/;
const UNKEYED = /^[0-9a-f]{64}$/;
const KEY_INFO = "request-fingerprint v1";

export type FingerprintScheme = "keyed" | "unkeyed" | "unknown";

/** Which scheme a stored fingerprint is in ("unknown": not one this version makes, e.g. a later version's). */
export function schemeOf(stored: string): FingerprintScheme {
  if (KEYED_V2.test(stored) || KEYED_V1.test(stored)) return "keyed";
  return UNKEYED.test(stored) ? "unkeyed" : "unknown";
}

// Derived once per CONTENT_KEY and isolate: the registration costs one HMAC, not a derivation.
const keys = new Map<string, Promise<CryptoKey>>();

function fingerprintKey(secret: string | undefined, name?: string): Promise<CryptoKey> {
  let key = secret ? keys.get(secret) : undefined;
  if (!key) {
    const raw = contentKeyBytes(secret, name); // throws at once on a missing or malformed key, which is then not cached
    key = crypto.subtle
      .importKey("raw", raw, "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(KEY_INFO) },
          base,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign"],
        ),
      );
    keys.set(secret!, key);
  }
  return key;
}

/** The salted SHA-256 of the normalised request (hex): the value versions before v1 stored, now only the HMAC's input. */
export async function saltedDigest(order: Order, salt: string): Promise<string> {
  // A verification's message is compared by its text with the placeholder, so no fingerprint ever covers a one-time code.
  const body = order.verification?.template ?? order.body;
  return digestOf(
    order.channel === "sms"
      ? ["sms", order.idempotencyId, order.sendersReference ?? null, order.phoneNumber, order.timeToLiveInSeconds, order.sender, body]
      : ["email", order.idempotencyId, order.sendersReference ?? null, order.emailAddress, order.subject, body, order.senderEmailAddress, order.contentType],
    salt,
  );
}

async function digestOf(canonical: readonly unknown[], salt: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${salt}\u0000${JSON.stringify(canonical)}`)));
}

/** The keyed fingerprint of any other normalised request (a verification's), as an order keeps its own. */
export async function requestFingerprint(secret: string | undefined, canonical: readonly unknown[], salt: string): Promise<string> {
  return keyedFingerprint(secret, await digestOf(canonical, salt));
}

/** Compares another request with its stored fingerprint, by the rules orders use (compareFingerprint). */
export async function compareRequestFingerprint(keys: ContentKeys, stored: { fingerprint: string; salt: string }, canonical: readonly unknown[]): Promise<FingerprintCheck> {
  return compareDigest(keys, stored, await digestOf(canonical, stored.salt));
}

/** The keyed (v2) form of a salted digest under the current key: what a new order stores, and what an older form becomes. */
export async function keyedFingerprint(secret: string | undefined, digest: string): Promise<string> {
  const [id, mac] = await Promise.all([contentKeyId(secret), macOf(secret, digest)]);
  return `v2:${id}:${mac}`;
}

async function macOf(secret: string | undefined, digest: string, name?: string): Promise<string> {
  return hex(await crypto.subtle.sign("HMAC", await fingerprintKey(secret, name), new TextEncoder().encode(digest)));
}

/** The fingerprint a new order stores. */
export async function fingerprintOf(secret: string | undefined, order: Order, salt: string): Promise<string> {
  return keyedFingerprint(secret, await saltedDigest(order, salt));
}

export interface FingerprintCheck {
  /** Whether the request is the one the order was registered with. */
  same: boolean;
  /**
   * The value to store in place of the stored one, on this access: a stored unkeyed digest wrapped, or
   * a matching keyed value in the v1 form or under a key that no longer seals, as v2 under the current
   * key (null: nothing to replace).
   */
  replacement: string | null;
  /** A v2 value's key id that no configured key has (the key was dropped too early): never the same request. */
  unknownKeyId?: string;
}

/**
 * Compares a request with the stored fingerprint, in whichever scheme it is. A scheme this version does
 * not know, or a key id no configured key has, is never taken for the same request, and never replaced.
 */
export async function compareFingerprint(keys: ContentKeys, stored: { fingerprint: string; salt: string }, order: Order): Promise<FingerprintCheck> {
  return compareDigest(keys, stored, await saltedDigest(order, stored.salt));
}

async function compareDigest(keys: ContentKeys, stored: { fingerprint: string; salt: string }, digest: string): Promise<FingerprintCheck> {
  const scheme = schemeOf(stored.fingerprint);
  if (scheme === "unknown") return { same: false, replacement: null };
  if (scheme === "unkeyed") return { same: digest === stored.fingerprint, replacement: await keyedFingerprint(keys.current, stored.fingerprint) };

  const current = await keyedFingerprint(keys.current, digest);
  if (current === stored.fingerprint) return { same: true, replacement: null };
  const v2 = KEYED_V2.exec(stored.fingerprint);
  if (v2) {
    const secret = await keyNamed(keys, v2[1]!);
    if (secret === null) return { same: false, replacement: null, unknownKeyId: v2[1]! };
    const same = secret !== keys.current && (await macOf(secret, digest)) === v2[2];
    return { same, replacement: same ? current : null };
  }
  // v1: no key id, so each key in turn (the current one first). Only a replay pays for this.
  for (const [i, secret] of allKeys(keys).entries()) {
    const name = i === 0 ? "CONTENT_KEY" : `CONTENT_KEYS_PREVIOUS entry ${i}`;
    if (`v1:${await macOf(secret, digest, name)}` === stored.fingerprint) return { same: true, replacement: current };
  }
  return { same: false, replacement: null };
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
