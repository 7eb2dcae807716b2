// The body (and subject) are sealed with AES-256-GCM before they touch the order's storage, under a key
// that lives outside it (the CONTENT_KEY secret). Erased rows can linger in SQLite's free pages and WAL
// (Durable Object SQLite refuses `PRAGMA secure_delete`); what lingers is then ciphertext only.
// The shipment id is the associated data, so a sealed body cannot be moved to another order.
//
// Keys rotate without loss (docs/operations.md#rotating-keys): CONTENT_KEY seals, and the keys it
// replaced, listed in CONTENT_KEYS_PREVIOUS (comma-separated), still open what they sealed. A sealed
// value names its key by an id derived from the key itself, so the operator sets key values only:
//   "k1." + key id + "." + base64 IV + "." + base64 ciphertext   (this version)
//   base64 IV + "." + base64 ciphertext                          (earlier versions: no key id; each key is tried)
// The key id is 16 hex characters of HKDF-SHA256(key, info "content-key id"): it names the key, and
// reveals nothing of it.
import { base64ToBytes, bytesToBase64 } from "../encoding/base64";

/** The keys as configured: the one that seals, and the ones that only open (newest first is usual, not required). */
export interface ContentKeys {
  current: string | undefined;
  previous: readonly string[];
}

/** CONTENT_KEY and CONTENT_KEYS_PREVIOUS (comma-separated base64 keys; blanks and spaces ignored). */
export function contentKeysOf(env: { CONTENT_KEY?: string; CONTENT_KEYS_PREVIOUS?: string }): ContentKeys {
  return { current: env.CONTENT_KEY, previous: parseKeyList(env.CONTENT_KEYS_PREVIOUS) };
}

export function parseKeyList(list: string | undefined): string[] {
  return (list ?? "").split(",").map((key) => key.trim()).filter((key) => key !== "");
}

/** A content key's 32 bytes; it also keys the request fingerprints (fingerprint.ts derives their key). */
export function contentKeyBytes(secret: string | undefined, name = "CONTENT_KEY"): Uint8Array<ArrayBuffer> {
  if (!secret) throw new Error(`${name} is not configured`);
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(secret);
  } catch {
    throw new Error(`${name} must be 32 bytes, base64-encoded`);
  }
  if (raw.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded`);
  return raw;
}

interface ImportedKey {
  id: string;
  aes: CryptoKey;
}

// Imported (and its id derived) once per key and isolate.
const imported = new Map<string, Promise<ImportedKey>>();

function importKey(secret: string | undefined, name = "CONTENT_KEY"): Promise<ImportedKey> {
  let key = secret ? imported.get(secret) : undefined;
  if (!key) {
    const raw = contentKeyBytes(secret, name); // throws at once on a missing or malformed key, which is then not cached
    key = Promise.all([crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]), contentKeyId(secret!)]).then(([aes, id]) => ({ aes, id }));
    imported.set(secret!, key);
  }
  return key;
}

const ids = new Map<string, Promise<string>>();

/** The id a key is named by in what it sealed (and in the request fingerprints it keys); derived once per key and isolate. */
export function contentKeyId(secret: string | undefined): Promise<string> {
  let id = secret ? ids.get(secret) : undefined;
  if (!id) {
    const raw = contentKeyBytes(secret);
    id = crypto.subtle
      .importKey("raw", raw, "HKDF", false, ["deriveBits"])
      .then((base) => crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode("content-key id") }, base, 64))
      .then((bits) => [...new Uint8Array(bits)].map((b) => b.toString(16).padStart(2, "0")).join(""));
    ids.set(secret!, id);
  }
  return id;
}

/**
 * The key a value names: the current key, else the previous one with that id (null: none of them).
 * Keys are imported only as far as needed, so a malformed previous entry fails only what needs it.
 */
export async function keyNamed(keys: ContentKeys, id: string): Promise<string | null> {
  if ((await importKey(keys.current)).id === id) return keys.current!;
  for (const [i, secret] of keys.previous.entries()) {
    if ((await importKey(secret, `CONTENT_KEYS_PREVIOUS entry ${i + 1}`)).id === id) return secret;
  }
  return null;
}

/** Every configured key, the current one first (for values that name none). */
export function allKeys(keys: ContentKeys): string[] {
  return [keys.current ?? "", ...keys.previous];
}

const SEALED_V1 = "k1";

export async function sealContent(secret: string | undefined, shipmentId: string, plaintext: string): Promise<string> {
  const key = await importKey(secret);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(shipmentId) }, key.aes, new TextEncoder().encode(plaintext));
  return `${SEALED_V1}.${key.id}.${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(sealed))}`;
}

/**
 * Opens what any configured key sealed. A value that names its key is opened with that key only; one
 * sealed by an earlier version (no key id) is tried with the current key, then each previous one.
 * Throws a message that says which key is missing (its id, never a key), or that no key opens it.
 */
export async function openContent(keys: ContentKeys, shipmentId: string, sealed: string): Promise<string> {
  const parts = sealed.split(".");
  if (parts.length === 4 && parts[0] === SEALED_V1) {
    const [, id, iv, data] = parts as [string, string, string, string];
    const secret = await keyNamed(keys, id);
    if (secret === null) throw new Error(`sealed under content key ${id}, which is neither CONTENT_KEY nor in CONTENT_KEYS_PREVIOUS`);
    return decrypt(secret, shipmentId, iv, data);
  }
  const [iv, data] = parts;
  await importKey(keys.current); // a missing or malformed CONTENT_KEY is the reason to tell
  for (const [i, secret] of allKeys(keys).entries()) {
    try {
      return await decrypt(secret, shipmentId, iv ?? "", data ?? "", i === 0 ? "CONTENT_KEY" : `CONTENT_KEYS_PREVIOUS entry ${i}`);
    } catch {
      // not this key: try the next
    }
  }
  throw new Error("sealed without a key id, and neither CONTENT_KEY nor any key in CONTENT_KEYS_PREVIOUS opens it");
}

async function decrypt(secret: string, shipmentId: string, iv: string, data: string, name?: string): Promise<string> {
  const key = await importKey(secret, name);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64ToBytes(iv), additionalData: new TextEncoder().encode(shipmentId) }, key.aes, base64ToBytes(data));
  return new TextDecoder().decode(plain);
}
