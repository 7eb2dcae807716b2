// A dispatcher's view of provider health: the ProviderHealth verdict, cached in this isolate for about
// a second, and the outcomes this isolate saw, sent along with the next refresh. Only the one hand-over
// that finds the verdict stale waits for the Durable Object (bounded); the others use the cached one.
// (The refresh is awaited, not left running: work a request leaves behind may be cancelled with it.)
import { logError } from "../../log";
import { boundedBy } from "../http";
import type { Channel } from "../../status/statuses";
import { providerOrder, type Observation, type Verdict } from "./breaker";
import { healthStub } from "./provider-health";

const VERDICT_TTL_MS = 1_000;
/** How long a hand-over waits for a fresh verdict before it goes on with the one it has. */
const REFRESH_TIMEOUT_MS = 500;
/** A refresh that has not come back by then is taken as lost (its request may have ended). */
const REFRESH_STUCK_MS = 5_000;
const MAX_PENDING = 1_000;

interface View {
  verdict: Verdict | null;
  fetchedAt: number;
  pending: Observation[];
  refreshingSince: number | null;
}

// Plain data only: workerd does not let one request use another's I/O objects (promises, stubs).
const views = new Map<Channel, View>();

function viewOf(channel: Channel): View {
  let view = views.get(channel);
  if (!view) views.set(channel, (view = { verdict: null, fetchedAt: 0, pending: [], refreshingSince: null }));
  return view;
}

async function refresh(env: Env, channel: Channel, view: View): Promise<void> {
  const sent = view.pending.splice(0);
  view.refreshingSince = Date.now();
  try {
    view.verdict = await boundedBy(healthStub(env, channel).exchange(sent), AbortSignal.timeout(REFRESH_TIMEOUT_MS));
    view.fetchedAt = Date.now();
  } catch (error) {
    view.pending.unshift(...sent.slice(-(MAX_PENDING - view.pending.length)));
    logError("provider_health.unavailable", error, { channel });
  } finally {
    view.refreshingSince = null;
  }
}

/**
 * The order in which a hand-over tries the channel's providers. With one provider there is nothing
 * to choose and no Durable Object is asked. Without a verdict (the object unreachable) it is the
 * configured order.
 */
export async function handOverOrder(env: Env, channel: Channel, configured: readonly string[]): Promise<string[]> {
  if (configured.length <= 1) return [...configured];
  const view = viewOf(channel);
  const now = Date.now();
  const refreshing = view.refreshingSince !== null && now - view.refreshingSince < REFRESH_STUCK_MS;
  if (!refreshing && now - view.fetchedAt >= VERDICT_TTL_MS) await refresh(env, channel, view);
  return providerOrder(configured, view.verdict ?? {}, Math.random());
}

/** Notes what a provider call came to; sent to ProviderHealth with this isolate's next refresh. */
export function noteCall(channel: Channel, provider: string, ok: boolean): void {
  const view = viewOf(channel);
  view.pending.push({ provider, ok, at: Date.now() });
  if (view.pending.length > MAX_PENDING) view.pending.splice(0, view.pending.length - MAX_PENDING);
}

/** Forgets this isolate's cached verdicts and unsent observations (tests). */
export function forgetHealthViews(): void {
  views.clear();
}
