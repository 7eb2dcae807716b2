// From rollup rows (day, channel, metric, n) to the figures GET /future/stats and /performance answer:
// pure functions, so the arithmetic is tested on its own (test/unit/stats/figures.test.ts).
import { utcDay } from "../status/manifest";
import type { Channel } from "../status/statuses";
import { percentile } from "../store/stats-buckets";
import { METRIC } from "../store/stats-rollups";
import { dayCount, MAX_DAYS } from "./range";

export const CHANNELS: readonly Channel[] = ["sms", "email"];

export interface RollupRow {
  day: string;
  channel: Channel;
  metric: string;
  n: number;
}

export interface Figures {
  registered: number;
  handedOver: number;
  handedOverWithin10s: number;
  delivered: number;
  failed: Record<string, number>;
  pending: number;
  /** Shipments that failed for a reason of the recipient's before any hand-over: not in the within-10 s share's denominator. */
  failedForRecipientBeforeHandOver: number;
  handOverP50Ms: number | null;
  handOverP95Ms: number | null;
  finalP50Ms: number | null;
  finalP95Ms: number | null;
  providers: Record<string, ProviderFigures>;
  refused: Record<string, number>;
  /** One-time codes, counted on the UTC day and channel each started on. */
  verifications: VerificationFigures;
}

export interface ProviderFigures {
  handedOver: number;
  delivered: number;
  /** Verifications approved with this provider's SMS the last one handed over before approval. */
  approved: number;
}

export interface VerificationFigures {
  started: number;
  approved: number;
  expired: number;
  maxAttempts: number;
}

export interface DayFigures extends Figures {
  date: string;
  channel: Channel;
}

/** Counters of one or more days and channels, added up. */
export class Counters {
  private readonly n = new Map<string, number>();

  add(metric: string, n: number): this {
    this.n.set(metric, (this.n.get(metric) ?? 0) + n);
    return this;
  }

  merge(other: Counters): this {
    for (const [metric, n] of other.n) this.add(metric, n);
    return this;
  }

  figures(): Figures {
    const get = (metric: string) => this.n.get(metric) ?? 0;
    const failed: Record<string, number> = {};
    const refused: Record<string, number> = {};
    const providers: Record<string, ProviderFigures> = {};
    const verifications: VerificationFigures = { started: 0, approved: 0, expired: 0, maxAttempts: 0 };
    const handOver = new Map<number, number>();
    const final = new Map<number, number>();
    for (const [metric, n] of [...this.n].sort(([a], [b]) => a.localeCompare(b))) {
      const [kind, ...rest] = metric.split(":");
      const tail = rest.join(":");
      if (kind === "failed") failed[tail] = n;
      else if (kind === "refused") refused[tail] = n;
      else if (kind === "handOverMs") handOver.set(Number(tail), n);
      else if (kind === "finalMs") final.set(Number(tail), n);
      else if (kind === "verifications" && Object.hasOwn(verifications, tail)) verifications[tail as keyof VerificationFigures] = n;
      else if (kind === "provider") {
        const name = tail.slice(0, tail.lastIndexOf(":"));
        const what = tail.slice(tail.lastIndexOf(":") + 1) as keyof ProviderFigures;
        (providers[name] ??= { handedOver: 0, delivered: 0, approved: 0 })[what] = n;
      }
    }
    const registered = get(METRIC.registered);
    const delivered = get(METRIC.delivered);
    const failedTotal = Object.values(failed).reduce((a, b) => a + b, 0);
    return {
      registered,
      handedOver: get(METRIC.handedOver),
      handedOverWithin10s: get(METRIC.handedOverWithin10s),
      delivered,
      failed,
      pending: Math.max(0, registered - delivered - failedTotal),
      failedForRecipientBeforeHandOver: get(METRIC.failedForRecipientBeforeHandOver),
      handOverP50Ms: percentile(handOver, 0.5),
      handOverP95Ms: percentile(handOver, 0.95),
      finalP50Ms: percentile(final, 0.5),
      finalP95Ms: percentile(final, 0.95),
      providers,
      refused,
      verifications,
    };
  }
}

/** The share handed over within 10 s, in percent (null when nothing counts towards it). */
export function within10sPercent(f: Pick<Figures, "registered" | "handedOverWithin10s" | "failedForRecipientBeforeHandOver">): number | null {
  const denominator = f.registered - f.failedForRecipientBeforeHandOver;
  return denominator > 0 ? (100 * f.handedOverWithin10s) / denominator : null;
}

/** Delivered of those that ended, in percent (null when none ended). */
export function deliveryPercent(f: Pick<Figures, "delivered" | "failed">): number | null {
  const ended = f.delivered + Object.values(f.failed).reduce((a, b) => a + b, 0);
  return ended > 0 ? (100 * f.delivered) / ended : null;
}

/**
 * Approved of the verifications started, in percent (null when none started). At most 100: an approval
 * can be counted moments before its start is (the changes come from two objects).
 */
export function conversionPercent(v: Pick<VerificationFigures, "started" | "approved">): number | null {
  return v.started > 0 ? Math.min(100, (100 * v.approved) / v.started) : null;
}

/**
 * Every UTC day from `from` to `to`, both included (YYYY-MM-DD). At most MAX_DAYS: a longer range is a
 * caller's mistake that must have been refused before (src/stats/range.ts), never a list to build.
 */
export function daysBetween(from: string, to: string): string[] {
  if (dayCount(from, to) > MAX_DAYS) throw new RangeError(`daysBetween: more than ${MAX_DAYS} days from ${from} to ${to}`);
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) days.push(utcDay(t));
  return days;
}

/**
 * Each asked day and channel once (zeros where nothing was counted), oldest first, and the totals over
 * all of them.
 */
export function figuresOf(rows: readonly RollupRow[], from: string, to: string, channels: readonly Channel[] = CHANNELS): { days: DayFigures[]; totals: Figures } {
  const byDay = new Map<string, Counters>();
  for (const row of rows) {
    const key = `${row.day}/${row.channel}`;
    if (!byDay.has(key)) byDay.set(key, new Counters());
    byDay.get(key)!.add(row.metric, row.n);
  }
  const totals = new Counters();
  const days: DayFigures[] = [];
  for (const date of daysBetween(from, to)) {
    for (const channel of channels) {
      const counters = byDay.get(`${date}/${channel}`) ?? new Counters();
      totals.merge(counters);
      days.push({ date, channel, ...counters.figures() });
    }
  }
  return { days, totals: totals.figures() };
}
