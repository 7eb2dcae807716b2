// A dispatcher's view of provider health: the ProviderHealth verdict, cached in this isolate for about
// a second, and the outcomes this isolate saw, sent along with the next refresh. Only the one hand-over
// that finds the verdict stale waits for the Durable Object (bounded); the others use the cached one.
// (The refresh is awaited, not left running: work a request leaves behind may be cancelled with it.)
// SMS acceptances and final reports (for the slow-delivery rule) ride along the same way: a report
// receiver flushes them on the same cadence, so neither adds a Durable Object request per shipment.
import { logError } from "../../log";
import { boundedBy } from "../http";
import { smsProviderNames } from "../names";
import type { Channel } from "../../status/statuses";
import type { ProviderOutage } from "../outcome";
import type { Observation } from "./breaker";
import { healthStub, type DeliveryNote } from "./provider-health";
import { handOverSequence, type HealthVerdict } from "./selection";

const VERDICT_TTL_MS = 1_000;
/** How long a hand-over waits for a fresh verdict before it goes on with the one it has. */
const REFRESH_TIMEOUT_MS = 500;
/** A refresh that has not come back by then is taken as lost (its request may have ended). */
const REFRESH_STUCK_MS = 5_000;
const MAX_PENDING = 1_000;

interface View {
  verdict: HealthVerdict | null;
  fetchedAt: number;
  pending: Observation[];
  deliveries: DeliveryNote[];
  refreshingSince: number | null;
}

// Plain data only: workerd does not let one request use another's I/O objects (promises, stubs).
const views = new Map<Channel, View>();

function viewOf(channel: Channel): View {
  let view = views.get(channel);
  if (!view) views.set(channel, (view = { verdict: null, fetchedAt: 0, pending: [], deliveries: [], refreshingSince: null }));
  return view;
}

async function refresh(env: Env, channel: Channel, view: View): Promise<void> {
  const sent = view.pending.splice(0);
  const sentDeliveries = view.deliveries.splice(0);
  view.refreshingSince = Date.now();
  try {
    view.verdict = await boundedBy(healthStub(env, channel).exchange(sent, sentDeliveries), AbortSignal.timeout(REFRESH_TIMEOUT_MS));
    view.fetchedAt = Date.now();
  } catch (error) {
    view.pending.unshift(...sent.slice(-(MAX_PENDING - view.pending.length)));
    view.deliveries.unshift(...sentDeliveries.slice(-(MAX_PENDING - view.deliveries.length)));
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
  await refreshIfStale(env, channel, view);
  return handOverSequence(configured, view.verdict ?? {}, { circuit: Math.random(), slow: Math.random() });
}

/**
 * The hand-over order when it is known without asking the Durable Object (one provider, or a verdict
 * fetched within the last second), so registration can claim at once; null when a hand-over must ask
 * first (handOverOrder).
 */
export function knownHandOverOrder(channel: Channel, configured: readonly string[]): string[] | null {
  if (configured.length <= 1) return [...configured];
  const view = views.get(channel);
  if (!view?.verdict || Date.now() - view.fetchedAt >= VERDICT_TTL_MS) return null;
  return handOverSequence(configured, view.verdict, { circuit: Math.random(), slow: Math.random() });
}

async function refreshIfStale(env: Env, channel: Channel, view: View): Promise<void> {
  const now = Date.now();
  const refreshing = view.refreshingSince !== null && now - view.refreshingSince < REFRESH_STUCK_MS;
  if (!refreshing && now - view.fetchedAt >= VERDICT_TTL_MS) await refresh(env, channel, view);
}

/** Failover (and so the slow rule) needs more than one SMS provider; with one, nothing is noted. */
function judgesDelivery(env: Pick<Env, "SMS_PROVIDERS">, channel: Channel): boolean {
  return channel === "sms" && smsProviderNames(env).length > 1;
}

function pushDelivery(view: View, note: DeliveryNote): void {
  view.deliveries.push(note);
  if (view.deliveries.length > MAX_PENDING) view.deliveries.splice(0, view.deliveries.length - MAX_PENDING);
}

/** Who sent an accepted hand-over, for the slow rule: it counts organisations, and never sandbox recipients. */
export interface AcceptedBy {
  /** Undefined when the claim came from an order object of an earlier version (one unknown organisation). */
  organisation: string | undefined;
  sandbox: boolean;
}

/** Notes that a provider accepted an SMS; sent with this isolate's next refresh (the next hand-over's). */
export function noteAccepted(env: Pick<Env, "SMS_PROVIDERS">, channel: Channel, provider: string, shipmentId: string, { organisation, sandbox }: AcceptedBy): void {
  if (!judgesDelivery(env, channel)) return;
  pushDelivery(viewOf(channel), { kind: "accepted", provider, shipmentId, at: Date.now(), ...(organisation !== undefined ? { organisation } : {}), sandbox });
}

/**
 * Notes that an SMS provider's final report came, and sends what this isolate has noted when its
 * last exchange is about a second old (a report receiver may dispatch nothing, so it flushes too).
 */
export async function noteFinalReport(env: Env, provider: string, shipmentId: string): Promise<void> {
  if (!judgesDelivery(env, "sms")) return;
  const view = viewOf("sms");
  pushDelivery(view, { kind: "reported", provider, shipmentId, at: Date.now() });
  await refreshIfStale(env, "sms", view);
}

/**
 * Notes that an SMS is known to have arrived without its report (its one-time code was typed): sent with
 * this isolate's next refresh (its next hand-over's), costing no call of its own.
 */
export function noteArrived(env: Pick<Env, "SMS_PROVIDERS">, provider: string, shipmentId: string): void {
  if (!judgesDelivery(env, "sms")) return;
  pushDelivery(viewOf("sms"), { kind: "reported", provider, shipmentId, at: Date.now() });
}

/** Notes what a provider call came to (and the outage it told of); sent to ProviderHealth with this isolate's next refresh. */
export function noteCall(channel: Channel, provider: string, ok: boolean, outage?: ProviderOutage): void {
  const view = viewOf(channel);
  view.pending.push({ provider, ok: ok && !outage, at: Date.now(), ...(outage ? { outage } : {}) });
  if (view.pending.length > MAX_PENDING) view.pending.splice(0, view.pending.length - MAX_PENDING);
}

/**
 * Sends what this isolate has noted when its last exchange is about a second old, whatever the number of
 * providers: an outage must reach the page even where a single provider never asks for a verdict.
 */
export async function flushHealthNotes(env: Env, channel: Channel): Promise<void> {
  await refreshIfStale(env, channel, viewOf(channel));
}

/** Makes this isolate's cached verdicts stale, so the next hand-over refreshes them (tests; nothing noted is lost). */
export function expireHealthViews(): void {
  for (const view of views.values()) view.fetchedAt = 0;
}

/** Forgets this isolate's cached verdicts and unsent observations (tests). */
export function forgetHealthViews(): void {
  views.clear();
}
