// Which provider a hand-over tries first, from both health rules: the circuit breaker (calls that fail,
// breaker.ts) and the slow-delivery rule (reports that do not come, slow-delivery.ts).
import { BREAKER, providerOrder, type BreakerPosition, type BreakerSettings } from "./breaker";
import { SLOW } from "./slow-delivery";

export interface ProviderHealthState {
  circuit: BreakerPosition;
  degraded: boolean;
}

/** What ProviderHealth answers: each provider it knows; one it does not know is closed and not degraded. */
export type HealthVerdict = Readonly<Record<string, ProviderHealthState>>;

const HEALTHY: ProviderHealthState = { circuit: "closed", degraded: false };

/** Random draws in [0, 1): one for the breaker's half-open probe, one for the degraded provider's probe. */
export interface ProbeDraws {
  circuit: number;
  slow: number;
}

/**
 * The order in which one hand-over tries the configured providers. A provider is used when its circuit
 * is not open and it is not degraded (closed before half-open, as the breaker orders them). Then the
 * degraded ones whose circuit is not open, in preference order: so when none qualifies, the first whose
 * circuit is not open goes first (slow beats nothing). Open circuits come last. A probe (`slow` under
 * the probe rate) puts the first degraded provider first, so it can show it has recovered. Every
 * configured provider stays in the list: the next one is tried only after a transient failure.
 */
export function handOverSequence(
  configured: readonly string[],
  verdict: HealthVerdict,
  draws: ProbeDraws,
  settings: { breaker: BreakerSettings; probeRate: number } = { breaker: BREAKER, probeRate: SLOW.probeRate },
): string[] {
  const state = (name: string) => (Object.hasOwn(verdict, name) ? verdict[name]! : HEALTHY);
  const circuits = Object.fromEntries(configured.map((name) => [name, state(name).circuit]));
  const notOpen = (name: string) => circuits[name] !== "open";
  const usable = providerOrder(configured.filter((name) => !state(name).degraded), circuits, draws.circuit, settings.breaker).filter(notOpen);
  const degraded = configured.filter((name) => state(name).degraded && notOpen(name));
  const open = configured.filter((name) => !notOpen(name));
  if (usable.length > 0 && degraded.length > 0 && draws.slow < settings.probeRate) return [degraded[0]!, ...usable, ...degraded.slice(1), ...open];
  return [...usable, ...degraded, ...open];
}
