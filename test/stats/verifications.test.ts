// Issue 28, item 8: GET /future/stats counts verifications per day and channel, each (verification,
// event) once however often and in whatever order its change reaches the shard writer, all of them on
// the UTC day the verification started, and credits an approval to the provider its change names.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { VerificationChange } from "../../src/store/changes";
import { shardOf, shardWriter } from "../../src/store/shards";
import { call } from "../support/api";
import type { StatsDay } from "../support/stats";

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A verification's change as its objects send it: started on `startedAt`, the event at `at`. */
function change(org: string, verificationId: string, event: VerificationChange["event"], startedAt: number, o: { at?: number; channel?: "sms" | "email"; provider?: string | null } = {}): VerificationChange {
  return {
    kind: "verification",
    org,
    verificationId,
    channel: o.channel ?? "sms",
    day: dayOf(startedAt),
    event,
    at: new Date(o.at ?? startedAt).toISOString(),
    ...(o.provider !== undefined ? { provider: o.provider } : {}),
  };
}

/** Each batch is one append and one flush (one D1 transaction), as the writer does them. */
async function write(org: string, ...batches: VerificationChange[][]) {
  const shard = await shardOf(env, org);
  const writer = shardWriter(env, shard);
  for (const batch of batches) {
    await writer.append(shard, batch);
    expect(await writer.flush()).toBe(0);
  }
}

async function stats(org: string, query: string): Promise<{ days: StatsDay[]; totals: StatsDay }> {
  const response = await call("GET", `/future/stats${query}`, undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as { days: StatsDay[]; totals: StatsDay };
}
const figures = (s: { days: StatsDay[] }, date: string, channel: string) => s.days.find((d) => d.date === date && d.channel === channel)!;

describe("verification statistics", () => {
  it("count each event once when the writer gets it twice, in one batch or another, and before or after its start", async () => {
    const org = "stats-verif-once";
    const now = Date.now();
    const [a, b, c, d] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const approvedA = change(org, a, "approved", now, { provider: "primary" });
    const expiredC = change(org, c, "expired", now, { channel: "email" });
    await write(
      org,
      [change(org, a, "started", now), change(org, a, "started", now), approvedA], // a repeat in the same transaction
      [approvedA, change(org, b, "max_attempts", now), expiredC], // b's end before its start
      [change(org, b, "started", now), change(org, c, "started", now, { channel: "email" }), expiredC, change(org, d, "started", now)],
      [change(org, b, "max_attempts", now), change(org, a, "started", now), approvedA], // replayed after a crash
    );

    const s = await stats(org, `?from=${dayOf(now)}&to=${dayOf(now)}`);
    expect(figures(s, dayOf(now), "sms").verifications).toEqual({ started: 3, approved: 1, expired: 0, maxAttempts: 1 });
    expect(figures(s, dayOf(now), "email").verifications).toEqual({ started: 1, approved: 0, expired: 1, maxAttempts: 0 });
    expect(s.totals.verifications).toEqual({ started: 4, approved: 1, expired: 1, maxAttempts: 1 });
    expect(figures(s, dayOf(now), "sms").providers).toEqual({ primary: { handedOver: 0, delivered: 0, approved: 1 } });
    // The existing figures are all still there.
    expect(figures(s, dayOf(now), "sms")).toMatchObject({ registered: 0, handedOver: 0, pending: 0, failed: {}, refused: {} });
  });

  it("count every event of a verification on the UTC day it started, and an approval for the provider its change names (none: nobody)", async () => {
    const org = "stats-verif-days";
    const now = Date.now();
    const yesterday = now - DAY;
    const lateYesterday = Date.parse(`${dayOf(yesterday)}T23:59:30.000Z`);
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await write(org, [
      // Started a moment before midnight, approved (and expired) after it: all of it is yesterday's.
      change(org, a, "started", lateYesterday),
      change(org, a, "approved", lateYesterday, { at: lateYesterday + 60_000, provider: "secondary" }),
      change(org, b, "started", lateYesterday),
      change(org, b, "expired", lateYesterday, { at: lateYesterday + 300_000 }),
      // Today's: approved, with no provider known (an email code, say).
      change(org, c, "started", now),
      change(org, c, "approved", now, { at: now + 1_000, provider: null }),
    ]);

    const s = await stats(org, `?from=${dayOf(yesterday)}&to=${dayOf(now)}&channel=sms`);
    expect(figures(s, dayOf(yesterday), "sms").verifications).toEqual({ started: 2, approved: 1, expired: 1, maxAttempts: 0 });
    expect(figures(s, dayOf(yesterday), "sms").providers).toEqual({ secondary: { handedOver: 0, delivered: 0, approved: 1 } });
    expect(figures(s, dayOf(now), "sms").verifications).toEqual({ started: 1, approved: 1, expired: 0, maxAttempts: 0 });
    expect(figures(s, dayOf(now), "sms").providers).toEqual({});
    expect(s.totals.providers).toEqual({ secondary: { handedOver: 0, delivered: 0, approved: 1 } });
  });

  it("never hold up the shard's write-behind: a change D1 would refuse is left out, and a batch of nothing else is done", async () => {
    const org = "stats-verif-bad";
    const now = Date.now();
    const bad = { ...change(org, crypto.randomUUID(), "started", now), channel: "fax" } as unknown as VerificationChange;
    // The first batch is the writer's first of the day (it prunes too); `write` expects nothing left pending after each.
    await write(org, [change(org, crypto.randomUUID(), "started", now)], [bad], [bad, change(org, crypto.randomUUID(), "started", now)]);
    expect(figures(await stats(org, `?from=${dayOf(now)}&to=${dayOf(now)}`), dayOf(now), "sms").verifications).toMatchObject({ started: 2 });
  });

  it("forget the facts that make them exact once the shipments' retention has passed, and the rollups after 13 months", async () => {
    const org = "org-on-shard-1"; // the prune runs in the writer's first transaction of a UTC day: a shard of its own here
    const now = Date.now();
    const old = now - 91 * DAY; // RETENTION_DAYS is 90 by default
    const recent = now - 89 * DAY;
    const db = env.DB_1;
    await db
      .prepare("INSERT INTO stat_verifications (verification_id, event, org, day, channel) VALUES ('v-old', 'started', ?1, ?2, 'sms'), ('v-recent', 'started', ?1, ?3, 'sms')")
      .bind(org, dayOf(old), dayOf(recent))
      .run();
    await write(org, [change(org, crypto.randomUUID(), "started", now)]);
    const { results } = await db.prepare("SELECT verification_id FROM stat_verifications WHERE verification_id LIKE 'v-%' ORDER BY verification_id").all<{ verification_id: string }>();
    expect(results.map((r) => r.verification_id)).toEqual(["v-recent"]);
  });
});
