// What the previous version stored, frozen here on purpose: a rolling deploy (and the fingerprint and content
// checks) must read an order that version wrote. Change it only when the version before the current one changes.

/** The order's SQLite schema as the previous version created it. */
export const PREVIOUS_ORDER_SCHEMA = `
CREATE TABLE IF NOT EXISTS shipment (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  org TEXT NOT NULL, shipment_id TEXT NOT NULL, order_id TEXT NOT NULL, idempotency_id TEXT NOT NULL,
  senders_reference TEXT, channel TEXT NOT NULL,
  destination TEXT NOT NULL, sender TEXT NOT NULL, content_type TEXT,
  fingerprint TEXT NOT NULL, salt TEXT NOT NULL, response TEXT NOT NULL,
  created_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
  status TEXT NOT NULL, last_update INTEGER NOT NULL,
  handover TEXT NOT NULL,
  dispatch_at INTEGER NOT NULL, enqueued INTEGER NOT NULL,
  redispatches INTEGER NOT NULL DEFAULT 0,
  claim_id TEXT, claim_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  provider_ref TEXT,
  claim_provider TEXT, claim_idempotent INTEGER NOT NULL DEFAULT 0, pinned_provider TEXT,
  shard TEXT, change_seq INTEGER NOT NULL DEFAULT 0, pushed_seq INTEGER NOT NULL DEFAULT 0,
  alarm_failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  status TEXT NOT NULL, applied INTEGER NOT NULL, source TEXT NOT NULL, detail TEXT,
  at INTEGER NOT NULL, synced INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seen_reports (key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS content (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL, subject TEXT);
`;

/** How the previous version sealed a body: base64 IV "." base64 ciphertext, naming no key. */
export async function previousSeal(secret: string, shipmentId: string, plaintext: string): Promise<string> {
  const aes = await crypto.subtle.importKey("raw", Uint8Array.from(atob(secret), (c) => c.charCodeAt(0)), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(shipmentId) }, aes, new TextEncoder().encode(plaintext));
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  return `${b64(iv)}.${b64(new Uint8Array(sealed))}`;
}
