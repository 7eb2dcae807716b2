// The one place that knows how healthy each provider is, shared by every dispatcher in every isolate:
// one Durable Object per channel. Dispatchers send it what they saw and get its verdict back in one
// call, at most about once a second per isolate (health-client.ts), so it stays off the hot path.
// It keeps two rules side by side: the circuit breaker (breaker.ts) and the slow-delivery rule
// (slow-delivery.ts), whose acceptances and final reports come batched the same way.
import { DurableObject } from "cloudflare:workers";
import { objectByName } from "../../config/durable-objects";
import { log } from "../../log";
import { smsProviderNames } from "../names";
import type { Channel } from "../../status/statuses";
import type { ProviderOutage } from "../outcome";
import { asOf, CLOSED, observe, type BreakerState, type Observation } from "./breaker";
import type { HealthVerdict } from "./selection";
import { combinedFigures, isDegraded, slowSettings, type SlowFigures, type Tally } from "./slow-delivery";

/** An accepted hand-over, or the final report of one, as a dispatcher or a report receiver saw it. */
export interface DeliveryNote {
  kind: "accepted" | "reported";
  provider: string;
  shipmentId: string;
  at: number;
  /**
   * An acceptance's organisation (the slow rule counts organisations). Absent from a report, from a
   * claim of an earlier order object, and from every note of an earlier version: such acceptances
   * count together as one unknown organisation.
   */
  organisation?: string;
  /** An acceptance to a sandbox recipient: never counts (absent: not one, as earlier versions counted it). */
  sandbox?: boolean;
}

export type HealthState = "healthy" | "degraded" | "circuit_open";

export interface SlowEvent extends Omit<SlowFigures, "organisations"> {
  provider: string;
  kind: "degraded" | "recovered";
  at: string;
  /** The organisations that counted against the provider; null for an event of an earlier version. */
  organisations: number | null;
}

/** Calls that failed because a provider could send nothing, per UTC day, provider and reason (the performance page). */
export interface ProviderOutageDay {
  date: string;
  provider: string;
  reason: ProviderOutage;
  calls: number;
}

export interface HealthReport {
  providers: { name: string; state: HealthState }[];
  events: SlowEvent[];
}

/** The slow rule is judged at most this often (a count over the window's hand-overs). */
const EVALUATE_EVERY_MS = 1_000;
const EVENTS_KEPT_MS = 30 * 24 * 3600_000;

export class ProviderHealth extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  private readonly slow = slowSettings(this.env);
  private evaluatedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    createHealthTables(this.sql);
  }

  /**
   * Takes call observations and delivery notes (each in any order, from any isolate) and answers the
   * verdict for every provider it knows.
   */
  async exchange(observations: Observation[], deliveries: DeliveryNote[] = []): Promise<HealthVerdict> {
    const states = this.breakers();
    const changed = new Set<string>();
    for (const observation of [...observations].sort((a, b) => a.at - b.at)) {
      const before = states.get(observation.provider) ?? CLOSED;
      const after = observe(before, observation);
      if (after.position !== before.position) log("provider_health.changed", { provider: observation.provider, from: before.position, to: after.position });
      states.set(observation.provider, after);
      changed.add(observation.provider);
    }
    for (const { provider, outage, at } of observations) {
      if (!outage) continue;
      const date = new Date(at).toISOString().slice(0, 10);
      this.sql.exec("INSERT INTO outages (day, provider, reason, n) VALUES (?, ?, ?, 1) ON CONFLICT (day, provider, reason) DO UPDATE SET n = n + 1", date, provider, outage);
      log("provider_health.outage", { provider, reason: outage });
    }
    for (const provider of changed) {
      this.sql.exec("INSERT INTO breakers (provider, state) VALUES (?, ?) ON CONFLICT (provider) DO UPDATE SET state = excluded.state", provider, JSON.stringify(states.get(provider)));
    }
    this.noteDeliveries(deliveries);
    const now = Date.now();
    if (now - this.evaluatedAt >= EVALUATE_EVERY_MS) this.evaluateSlowRule(now);
    const degraded = this.degradedProviders();
    const names = new Set([...states.keys(), ...degraded]);
    return Object.fromEntries([...names].map((provider) => [provider, { circuit: asOf(states.get(provider) ?? CLOSED, now).position, degraded: degraded.has(provider) }]));
  }

  /** Each configured SMS provider's state now, and the degrade/recover events of the last 30 days (the performance page). */
  async healthReport(): Promise<HealthReport> {
    const now = Date.now();
    this.evaluateSlowRule(now);
    const states = this.breakers();
    const degraded = this.degradedProviders();
    const providers = smsProviderNames(this.env).map((name) => {
      const circuitOpen = asOf(states.get(name) ?? CLOSED, now).position === "open";
      return { name, state: (circuitOpen ? "circuit_open" : degraded.has(name) ? "degraded" : "healthy") as HealthState };
    });
    const events = this.sql
      .exec<{ provider: string; kind: "degraded" | "recovered"; at: number; aged: number; overdue: number; organisations: number | null }>(
        "SELECT provider, kind, at, aged, overdue, organisations FROM slow_events WHERE at > ? ORDER BY at, id",
        now - EVENTS_KEPT_MS,
      )
      .toArray()
      .map((e) => ({ provider: e.provider, kind: e.kind, at: new Date(e.at).toISOString(), aged: e.aged, overdue: e.overdue, organisations: e.organisations }));
    return { providers, events };
  }

  /** The outages of the channel's providers since the UTC day `from` (older ones are forgotten). */
  async outages(from: string): Promise<ProviderOutageDay[]> {
    this.sql.exec("DELETE FROM outages WHERE day < ?", new Date(Date.now() - EVENTS_KEPT_MS).toISOString().slice(0, 10));
    return this.sql
      .exec<{ day: string; provider: string; reason: ProviderOutage; n: number }>("SELECT day, provider, reason, n FROM outages WHERE day >= ? ORDER BY day, provider, reason", from)
      .toArray()
      .map((r) => ({ date: r.day, provider: r.provider, reason: r.reason, calls: r.n }));
  }

  private breakers(): Map<string, BreakerState> {
    return new Map(
      this.sql.exec<{ provider: string; state: string }>("SELECT provider, state FROM breakers").toArray().map((r) => [r.provider, JSON.parse(r.state) as BreakerState]),
    );
  }

  private degradedProviders(): Set<string> {
    return new Set(this.sql.exec<{ provider: string }>("SELECT provider FROM degraded").toArray().map((r) => r.provider));
  }

  /**
   * The earliest acceptance and the earliest final report of each hand-over win (notes may repeat, and
   * come out of order: a report may come first, and its row gets the organisation with the acceptance).
   */
  private noteDeliveries(deliveries: DeliveryNote[]): void {
    for (const { kind, provider, shipmentId, at, organisation, sandbox } of deliveries) {
      if (kind === "accepted") {
        this.sql.exec(
          `INSERT INTO deliveries (provider, shipment_id, accepted_at, organisation, sandbox) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (provider, shipment_id) DO UPDATE SET accepted_at = COALESCE(MIN(accepted_at, excluded.accepted_at), excluded.accepted_at),
             organisation = COALESCE(organisation, excluded.organisation), sandbox = MAX(sandbox, excluded.sandbox)`,
          provider,
          shipmentId,
          at,
          typeof organisation === "string" ? organisation : null,
          sandbox === true ? 1 : 0,
        );
      } else {
        this.sql.exec(
          `INSERT INTO deliveries (provider, shipment_id, reported_at) VALUES (?, ?, ?)
           ON CONFLICT (provider, shipment_id) DO UPDATE SET reported_at = COALESCE(MIN(reported_at, excluded.reported_at), excluded.reported_at)`,
          provider,
          shipmentId,
          at,
        );
      }
    }
  }

  /** Counts each provider's aged and overdue hand-overs in the window, and moves it to degraded or back. */
  private evaluateSlowRule(now: number): void {
    this.evaluatedAt = now;
    const { windowMs, slowMs } = this.slow;
    this.sql.exec("DELETE FROM deliveries WHERE COALESCE(accepted_at, reported_at) <= ?", now - windowMs);
    this.sql.exec("DELETE FROM slow_events WHERE at <= ?", now - EVENTS_KEPT_MS);
    // The same count as slowFigures(), per organisation (an earlier version's notes, with none, are one
    // unknown organisation: NULL groups as one): accepted in the window and at least slowMs old, not to
    // a sandbox recipient; overdue when the report had not come slowMs after acceptance.
    const tallies = new Map<string, Tally[]>();
    for (const r of this.sql.exec<{ provider: string; aged: number; overdue: number }>(
      `SELECT provider, COUNT(*) AS aged, SUM(reported_at IS NULL OR reported_at >= accepted_at + ?) AS overdue
       FROM deliveries WHERE accepted_at > ? AND accepted_at <= ? AND sandbox = 0 GROUP BY provider, organisation`,
      slowMs,
      now - windowMs,
      now - slowMs,
    )) {
      const ofProvider = tallies.get(r.provider) ?? [];
      ofProvider.push({ aged: r.aged, overdue: r.overdue });
      tallies.set(r.provider, ofProvider);
    }
    const degraded = this.degradedProviders();
    for (const provider of new Set([...tallies.keys(), ...degraded])) {
      const was = degraded.has(provider);
      const figures = combinedFigures(tallies.get(provider) ?? [], this.slow);
      const is = isDegraded(was, figures, this.slow);
      if (is === was) continue;
      const kind = is ? "degraded" : "recovered";
      if (is) this.sql.exec("INSERT INTO degraded (provider, since) VALUES (?, ?)", provider, now);
      else this.sql.exec("DELETE FROM degraded WHERE provider = ?", provider);
      this.sql.exec(
        "INSERT INTO slow_events (provider, kind, at, aged, overdue, organisations) VALUES (?, ?, ?, ?, ?, ?)",
        provider,
        kind,
        now,
        figures.aged,
        figures.overdue,
        figures.organisations,
      );
      log(`provider_health.${kind}`, {
        provider,
        aged: figures.aged,
        overdue: figures.overdue,
        overdueShare: figures.aged > 0 ? Math.round((figures.overdue / figures.aged) * 1000) / 1000 : 0,
        organisations: figures.organisations,
        minOrganisations: this.slow.minOrganisations,
        slowReportSeconds: slowMs / 1000,
        windowSeconds: windowMs / 1000,
      });
    }
  }
}

/**
 * The object's tables, created or brought up to date: an object made by an earlier version has
 * deliveries without organisation and sandbox (its rows: one unknown organisation, not sandbox) and
 * events without organisations (null).
 */
export function createHealthTables(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS breakers (provider TEXT PRIMARY KEY, state TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS deliveries (provider TEXT NOT NULL, shipment_id TEXT NOT NULL, accepted_at INTEGER, reported_at INTEGER, organisation TEXT, sandbox INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (provider, shipment_id));
    CREATE INDEX IF NOT EXISTS deliveries_by_acceptance ON deliveries (accepted_at);
    CREATE TABLE IF NOT EXISTS degraded (provider TEXT PRIMARY KEY, since INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS slow_events (id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL, aged INTEGER NOT NULL, overdue INTEGER NOT NULL, organisations INTEGER);
    CREATE TABLE IF NOT EXISTS outages (day TEXT NOT NULL, provider TEXT NOT NULL, reason TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, provider, reason));
  `);
  const columns = (table: string) => new Set(sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name));
  const deliveries = columns("deliveries");
  if (!deliveries.has("organisation")) sql.exec("ALTER TABLE deliveries ADD COLUMN organisation TEXT");
  if (!deliveries.has("sandbox")) sql.exec("ALTER TABLE deliveries ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0");
  if (!columns("slow_events").has("organisations")) sql.exec("ALTER TABLE slow_events ADD COLUMN organisations INTEGER");
}

export function healthStub(env: Env, channel: Channel) {
  return objectByName(env, "PROVIDER_HEALTH", channel);
}
