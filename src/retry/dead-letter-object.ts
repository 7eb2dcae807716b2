// The deployment's dead letters, in one Durable Object (DEAD_LETTERS, named "deployment"). Not in D1:
// D1 is sharded by organisation, and a dead letter may have none (a Cloudflare email event names only
// its message id; a malformed body names nothing); one object keeps every queue's dead letters in one
// place, written in one transaction with their daily count, and they are rare (a queue gives a message
// up only after its max_retries), so one object is never a bottleneck.
// Kept: the message (its body as it came, for a replay) for KEEP_DAYS, and the count per UTC day and
// queue for COUNT_DAYS, whatever an operator later does with the message.
import { DurableObject } from "cloudflare:workers";
import { log } from "../log";
import { idsOf, ORIGINAL_QUEUES, originalQueueOf } from "./dead-letter-rules";

/** A dead letter is kept this long for an operator to replay or drop; a replay after that would come too late for any order. */
export const KEEP_DAYS = 30;
/** The daily counts, as long as the statistics' rollups (13 months). */
export const COUNT_DAYS = 396;
export const MAX_PAGE = 100;
const DAY_MS = 86_400_000;

export interface Arrived {
  /** The message's id in the dead-letter queue: a redelivery of it is kept and counted once. */
  id: string;
  queue: string;
  body: unknown;
  attempts: number;
  sentAt: number;
}

/** A dead letter as an operator sees it: ids only, never the body. */
export interface DeadLetter {
  id: string;
  queue: string;
  /** The queue a replay sends it to (null: none known; it can only be dropped). */
  originalQueue: string | null;
  arrivedAt: string;
  ids: Record<string, string>;
}

export interface DeadLetterDay {
  date: string;
  queue: string;
  count: number;
}

export interface Settled {
  /** Replayed (sent to the original queue) or dropped, and no longer kept. */
  done: string[];
  /** Not kept (never, or already replayed or dropped). */
  unknown: string[];
  /** Kept still: no queue to replay to, or the send failed (with why). */
  failed: { id: string; reason: string }[];
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class DeadLetterObject extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS dead_letters (id TEXT PRIMARY KEY, queue TEXT NOT NULL, arrived_at INTEGER NOT NULL, sent_at INTEGER NOT NULL, attempts INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS dead_letters_by_arrival ON dead_letters (arrived_at, id);
      CREATE TABLE IF NOT EXISTS dead_letter_days (day TEXT NOT NULL, queue TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, queue));
      CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
    `);
  }

  /** Keeps and counts a dead letter; false when this message was kept before (a redelivery). */
  async keep(a: Arrived): Promise<boolean> {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      // `seen` outlives a replay or drop, so a redelivered dead letter is not counted again.
      if (this.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", a.id, now).rowsWritten === 0) return false;
      this.sql.exec("INSERT INTO dead_letters (id, queue, arrived_at, sent_at, attempts, body) VALUES (?, ?, ?, ?, ?, ?)", a.id, a.queue, now, a.sentAt, a.attempts, JSON.stringify(a.body ?? null));
      this.sql.exec("INSERT INTO dead_letter_days (day, queue, n) VALUES (?, ?, 1) ON CONFLICT (day, queue) DO UPDATE SET n = n + 1", day(now), a.queue);
      this.sql.exec("DELETE FROM dead_letters WHERE arrived_at < ?", now - KEEP_DAYS * DAY_MS);
      this.sql.exec("DELETE FROM seen WHERE at < ?", now - KEEP_DAYS * DAY_MS);
      this.sql.exec("DELETE FROM dead_letter_days WHERE day < ?", day(now - COUNT_DAYS * DAY_MS));
      return true;
    });
  }

  /**
   * The kept dead letters, oldest first, of one queue or all, after the cursor (`next` of the page
   * before: "<arrival ms>:<id>", so it holds when that dead letter was replayed or dropped meanwhile).
   */
  async list(o: { queue?: string; after?: string; limit: number }): Promise<{ deadLetters: DeadLetter[]; next: string | null }> {
    const limit = Math.min(Math.max(1, o.limit), MAX_PAGE);
    const cursor = o.after ? /^(\d+):(.+)$/.exec(o.after) : null;
    const rows = this.sql
      .exec<{ id: string; queue: string; arrived_at: number; body: string }>(
        `SELECT id, queue, arrived_at, body FROM dead_letters
         WHERE (?1 IS NULL OR queue = ?1) AND (?2 IS NULL OR (arrived_at, id) > (?2, ?3))
         ORDER BY arrived_at, id LIMIT ?4`,
        o.queue ?? null,
        cursor ? Number(cursor[1]) : null,
        cursor ? cursor[2]! : "",
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      deadLetters: page.map((r) => ({
        id: r.id,
        queue: r.queue,
        originalQueue: originalQueueOf(r.queue),
        arrivedAt: new Date(r.arrived_at).toISOString(),
        ids: idsOf(JSON.parse(r.body)),
      })),
      next: rows.length > limit && last ? `${last.arrived_at}:${last.id}` : null,
    };
  }

  /** Sends each back to its original queue, then forgets it (a send that fails keeps it). */
  async replay(ids: string[]): Promise<Settled> {
    const settled: Settled = { done: [], unknown: [], failed: [] };
    for (const id of ids) {
      const row = this.sql.exec<{ queue: string; body: string }>("SELECT queue, body FROM dead_letters WHERE id = ?", id).toArray()[0];
      if (!row) {
        settled.unknown.push(id);
        continue;
      }
      const original = originalQueueOf(row.queue);
      if (!original) {
        settled.failed.push({ id, reason: `no queue to replay ${row.queue} to` });
        continue;
      }
      try {
        await this.env[ORIGINAL_QUEUES[original]].send(JSON.parse(row.body), { contentType: "json" });
      } catch (error) {
        settled.failed.push({ id, reason: `the send to ${original} failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200) });
        continue;
      }
      this.sql.exec("DELETE FROM dead_letters WHERE id = ?", id);
      log("dead_letter.replayed", { id, queue: row.queue, to: original, ...idsOf(JSON.parse(row.body)) });
      settled.done.push(id);
    }
    return settled;
  }

  /** Forgets them (their count stays). */
  async drop(ids: string[]): Promise<Settled> {
    const settled: Settled = { done: [], unknown: [], failed: [] };
    for (const id of ids) {
      const row = this.sql.exec<{ queue: string; body: string }>("DELETE FROM dead_letters WHERE id = ? RETURNING queue, body", id).toArray()[0];
      if (!row) {
        settled.unknown.push(id);
        continue;
      }
      log("dead_letter.dropped", { id, queue: row.queue, ...idsOf(JSON.parse(row.body)) });
      settled.done.push(id);
    }
    return settled;
  }

  /** For the performance page: arrivals per UTC day and queue from `from` on, and how many each queue keeps now. */
  async figures(from: string): Promise<{ days: DeadLetterDay[]; waiting: Record<string, number> }> {
    const days = this.sql
      .exec<{ day: string; queue: string; n: number }>("SELECT day, queue, n FROM dead_letter_days WHERE day >= ? ORDER BY day, queue", from)
      .toArray()
      .map((r) => ({ date: r.day, queue: r.queue, count: r.n }));
    const waiting = Object.fromEntries(
      this.sql
        .exec<{ queue: string; n: number }>("SELECT queue, COUNT(*) AS n FROM dead_letters GROUP BY queue ORDER BY queue")
        .toArray()
        .map((r) => [r.queue, r.n]),
    );
    return { days, waiting };
  }
}
