// One writer per D1 shard: the orders hand it their changes, it keeps them durably and writes them to
// D1 behind, many orders' changes in one transaction (group commit). Being the only writer of its
// shard, it commits feed entries in sequence order, so the feed never shows a gap that fills later.
// When D1 fails, the changes wait here and the alarm retries with backoff until D1 has caught up.
import { DurableObject } from "cloudflare:workers";
import { log, logError } from "../log";
import { CallbackOutbox, OUTBOX_RETRY_MS } from "./callback-outbox";
import { AlarmFollower } from "../retry/alarm-follower";
import type { FilterNote, SubscriptionFilter, WriterAnswer } from "../webhooks/subscription-filter";
import { backoff, type Backoff } from "../retry/backoff";
import { writeFinals } from "./stats-analytics";
import { pruneStatements } from "./stats-rollups";
import { retentionMs } from "../config/settings";
import { utcDay } from "../status/manifest";
import { changeStatements, type ShipmentChange } from "./changes";
import { database } from "./shards";

/** At most this many changes in one D1 transaction. */
const MAX_BATCH = 100;
/** D1 retries: 1 s after the first failure, then 2 s, 4 s, … 30 s. */
export const D1_RETRY: Backoff = { baseMs: 1_000, capMs: 30_000 };
/** The alarm backs the in-memory timer up, in case this instance is evicted before it fires. */
const SAFETY_NET_MS = 5_000;

export class ShardWriter extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  private failures = 0;
  /** The alarm as this instance last set it, so an append rarely touches it. */
  private readonly alarms = new AlarmFollower(this.ctx.storage);
  /** Status events for the organisations' callback objects, forwarded at once, not after D1. */
  private readonly callbacks = new CallbackOutbox(this.sql, this.env);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, change TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  }

  /**
   * Takes changes for D1. Once this returns they are durable here and will reach D1. Answers what this
   * writer knows of the (first change's) organisation's subscription, so an order knows whether a
   * non-final status must reach the callback object at once (src/webhooks/subscription-filter.ts).
   */
  async append(shard: string, changes: ShipmentChange[]): Promise<WriterAnswer> {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('shard', ?) ON CONFLICT (key) DO NOTHING", shard);
    for (const change of changes) this.sql.exec("INSERT INTO pending (change) VALUES (?)", JSON.stringify(change));
    const callbacks = this.callbacks.add(changes);
    await this.alarms.atOrBefore(Date.now() + SAFETY_NET_MS);
    this.scheduleFlush();
    if (callbacks) this.ctx.waitUntil(this.callbacks.forward());
    const org = changes[0]?.org;
    return { callbacks: org === undefined ? null : this.callbacks.subscriptionOf(org) };
  }

  /**
   * From the subscription routes: an organisation's subscription is about to be stored with this filter
   * (and again once stored), or, with null, is about to be deleted (callback-outbox.ts).
   */
  async noteSubscription(org: string, events: FilterNote): Promise<SubscriptionFilter | null> {
    return this.callbacks.note(org, events);
  }

  /** Writes everything pending now (tests and the bench use it to settle). Returns how many remain. */
  async flush(): Promise<number> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.runFlush();
    return this.pendingCount();
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    await Promise.all([this.runFlush(), this.callbacks.forward()]);
    if (this.pendingCount() > 0) {
      const delay = backoff(D1_RETRY, this.failures - 1);
      await this.alarms.exactly(Date.now() + (this.failures > 0 ? delay : 0));
    } else if (!this.callbacks.isEmpty()) {
      await this.alarms.atOrBefore(Date.now() + OUTBOX_RETRY_MS);
    }
  }

  /** A short window lets concurrent orders' changes share one transaction. */
  private scheduleFlush() {
    if (this.timer || this.failures > 0) return; // while D1 fails, the alarm's backoff decides
    const windowMs = Math.max(0, Number(this.env.WRITE_BEHIND_MS) || 0);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ctx.waitUntil(this.runFlush());
    }, windowMs);
  }

  /** One flush at a time: the feed's sequence numbers follow commit order. */
  private runFlush(): Promise<void> {
    this.flushing ??= this.flushAll().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushAll(): Promise<void> {
    const shard = this.metaValue("shard");
    if (!shard) return;
    for (;;) {
      const rows = this.sql.exec<{ id: number; change: string }>("SELECT id, change FROM pending ORDER BY id LIMIT ?", MAX_BATCH).toArray();
      if (rows.length === 0) break;
      const db = database(this.env, shard);
      const changes = rows.map((r) => JSON.parse(r.change) as ShipmentChange);
      // Once a UTC day, the statistics older than they are kept go in the same transaction.
      const today = utcDay(Date.now());
      const prune = this.metaValue("pruned") !== today;
      try {
        const statements = [...changeStatements(db, changes), ...(prune ? pruneStatements(db, Date.now(), retentionMs(this.env)) : [])];
        // D1 refuses an empty batch; changes that write nothing (an ignored one) must not hold up the rest.
        if (statements.length > 0) await db.batch(statements);
      } catch (error) {
        this.failures++;
        logError("d1.write_failed", error, { shard, changes: rows.length, failures: this.failures });
        return;
      }
      this.sql.exec("DELETE FROM pending WHERE id <= ?", rows[rows.length - 1]!.id);
      if (prune) this.sql.exec("INSERT INTO meta (key, value) VALUES ('pruned', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", today);
      writeFinals(this.env, changes);
      if (this.failures > 0) log("d1.caught_up", { shard, after: this.failures });
      this.failures = 0;
    }
    if (this.callbacks.isEmpty()) await this.alarms.exactly(null);
  }

  private metaValue(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  private pendingCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending").one().n;
  }
}
