// One Durable Object per organisation holds its limit counters. Every new registration of the
// organisation makes one call here, so the object stays warm (no new object per request), and the
// organisation's request rate (3,000 a minute by default) keeps its load far below what one object takes.
import { DurableObject } from "cloudflare:workers";
import { decide, incrementsFor, slotsToRead, type Decision, type Rule, type Slot } from "./windows";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counters (
  key TEXT NOT NULL, slot INTEGER NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (key, slot)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_expiry ON counters (expires_at);
`;

/** Every call deletes the expired counters; this alarm deletes them when the organisation goes quiet. */
const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

export function limitsStub(env: Env, org: string) {
  return env.LIMIT_COUNTERS.get(env.LIMIT_COUNTERS.idFromName(org));
}

export class LimitsObject extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  private cleanupScheduled = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(SCHEMA);
  }

  /**
   * Counts one request against every rule, or none: reads, decides and writes without awaiting in
   * between, so concurrent calls are serialised and a limit is never exceeded.
   */
  async reserve(rules: Rule[], now: number): Promise<Decision> {
    this.sql.exec("DELETE FROM counters WHERE expires_at <= ?", now);
    const slotsByKey = new Map<string, Slot[]>();
    for (const [key, from] of slotsToRead(rules, now)) {
      slotsByKey.set(key, this.sql.exec<{ slot: number; count: number }>("SELECT slot, count FROM counters WHERE key = ? AND slot >= ?", key, from).toArray());
    }
    const decision = decide(rules, slotsByKey, now);
    if (!decision.ok) return decision;
    for (const { key, slot, expiresAt } of incrementsFor(rules, now)) {
      this.sql.exec(
        `INSERT INTO counters (key, slot, count, expires_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (key, slot) DO UPDATE SET count = count + 1, expires_at = max(expires_at, excluded.expires_at)`,
        key,
        slot,
        expiresAt,
      );
    }
    await this.scheduleCleanup();
    return decision;
  }

  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM counters WHERE expires_at <= ?", Date.now());
    this.cleanupScheduled = false;
    const next = this.sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM counters").one().next;
    if (next !== null) await this.scheduleCleanup(Math.max(next, Date.now() + CLEANUP_INTERVAL_MS));
  }

  private async scheduleCleanup(at = Date.now() + CLEANUP_INTERVAL_MS) {
    if (this.cleanupScheduled) return;
    this.cleanupScheduled = true;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(at);
  }
}
