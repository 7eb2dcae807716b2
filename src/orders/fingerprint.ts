// What "the same request" means for idempotency, and how the order keeps it. The order keeps, for its
// whole retention, a fingerprint of the validated, normalised request (the body, so the one-time code,
// included). A plain hash of it, even salted, could be matched against guessed codes by whoever reads
// the order's storage (the salt lies beside it): a six-digit code falls in about a second. So the stored
// value is keyed: an HMAC-SHA256 under a key derived from CONTENT_KEY, a secret that is not in that
// storage. Without the key the stored row confirms no guess.
//
// The stored form names its scheme, so a later scheme (or key) can tell its own from this one:
//   "v1:" + hex HMAC-SHA256(K, the salted digest's 64 hex characters),
//          K = HKDF-SHA256(CONTENT_KEY, empty salt, info "request-fingerprint v1")
//   64 hex characters: the salted digest itself, as versions before v1 stored it (unkeyed), until it is
//   wrapped in place: its v1 value is then the HMAC of that very digest, so it still replays.
// One scheme for every order: a new order's fingerprint is the wrap of its salted digest too, so a
// wrapped order and a new one are compared the same way (the salt stays; without K it is of no use).
import { contentKeyBytes } from "./content-cipher";
import type { Order } from "./order";

const KEYED_V1 = "v1:";
const UNKEYED = /^[0-9a-f]{64}$/;
const KEY_INFO = "request-fingerprint v1";

export type FingerprintScheme = "keyed" | "unkeyed" | "unknown";

/** Which scheme a stored fingerprint is in ("unknown": not one this version makes, e.g. a later version's). */
export function schemeOf(stored: string): FingerprintScheme {
  if (stored.startsWith(KEYED_V1)) return "keyed";
  return UNKEYED.test(stored) ? "unkeyed" : "unknown";
}

// Derived once per CONTENT_KEY and isolate: the registration costs one HMAC, not a derivation.
const keys = new Map<string, Promise<CryptoKey>>();

function fingerprintKey(secret: string | undefined): Promise<CryptoKey> {
  let key = secret ? keys.get(secret) : undefined;
  if (!key) {
    const raw = contentKeyBytes(secret); // throws at once on a missing or malformed key, which is then not cached
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
  const canonical = JSON.stringify(
    order.channel === "sms"
      ? ["sms", order.idempotencyId, order.sendersReference ?? null, order.phoneNumber, order.timeToLiveInSeconds, order.sender, order.body]
      : ["email", order.idempotencyId, order.sendersReference ?? null, order.emailAddress, order.subject, order.body, order.senderEmailAddress, order.contentType],
  );
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${salt}\u0000${canonical}`)));
}

/** The keyed (v1) form of a salted digest: what a new order stores, and what a stored unkeyed one becomes. */
export async function keyedFingerprint(secret: string | undefined, digest: string): Promise<string> {
  return KEYED_V1 + hex(await crypto.subtle.sign("HMAC", await fingerprintKey(secret), new TextEncoder().encode(digest)));
}

/** The fingerprint a new order stores. */
export async function fingerprintOf(secret: string | undefined, order: Order, salt: string): Promise<string> {
  return keyedFingerprint(secret, await saltedDigest(order, salt));
}

export interface FingerprintCheck {
  /** Whether the request is the one the order was registered with. */
  same: boolean;
  /** The keyed value to store in place of a stored unkeyed one (null: nothing to wrap). */
  wrapped: string | null;
}

/**
 * Compares a request with the stored fingerprint, in whichever scheme it is. A stored unkeyed digest
 * is compared as it is and comes back wrapped, to be stored on this access. A scheme this version does
 * not know is never taken for the same request, and never wrapped.
 */
export async function compareFingerprint(secret: string | undefined, stored: { fingerprint: string; salt: string }, order: Order): Promise<FingerprintCheck> {
  const scheme = schemeOf(stored.fingerprint);
  if (scheme === "unknown") return { same: false, wrapped: null };
  const digest = await saltedDigest(order, stored.salt);
  if (scheme === "keyed") return { same: (await keyedFingerprint(secret, digest)) === stored.fingerprint, wrapped: null };
  return { same: digest === stored.fingerprint, wrapped: await keyedFingerprint(secret, stored.fingerprint) };
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
