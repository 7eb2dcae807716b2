// The body (and subject) are sealed with AES-256-GCM before they touch the order's storage, under a key
// that lives outside it (the CONTENT_KEY secret). Erased rows can linger in SQLite's free pages and WAL
// (Durable Object SQLite refuses `PRAGMA secure_delete`); what lingers is then ciphertext only.
// The shipment id is the associated data, so a sealed body cannot be moved to another order.
import { base64ToBytes, bytesToBase64 } from "../encoding/base64";

const keys = new Map<string, Promise<CryptoKey>>();

/** The CONTENT_KEY secret's 32 bytes; it also keys the request fingerprints (fingerprint.ts derives their key). */
export function contentKeyBytes(secret: string | undefined): Uint8Array<ArrayBuffer> {
  if (!secret) throw new Error("CONTENT_KEY is not configured");
  const raw = base64ToBytes(secret);
  if (raw.length !== 32) throw new Error("CONTENT_KEY must be 32 bytes, base64-encoded");
  return raw;
}

function keyFor(secret: string | undefined): Promise<CryptoKey> {
  let key = secret ? keys.get(secret) : undefined;
  if (!key) {
    key = crypto.subtle.importKey("raw", contentKeyBytes(secret), "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(secret!, key);
  }
  return key;
}

export async function sealContent(secret: string | undefined, shipmentId: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(shipmentId) },
    await keyFor(secret),
    new TextEncoder().encode(plaintext),
  );
  return `${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(sealed))}`;
}

export async function openContent(secret: string | undefined, shipmentId: string, sealed: string): Promise<string> {
  const [iv, data] = sealed.split(".");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64ToBytes(iv ?? ""), additionalData: new TextEncoder().encode(shipmentId) },
    await keyFor(secret),
    base64ToBytes(data ?? ""),
  );
  return new TextDecoder().decode(plain);
}
