// The order's SQL mapping: its schema, the one load per call and the one save of a decision. Every
// function here is synchronous, so a load, a decision and its save run with no await between them.
import type { RecipientStatus } from "../status/statuses";
import type { Decision, NewEvent, OrderState } from "./decide/state";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shipment (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  org TEXT NOT NULL, shipment_id TEXT NOT NULL, order_id TEXT NOT NULL, idempotency_id TEXT NOT NULL,
  senders_reference TEXT, channel TEXT NOT NULL,
  destination TEXT NOT NULL, sender TEXT NOT NULL, content_type TEXT,
  fingerprint TEXT NOT NULL, salt TEXT NOT NULL, response TEXT NOT NULL,
  created_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
  status TEXT NOT NULL, last_update INTEGER NOT NULL,
  handover TEXT NOT NULL,               -- waiting | claimed | in_doubt | accepted | done
  dispatch_at INTEGER NOT NULL, enqueued INTEGER NOT NULL,
  redispatches INTEGER NOT NULL DEFAULT 0,
  claim_id TEXT, claim_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  provider_ref TEXT,
  claim_provider TEXT, claim_idempotent INTEGER NOT NULL DEFAULT 0, pinned_provider TEXT,
  shard TEXT, change_seq INTEGER NOT NULL DEFAULT 0, pushed_seq INTEGER NOT NULL DEFAULT 0,
  alarm_failures INTEGER NOT NULL DEFAULT 0,
  verification_id TEXT, verification_first INTEGER NOT NULL DEFAULT 0, verification_ended INTEGER NOT NULL DEFAULT 0, status_detail TEXT
);
-- Rows written are billed. Events are never deleted one by one, so the rowid alone already grows;
-- AUTOINCREMENT would write its sqlite_sequence row with every event. A report's key needs no rowid.
-- (Orders of earlier versions keep the tables they were created with: the same columns, the same SQL.)
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  status TEXT NOT NULL, applied INTEGER NOT NULL, source TEXT NOT NULL, detail TEXT,
  at INTEGER NOT NULL, synced INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seen_reports (key TEXT PRIMARY KEY) WITHOUT ROWID;
-- The body (and subject), sealed (content-cipher.ts), apart from the state that changes: written once, erased once.
CREATE TABLE IF NOT EXISTS content (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL, subject TEXT);
`;

/** The columns a decision may change; the rest are written once, at registration. */
const MUTABLE = [
  "status",
  "last_update",
  "handover",
  "dispatch_at",
  "enqueued",
  "redispatches",
  "claim_id",
  "claim_until",
  "attempts",
  "provider_ref",
  "claim_provider",
  "claim_idempotent",
  "pinned_provider",
  "shard",
  "change_seq",
  "pushed_seq",
  "alarm_failures",
  "status_detail",
  "verification_ended",
] as const satisfies readonly (keyof OrderState)[];

const ALL = [
  "org",
  "shipment_id",
  "order_id",
  "idempotency_id",
  "senders_reference",
  "channel",
  "destination",
  "sender",
  "content_type",
  "fingerprint",
  "salt",
  "response",
  "created_at",
  "deadline",
  "verification_id",
  "verification_first",
  ...MUTABLE,
] as const satisfies readonly (keyof OrderState)[];

export interface SealedContent {
  body: string;
  subject: string | null;
}

export interface StoredEvent {
  seq: number;
  status: RecipientStatus;
  applied: number;
  source: string;
  detail: string | null;
  at: number;
}

export class OrderStore {
  /** Whether this object holds an order at all: a read of an unknown id must not create storage. */
  private hasSchema = false;

  constructor(private readonly sql: SqlStorage) {}

  load(): OrderState | null {
    if (!this.schemaExists()) return null;
    return (this.sql.exec("SELECT * FROM shipment WHERE id = 1").toArray()[0] as unknown as OrderState | undefined) ?? null;
  }

  /** Stores a new order (its first decision) and its sealed content. */
  insert(d: Decision<unknown>, content: SealedContent): void {
    if (!this.schemaExists()) this.sql.exec(SCHEMA);
    this.hasSchema = true;
    this.sql.exec(
      `INSERT INTO shipment (id, ${ALL.join(", ")}) VALUES (1, ${ALL.map(() => "?").join(", ")})`,
      ...ALL.map((column) => d.state[column]),
    );
    if (!d.eraseContent) this.sql.exec("INSERT INTO content (id, body, subject) VALUES (1, ?, ?)", content.body, content.subject);
    this.appendEvents(d.events);
  }

  /** Stores a decision taken on `before` (loaded in the same synchronous step). Returns whether anything changed. */
  save(before: OrderState, d: Decision<unknown>): boolean {
    const changedColumns = MUTABLE.filter((column) => d.state[column] !== before[column]);
    if (changedColumns.length > 0) {
      this.sql.exec(`UPDATE shipment SET ${changedColumns.map((c) => `${c} = ?`).join(", ")} WHERE id = 1`, ...changedColumns.map((c) => d.state[c]));
    }
    this.appendEvents(d.events);
    if (d.eraseContent) this.sql.exec("DELETE FROM content");
    if (d.seenReport !== undefined) this.sql.exec("INSERT OR IGNORE INTO seen_reports (key) VALUES (?)", d.seenReport);
    return changedColumns.length > 0 || d.events.length > 0 || d.eraseContent || d.seenReport !== undefined;
  }

  sealedContent(): SealedContent | null {
    if (!this.schemaExists()) return null;
    return this.sql.exec<{ body: string; subject: string | null }>("SELECT body, subject FROM content").toArray()[0] ?? null;
  }

  seenReport(key: string): boolean {
    return this.schemaExists() && this.sql.exec("SELECT 1 FROM seen_reports WHERE key = ?", key).toArray().length > 0;
  }

  events(onlyUnsynced: boolean): StoredEvent[] {
    if (!this.schemaExists()) return [];
    return this.sql.exec<{ seq: number; status: RecipientStatus; applied: number; source: string; detail: string | null; at: number }>(
      `SELECT seq, status, applied, source, detail, at FROM events ${onlyUnsynced ? "WHERE synced = 0" : ""} ORDER BY seq`,
    ).toArray();
  }

  /** The shard writer has taken every change up to `changeSeq` and the events up to `eventSeq`. */
  markPushed(changeSeq: number, eventSeq: number | null): void {
    // Only the events not marked yet: an UPDATE writes (and bills) every row it matches, changed or not.
    if (eventSeq !== null) this.sql.exec("UPDATE events SET synced = 1 WHERE seq <= ? AND synced = 0", eventSeq);
    this.sql.exec("UPDATE shipment SET pushed_seq = MAX(pushed_seq, ?) WHERE id = 1", changeSeq);
  }

  /**
   * Replaces the stored fingerprint by its keyed form, only if it is still `from` (another call may have
   * wrapped it, or retention deleted the order, while the HMAC was computed). Returns whether it did.
   */
  replaceFingerprint(from: string, to: string): boolean {
    if (!this.schemaExists()) return false;
    return this.sql.exec("UPDATE shipment SET fingerprint = ? WHERE id = 1 AND fingerprint = ?", to, from).rowsWritten > 0;
  }

  setShard(shard: string): void {
    this.sql.exec("UPDATE shipment SET shard = ? WHERE id = 1", shard);
  }

  /** Retention is over: after `deleteAll` the object holds nothing. */
  forgotten(): void {
    this.hasSchema = false;
  }

  /** Asked again until it holds: storage written by an earlier version (or instance) counts too. */
  private schemaExists(): boolean {
    this.hasSchema ||= this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shipment'").toArray().length > 0;
    return this.hasSchema;
  }

  private appendEvents(events: readonly NewEvent[]) {
    for (const e of events) {
      this.sql.exec("INSERT INTO events (status, applied, source, detail, at) VALUES (?, ?, ?, ?, ?)", e.status, e.applied ? 1 : 0, e.source, e.detail ?? null, e.at);
    }
  }
}
