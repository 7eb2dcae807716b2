// Provider health as a circuit breaker per provider, as pure functions (the ProviderHealth Durable
// Object stores the states; dispatchers cache its verdict). Chosen over weights because an SMS
// provider's failures come in outages: a breaker moves all traffic at once and probes its way back.
//
//   closed     takes traffic in preference order. Opens when, within the last `windowMs`, at least
//              `minFailures` calls failed and they are at least `failureRatio` of the calls. A failure
//              is a transient answer, a timeout, or a call slower than `slowCallMs`.
//   open       gets no traffic first (still a fallback within a hand-over when the others fail too).
//              After `openMs` it is half-open.
//   half_open  gets a share (`probeRate`) of hand-overs first, as probes. `probesToClose` successes
//              in a row close it; one failure opens it again.

import type { ProviderOutage } from "../outcome";

export type BreakerPosition = "closed" | "open" | "half_open";

export interface BreakerSettings {
  windowMs: number;
  minFailures: number;
  failureRatio: number;
  slowCallMs: number;
  openMs: number;
  probeRate: number;
  probesToClose: number;
}

export const BREAKER: BreakerSettings = {
  windowMs: 30_000,
  minFailures: 3,
  failureRatio: 0.5,
  slowCallMs: 5_000,
  openMs: 10_000,
  probeRate: 0.2,
  probesToClose: 3,
};

/** One provider call as a dispatcher saw it. */
export interface Observation {
  provider: string;
  ok: boolean;
  at: number;
  /** The call failed because the provider could send nothing (a failure, and counted as an outage). */
  outage?: ProviderOutage;
}

export interface BreakerState {
  position: BreakerPosition;
  /** When the position last changed (ms since epoch). */
  since: number;
  /** Recent calls while closed: [at, ok]. */
  window: [number, boolean][];
  probeSuccesses: number;
}

export const CLOSED: BreakerState = { position: "closed", since: 0, window: [], probeSuccesses: 0 };

/** Whether a call counts as healthy: the provider answered (accepted or a final verdict), and in time. */
export function healthyCall(kind: string, durationMs: number, settings: BreakerSettings = BREAKER): boolean {
  return (kind === "accepted" || kind === "final") && durationMs <= settings.slowCallMs;
}

/** The state as of `now`: an open breaker whose time is up is half-open. */
export function asOf(state: BreakerState, now: number, settings: BreakerSettings = BREAKER): BreakerState {
  if (state.position === "open" && now - state.since >= settings.openMs) return { position: "half_open", since: now, window: [], probeSuccesses: 0 };
  return state;
}

export function observe(state: BreakerState, { ok, at }: Observation, settings: BreakerSettings = BREAKER): BreakerState {
  const s = asOf(state, at, settings);
  switch (s.position) {
    case "open":
      return s; // calls that were already under way when it opened
    case "half_open":
      if (!ok) return { position: "open", since: at, window: [], probeSuccesses: 0 };
      return s.probeSuccesses + 1 >= settings.probesToClose
        ? { position: "closed", since: at, window: [], probeSuccesses: 0 }
        : { ...s, probeSuccesses: s.probeSuccesses + 1 };
    case "closed": {
      const window = [...s.window.filter(([t]) => t > at - settings.windowMs), [at, ok] as [number, boolean]];
      const failures = window.filter(([, good]) => !good).length;
      if (failures >= settings.minFailures && failures / window.length >= settings.failureRatio) {
        return { position: "open", since: at, window: [], probeSuccesses: 0 };
      }
      return { ...s, window };
    }
  }
}

export type Verdict = Readonly<Record<string, BreakerPosition>>;

/**
 * The order in which one hand-over tries the configured providers: closed ones first (in preference
 * order), then half-open, then open; except that a probe (`random` < probeRate) puts the first
 * half-open provider first. Every configured provider stays in the list as a fallback.
 */
export function providerOrder(configured: readonly string[], verdict: Verdict, random: number, settings: BreakerSettings = BREAKER): string[] {
  const at = (position: BreakerPosition) => configured.filter((name) => (verdict[name] ?? "closed") === position);
  const [closed, halfOpen, open] = [at("closed"), at("half_open"), at("open")];
  if (halfOpen.length > 0 && random < settings.probeRate) return [halfOpen[0]!, ...closed, ...halfOpen.slice(1), ...open];
  return [...closed, ...halfOpen, ...open];
}
