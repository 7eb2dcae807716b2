// One Durable Object per organisation holds its limit counters. Every new registration of the
// organisation makes one call here, so the object stays warm (no new object per request), and the
// organisation's request rate (3,000 a minute by default) keeps its load far below what one object takes.
import { DurableObject } from "cloudflare:workers";
import { objectByName } from "../config/durable-objects";
import { logError } from "../log";
import { AlarmFollower } from "../retry/alarm-follower";
import { utcDay } from "../status/manifest";
import type { Channel } from "../status/statuses";
import { shardOf, shardWriter } from "../store/shards";
import { LIMIT_CODES } from "./codes";
import { decide, incrementsFor, slotsToRead, type Decision, type Increment, type Rule, type Slot } from "./windows";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counters (
  key TEXT NOT NULL, slot INTEGER NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (key, slot)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_expiry ON counters (expires_at);
-- The refusals (429) for the statistics: running totals per UTC day, channel and code; \`sent\` is the
-- total the shard writer last took.
CREATE TABLE IF NOT EXISTS refusals (
  day TEXT NOT NULL, channel TEXT NOT NULL, code TEXT NOT NULL, n INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, channel, code)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Refusals go to the statistics this soon (together), and are tried again this long after a failure. */
const REFUSALS_SEND_MS = 1_000;
const REFUSALS_RETRY_MS = 10_000;
/** Sent refusal totals are kept this long (a late refusal of yesterday still adds to its day). */
const REFUSALS_KEEP_MS = 2 * 86_400_000;

/** Whom a reservation is for, so a refusal is counted in the statistics (absent: not counted). */
export interface Tally {
  org: string;
  channel: Channel;
}

/** Every call deletes the expired counters; this alarm deletes them when the organisation goes quiet. */
const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

export function limitsStub(env: Env, org: string) {
  return objectByName(env, "LIMIT_COUNTERS", org);
}

export class LimitsObject extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  private cleanupScheduled = false;
  private readonly alarms = new AlarmFollower(this.ctx.storage);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(SCHEMA);
  }

  /**
   * Counts one request against every rule, or none: reads, decides and writes without awaiting in
   * between, so concurrent calls are serialised and a limit is never exceeded.
   */
  async reserve(rules: Rule[], now: number, tally?: Tally): Promise<Decision> {
    this.sql.exec("DELETE FROM counters WHERE expires_at <= ?", now);
    const slotsByKey = new Map<string, Slot[]>();
    for (const [key, from] of slotsToRead(rules, now)) {
      slotsByKey.set(key, this.sql.exec<{ slot: number; count: number }>("SELECT slot, count FROM counters WHERE key = ? AND slot >= ?", key, from).toArray());
    }
    const decision = decide(rules, slotsByKey, now);
    if (!decision.ok) {
      if (tally) await this.countRefusal(tally, LIMIT_CODES[decision.rule.kind], now);
      return decision;
    }
    this.add(incrementsFor(rules, now));
    await this.scheduleCleanup();
    return decision;
  }

  private add(increments: readonly Increment[]) {
    for (const { key, slot, count, expiresAt } of increments) {
      this.sql.exec(
        `INSERT INTO counters (key, slot, count, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key, slot) DO UPDATE SET count = count + excluded.count, expires_at = max(expires_at, excluded.expires_at)`,
        key,
        slot,
        count,
        expiresAt,
      );
    }
  }

  /**
   * Adds requests that were already answered (a verification's checks, summed by an isolate: check-rate.ts)
   * to the request-rate rule, and says until when that rule now refuses (0: it does not).
   */
  async countRequests(rule: Rule, n: number, now: number): Promise<{ refusedUntil: number }> {
    this.add(incrementsFor([{ ...rule, weight: n }], now));
    const [[key, from]] = [...slotsToRead([rule], now)] as [[string, number]];
    const slots = this.sql.exec<{ slot: number; count: number }>("SELECT slot, count FROM counters WHERE key = ? AND slot >= ?", key, from).toArray();
    // Refused from now on while one more request would not fit.
    const decision = decide([rule], new Map([[key, slots]]), now);
    await this.scheduleCleanup();
    return { refusedUntil: decision.ok ? 0 : now + decision.retryAfterSeconds * 1000 };
  }

  /** Counts a refusal here (durable at once) and sends the totals to the statistics shortly, with others. */
  private async countRefusal(tally: Tally, code: string, now: number) {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('org', ?) ON CONFLICT (key) DO NOTHING", tally.org);
    this.sql.exec(
      "INSERT INTO refusals (day, channel, code, n) VALUES (?, ?, ?, 1) ON CONFLICT (day, channel, code) DO UPDATE SET n = n + 1",
      utcDay(now),
      tally.channel,
      code,
    );
    const at = Date.now() + REFUSALS_SEND_MS;
    await this.alarms.atOrBefore(at);
  }

  /**
   * Hands the refusal totals not yet sent to the organisation's shard writer (which writes them into the
   * statistics with the shipments). Totals, not increments: sending one twice changes nothing.
   */
  private async sendRefusals(): Promise<boolean> {
    const unsent = this.sql.exec<{ day: string; channel: Channel; code: string; n: number }>("SELECT day, channel, code, n FROM refusals WHERE n > sent").toArray();
    const org = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'org'").toArray()[0]?.value;
    if (unsent.length === 0 || !org) return true;
    try {
      const shard = await shardOf(this.env, org);
      await shardWriter(this.env, shard).append(shard, [{ kind: "refusals", org, counts: unsent }]);
    } catch (error) {
      logError("limits.refusals_not_sent", error, { org });
      return false;
    }
    for (const r of unsent) this.sql.exec("UPDATE refusals SET sent = MAX(sent, ?) WHERE day = ? AND channel = ? AND code = ?", r.n, r.day, r.channel, r.code);
    this.sql.exec("DELETE FROM refusals WHERE n = sent AND day < ?", utcDay(Date.now() - REFUSALS_KEEP_MS));
    return true;
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    if (!(await this.sendRefusals())) await this.alarms.atOrBefore(Date.now() + REFUSALS_RETRY_MS);
    this.sql.exec("DELETE FROM counters WHERE expires_at <= ?", Date.now());
    this.cleanupScheduled = false;
    const next = this.sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM counters").one().next;
    if (next !== null) await this.scheduleCleanup(Math.max(next, Date.now() + CLEANUP_INTERVAL_MS));
  }

  private async scheduleCleanup(at = Date.now() + CLEANUP_INTERVAL_MS) {
    if (this.cleanupScheduled) return;
    this.cleanupScheduled = true;
    await this.alarms.atOrBefore(at);
  }
}
