// The deployment's figures for /performance and /performance.json: every organisation together (none
// named), the last 30 UTC days, from every shard's rollups. Computed at most once a minute (this
// isolate's memory, then the Cache API across isolates), so an unauthenticated page never queries every
// shard per hit; when D1 fails, the last figures are served, marked stale.
import { logError } from "../log";
import { healthStub, type HealthReport, type HealthState, type ProviderOutageDay } from "../providers/failover/provider-health";
import { providerNames } from "../providers/names";
import type { Channel } from "../status/statuses";
import { CHANNELS, conversionPercent, daysBetween, deliveryPercent, figuresOf, within10sPercent, type Figures, type ProviderFigures, type VerificationFigures } from "./figures";
import { readDeployment } from "./read";
import type { DeadLetterDay } from "../retry/dead-letter-object";
import { deadLetterStub } from "../retry/dead-letters";
import { utcDay } from "../status/manifest";

export const PERFORMANCE_DAYS = 30;
const FRESH_MS = 60_000;
const CACHE_KEY = "https://performance.invalid/figures.json";

export interface PerformanceDay {
  date: string;
  channel: Channel;
  registered: number;
  handedOver: number;
  handedOverWithin10s: number;
  delivered: number;
  failed: number;
  pending: number;
  /** handedOverWithin10s ÷ (registered − failed for the recipient before any hand-over), in percent. */
  handedOverWithin10sPercent: number | null;
  /** Delivered of those that ended, in percent. */
  deliveredPercent: number | null;
  providers: Record<string, ProviderFigures>;
  /**
   * One-time codes started on this day and channel, and how they ended. Absent from figures cached by
   * an earlier version.
   */
  verifications?: VerificationFigures;
  /** Approved ÷ started of those verifications, in percent (null: none started). Absent as `verifications`. */
  verificationConversionPercent?: number | null;
}

export interface Performance {
  generatedAt: string;
  stale: boolean;
  from: string;
  to: string;
  objective: { handedOverWithin10sPercent: number };
  days: PerformanceDay[];
  totals: Record<Channel, Omit<PerformanceDay, "date" | "channel"> & { providerSharePercent: Record<string, number> }>;
  /** Each SMS provider's current state and its degrade/recover events per day (null: not known just now). */
  smsProviders: { name: string; state: HealthState | null; events: { date: string; degraded: number; recovered: number; changes: ProviderChange[] }[] }[];
  /**
   * Messages a queue gave up on, per UTC day and queue (days without any left out), and how many each
   * dead-letter queue keeps now for an operator (null: not known just now). Absent from figures cached
   * by an earlier version.
   */
  deadLetters: { days: DeadLetterDay[]; waiting: Record<string, number> } | null;
  /**
   * Provider outages per UTC day: calls that failed because the provider could send nothing (so far
   * only Cloudflare Email's used-up daily quota, reason "daily_quota"); null: not known just now.
   * Absent from figures cached by an earlier version.
   */
  providerOutages: (ProviderOutageDay & { channel: Channel })[] | null;
}

/**
 * One degrade or recover, with its figures: the share of the aged hand-overs that were overdue, and how
 * many organisations counted against the provider (null: an event of an earlier version). No volume:
 * the counts themselves are in the log line and the health report.
 */
export interface ProviderChange {
  at: string;
  kind: "degraded" | "recovered";
  overduePercent: number;
  organisations: number | null;
}

let memo: Performance | null = null;

/** The figures, fresh within a minute; the last ones (stale) when they cannot be computed; null when there are none. */
export async function performanceFigures(env: Env): Promise<Performance | null> {
  const now = Date.now();
  if (memo && now - Date.parse(memo.generatedAt) < FRESH_MS) return memo;
  const cache = await openCache();
  const cached = await readCache(cache);
  if (cached && now - Date.parse(cached.generatedAt) < FRESH_MS) return (memo = cached);
  try {
    memo = await compute(env, now);
    await cache?.put(CACHE_KEY, new Response(JSON.stringify(memo), { headers: { "Content-Type": "application/json", "Cache-Control": "max-age=2678400" } }));
    return memo;
  } catch (error) {
    logError("performance.figures_failed", error);
    const last = [memo, cached].filter((p): p is Performance => p !== null).sort((a, b) => b.generatedAt.localeCompare(a.generatedAt))[0];
    return last ? { ...last, stale: true } : null;
  }
}

async function openCache(): Promise<Cache | null> {
  try {
    return await caches.open("performance");
  } catch {
    return null; // no Cache API here: this isolate's memory alone
  }
}

async function readCache(cache: Cache | null): Promise<Performance | null> {
  try {
    const hit = await cache?.match(CACHE_KEY);
    return hit ? ((await hit.json()) as Performance) : null;
  } catch {
    return null;
  }
}

async function compute(env: Env, now: number): Promise<Performance> {
  const to = utcDay(now);
  const from = utcDay(now - (PERFORMANCE_DAYS - 1) * 86_400_000);
  const [rows, health, deadLetters, providerOutages] = await Promise.all([readDeployment(env, from, to), smsHealth(env), deadLetterFigures(env, from), outages(env, from)]);
  const { days } = figuresOf(rows, from, to);
  const totals = Object.fromEntries(
    CHANNELS.map((channel) => {
      const { totals: t } = figuresOf(
        rows.filter((r) => r.channel === channel),
        from,
        to,
        [channel],
      );
      const share = Object.fromEntries(Object.entries(t.providers).map(([name, p]) => [name, t.handedOver > 0 ? (100 * p.handedOver) / t.handedOver : 0]));
      return [channel, { ...summary(t), providerSharePercent: share }];
    }),
  ) as Performance["totals"];
  const names = [...new Set([...providerNames(env, "sms"), ...(health?.providers.map((p) => p.name) ?? [])])];
  return {
    generatedAt: new Date(now).toISOString(),
    stale: false,
    from,
    to,
    objective: { handedOverWithin10sPercent: objective(env) },
    days: days.map((d) => ({ date: d.date, channel: d.channel, ...summary(d) })),
    totals,
    smsProviders: names.map((name) => ({
      name,
      state: health ? (health.providers.find((p) => p.name === name)?.state ?? "healthy") : null,
      events: eventsPerDay(health, name, from, to),
    })),
    deadLetters,
    providerOutages,
  };
}

/** Both channels' provider outages, or null when they cannot be had. */
async function outages(env: Env, from: string): Promise<Performance["providerOutages"]> {
  try {
    const perChannel = await Promise.all(CHANNELS.map(async (channel) => (await healthStub(env, channel).outages(from)).map((o) => ({ ...o, channel }))));
    return perChannel.flat();
  } catch (error) {
    logError("performance.outages_failed", error);
    return null;
  }
}

/** The dead letters' figures, or null when they cannot be had (the page shows the rest all the same). */
async function deadLetterFigures(env: Env, from: string): Promise<Performance["deadLetters"]> {
  try {
    return await deadLetterStub(env).figures(from);
  } catch (error) {
    logError("performance.dead_letters_failed", error);
    return null;
  }
}

function summary(f: Figures): Omit<PerformanceDay, "date" | "channel"> {
  return {
    registered: f.registered,
    handedOver: f.handedOver,
    handedOverWithin10s: f.handedOverWithin10s,
    delivered: f.delivered,
    failed: Object.values(f.failed).reduce((a, b) => a + b, 0),
    pending: f.pending,
    handedOverWithin10sPercent: within10sPercent(f),
    deliveredPercent: deliveryPercent(f),
    providers: f.providers,
    verifications: f.verifications,
    verificationConversionPercent: conversionPercent(f.verifications),
  };
}

function eventsPerDay(health: HealthReport | null, provider: string, from: string, to: string) {
  const events = health?.events.filter((e) => e.provider === provider) ?? [];
  return daysBetween(from, to)
    .map((date) => {
      const that = events.filter((e) => utcDay(e.at) === date);
      const changes = that.map((e): ProviderChange => ({
        at: e.at,
        kind: e.kind,
        overduePercent: e.aged > 0 ? Math.round((1000 * e.overdue) / e.aged) / 10 : 0,
        organisations: e.organisations,
      }));
      return { date, degraded: that.filter((e) => e.kind === "degraded").length, recovered: that.filter((e) => e.kind === "recovered").length, changes };
    })
    .filter((d) => d.degraded + d.recovered > 0);
}

/** The SMS providers' health, or null when it cannot be had (the page shows the figures all the same). */
async function smsHealth(env: Env): Promise<HealthReport | null> {
  try {
    return await healthStub(env, "sms").healthReport();
  } catch (error) {
    logError("performance.health_failed", error);
    return null;
  }
}

/** SLO_HANDOVER_10S: the objective for the share handed over within 10 s, in percent (default 99.9). */
export function objective(env: Env): number {
  const value = Number(env.SLO_HANDOVER_10S);
  return Number.isFinite(value) && value > 0 && value <= 100 ? value : 99.9;
}
