// The callback object's SQL, all of it: its schema, its reads, and the one save of a decision
// (decide.ts), which writes only the columns that changed. Every function is synchronous, so a load,
// a decision and its save run with no await between them.
import type { CallbackState, DeliveryRow } from "./decide";
import type { DeliveryState } from "./schedule";
import type { SubscriptionRow } from "./subscription";

/** The list shows this many; at least this many of each finished state are kept. */
export const DELIVERIES_SHOWN = 100;
/** Finished deliveries younger than this are kept, so a repeated event is still recognised. */
const DEDUPE_WINDOW_MS = 3600 * 1000;

// Objects of earlier versions created the same tables with the same SQL (test/webhooks/rolling-deploy.test.ts).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS subscription (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  org TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,
  secret TEXT NOT NULL, previous_secret TEXT, previous_secret_until INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, disabled_reason TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,               -- the event id, sent as webhook-id on every attempt
  shipment_id TEXT NOT NULL, status TEXT NOT NULL, body TEXT,
  state TEXT NOT NULL,                   -- pending | delivered | failed
  attempts INTEGER NOT NULL DEFAULT 0, series_start INTEGER NOT NULL DEFAULT 0, leased INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, last_attempt_at INTEGER, last_response_status INTEGER, next_attempt_at INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, seq);
`;

const SUBSCRIPTION_COLUMNS = [
  "org",
  "url",
  "events",
  "secret",
  "previous_secret",
  "previous_secret_until",
  "created_at",
  "updated_at",
  "disabled_reason",
] as const satisfies readonly (keyof SubscriptionRow)[];
/** What a delivery decision may change in the subscription (a 410 disables it). */
const SUBSCRIPTION_MUTABLE = ["disabled_reason"] as const satisfies readonly (keyof SubscriptionRow)[];
/** The delivery's columns a decision may change; the rest are written once, when it is stored. */
const DELIVERY_MUTABLE = [
  "state",
  "body",
  "attempts",
  "series_start",
  "leased",
  "last_attempt_at",
  "last_response_status",
  "next_attempt_at",
] as const satisfies readonly (keyof DeliveryRow)[];
const DELIVERY_ALL = ["id", "shipment_id", "status", "created_at", ...DELIVERY_MUTABLE] as const;

export class DeliveryStore {
  constructor(private readonly sql: SqlStorage) {
    this.sql.exec(SCHEMA);
  }

  /** After `deleteAll` (unsubscribe): the empty tables again. */
  reset(): void {
    this.sql.exec(SCHEMA);
  }

  subscription(): SubscriptionRow | null {
    return (this.sql.exec("SELECT * FROM subscription WHERE id = 1").toArray()[0] as unknown as SubscriptionRow | undefined) ?? null;
  }

  /** The subscription and one delivery: what a decision reads. */
  load(id: string): CallbackState {
    const delivery = (this.sql.exec("SELECT * FROM deliveries WHERE id = ?", id).toArray()[0] as unknown as DeliveryRow | undefined) ?? null;
    return { sub: this.subscription(), delivery };
  }

  /** Creates or replaces the subscription (PUT). */
  putSubscription(row: SubscriptionRow): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO subscription (id, ${SUBSCRIPTION_COLUMNS.join(", ")}) VALUES (1, ${SUBSCRIPTION_COLUMNS.map(() => "?").join(", ")})`,
      ...SUBSCRIPTION_COLUMNS.map((column) => row[column]),
    );
  }

  /** Stores a decision taken on `before` (loaded in the same synchronous step): only what changed. */
  save(before: CallbackState, after: CallbackState): void {
    const { sub, delivery } = after;
    if (before.sub && sub && sub !== before.sub) {
      const changed = SUBSCRIPTION_MUTABLE.filter((column) => sub[column] !== before.sub![column]);
      if (changed.length > 0) {
        this.sql.exec(`UPDATE subscription SET ${changed.map((c) => `${c} = ?`).join(", ")} WHERE id = 1`, ...changed.map((c) => sub[c]));
      }
    }
    if (!delivery || delivery === before.delivery) return;
    if (!before.delivery) {
      this.sql.exec(
        `INSERT INTO deliveries (${DELIVERY_ALL.join(", ")}) VALUES (${DELIVERY_ALL.map(() => "?").join(", ")}) ON CONFLICT (id) DO NOTHING`,
        ...DELIVERY_ALL.map((column) => delivery[column]),
      );
      return;
    }
    const changed = DELIVERY_MUTABLE.filter((column) => delivery[column] !== before.delivery![column]);
    if (changed.length === 0) return;
    this.sql.exec(`UPDATE deliveries SET ${changed.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`, ...changed.map((c) => delivery[c]), delivery.id);
  }

  /** Up to `limit` deliveries due for an attempt, the longest waiting first. */
  due(now: number, limit: number): DeliveryRow[] {
    return this.sql
      .exec("SELECT * FROM deliveries WHERE state = 'pending' AND leased = 0 AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?", now, limit)
      .toArray() as unknown as DeliveryRow[];
  }

  /** The ids of deliveries whose attempt's lease has run out. */
  leasesOver(now: number): string[] {
    return this.sql.exec<{ id: string }>("SELECT id FROM deliveries WHERE state = 'pending' AND leased = 1 AND next_attempt_at <= ?", now).toArray().map((r) => r.id);
  }

  /** The latest deliveries, newest first. */
  list(state?: DeliveryState): DeliveryRow[] {
    return (
      state
        ? this.sql.exec("SELECT * FROM deliveries WHERE state = ? ORDER BY seq DESC LIMIT ?", state, DELIVERIES_SHOWN)
        : this.sql.exec("SELECT * FROM deliveries ORDER BY seq DESC LIMIT ?", DELIVERIES_SHOWN)
    ).toArray() as unknown as DeliveryRow[];
  }

  /** When the alarm is next needed: the earliest due attempt or lease end (while disabled: only leases). */
  wake(): number | null {
    const enabled = this.subscription()?.disabled_reason === null ? 1 : 0;
    return this.sql
      .exec<{ wake: number | null }>("SELECT MIN(next_attempt_at) AS wake FROM deliveries WHERE state = 'pending' AND (leased = 1 OR ? = 1)", enabled)
      .one().wake;
  }

  /**
   * Keeps the table small: finished deliveries beyond the newest 100 of their state go once older than the
   * de-duplication window, and every finished one goes at the retention period (a manifest holds the recipient).
   */
  prune(now: number, retentionMs: number): void {
    for (const state of ["delivered", "failed"] as const) {
      this.sql.exec(
        `DELETE FROM deliveries WHERE state = ?1 AND created_at < ?2
           AND seq <= (SELECT seq FROM deliveries WHERE state = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?3)`,
        state,
        now - DEDUPE_WINDOW_MS,
        DELIVERIES_SHOWN,
      );
    }
    this.sql.exec("DELETE FROM deliveries WHERE state != 'pending' AND created_at < ?", now - retentionMs);
  }
}
