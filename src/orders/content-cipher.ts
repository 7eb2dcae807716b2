// The body (and subject) are sealed with AES-256-GCM before they touch the order's storage, under a key
// that lives outside it (the CONTENT_KEY secret). Erased rows can linger in SQLite's free pages and WAL
// (Durable Object SQLite refuses `PRAGMA secure_delete`); what lingers is then ciphertext only.
// The shipment id is the associated data, so a sealed body cannot be moved to another order.

const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) throw new Error("CONTENT_KEY is not configured");
  let key = keys.get(secret);
  if (!key) {
    const raw = Uint8Array.from(atob(secret), (c) => c.charCodeAt(0));
    if (raw.length !== 32) throw new Error("CONTENT_KEY must be 32 bytes, base64-encoded");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(secret, key);
  }
  return key;
}

export const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
export const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export async function sealContent(secret: string | undefined, shipmentId: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(shipmentId) },
    await keyFor(secret),
    new TextEncoder().encode(plaintext),
  );
  return `${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

export async function openContent(secret: string | undefined, shipmentId: string, sealed: string): Promise<string> {
  const [iv, data] = sealed.split(".");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv ?? ""), additionalData: new TextEncoder().encode(shipmentId) },
    await keyFor(secret),
    fromBase64(data ?? ""),
  );
  return new TextDecoder().decode(plain);
}
