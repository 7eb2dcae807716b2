// The one place that knows how healthy each provider is, shared by every dispatcher in every isolate:
// one Durable Object per channel. Dispatchers send it what they saw and get its verdict back in one
// call, at most about once a second per isolate (health-client.ts), so it stays off the hot path.
import { DurableObject } from "cloudflare:workers";
import { log } from "../../log";
import type { Channel } from "../../status/statuses";
import { asOf, CLOSED, observe, type BreakerState, type Observation, type Verdict } from "./breaker";

export class ProviderHealth extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec("CREATE TABLE IF NOT EXISTS breakers (provider TEXT PRIMARY KEY, state TEXT NOT NULL)");
  }

  /** Takes observations (in any order) and answers the verdict for every provider it knows. */
  async exchange(observations: Observation[]): Promise<Verdict> {
    const states = new Map(
      this.sql.exec<{ provider: string; state: string }>("SELECT provider, state FROM breakers").toArray().map((r) => [r.provider, JSON.parse(r.state) as BreakerState]),
    );
    const changed = new Set<string>();
    for (const observation of [...observations].sort((a, b) => a.at - b.at)) {
      const before = states.get(observation.provider) ?? CLOSED;
      const after = observe(before, observation);
      if (after.position !== before.position) log("provider_health.changed", { provider: observation.provider, from: before.position, to: after.position });
      states.set(observation.provider, after);
      changed.add(observation.provider);
    }
    for (const provider of changed) {
      this.sql.exec("INSERT INTO breakers (provider, state) VALUES (?, ?) ON CONFLICT (provider) DO UPDATE SET state = excluded.state", provider, JSON.stringify(states.get(provider)));
    }
    const now = Date.now();
    return Object.fromEntries([...states].map(([provider, state]) => [provider, asOf(state, now).position]));
  }

  /** The providers' states for the performance page. */
  async healthReport(): Promise<HealthReport> {
    return healthReportOf(this.sql.exec<{ provider: string; state: string }>("SELECT provider, state FROM breakers ORDER BY provider").toArray(), Date.now());
  }
}

// ── The performance page's view (src/stats/performance.ts) ─────────────────────────────────────

export type ProviderState = "healthy" | "degraded" | "circuit_open";

export interface HealthReport {
  providers: { name: string; state: ProviderState }[];
  events: { provider: string; kind: "degraded" | "recovered"; at: string; aged: number; overdue: number }[];
}

/** Each provider's state from its breaker (open: circuit open; half-open: degraded), and no events yet. */
export function healthReportOf(breakers: readonly { provider: string; state: string }[], now: number): HealthReport {
  const STATES: Record<string, ProviderState> = { closed: "healthy", half_open: "degraded", open: "circuit_open" };
  return {
    providers: breakers.map((b) => ({ name: b.provider, state: STATES[asOf(JSON.parse(b.state) as BreakerState, now).position] ?? "healthy" })),
    events: [],
  };
}

export function healthStub(env: Env, channel: Channel) {
  return env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName(channel));
}
