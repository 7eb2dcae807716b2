// One dispatch attempt: claim the hand-over from the order, call the providers under the deadline,
// record the answer. The queue consumer runs it for every message; registration's first attempt
// (first-attempt.ts) runs it at once too.
import { log, logError } from "../log";
import { orderStubByRef } from "../orders/order-key";
import type { DispatchMessage, ProviderChoice, SendClaim } from "../orders/order-object";
import { isSenderRefusal, outageOf, type ProviderOutcome } from "../providers/outcome";
import { honoursIdempotencyKey, providerFor, providerNames } from "../providers/choose";
import { healthyCall } from "../providers/failover/breaker";
import { flushHealthNotes, handOverOrder, noteAccepted, noteCall } from "../providers/failover/health-client";
import type { Provider } from "../providers/provider";
import { isSandboxRecipient } from "../providers/simulator/sandbox";
import { backoff, type Backoff } from "../retry/backoff";
import { isOverloaded } from "../retry/overloaded";
import { withTextPart } from "../providers/text-part";
import type { Channel } from "../status/statuses";

/** The next provider is tried only with this much of the call's time left (or half of it, if less). */
const MIN_FAILOVER_MS = 1_000;

/** What one attempt came to: the provider that answered last, and its answer (null: nothing was handed over). */
export type HandOverResult = { provider: string; outcome: ProviderOutcome } | null;

export async function dispatchShipment(env: Env, { orderRef, shipmentId, channel }: DispatchMessage): Promise<HandOverResult> {
  const order = orderStubByRef(env, orderRef);
  // The providers are decided before the claim, which names the first (messages of older versions carry
  // no channel: their claim names none). A deployment that has no usable provider fails the shipment at
  // once with a clear status: nothing was sent, so it never counts as "maybe sent". A hand-over in doubt
  // at a provider that honours our key is pinned to it: then only that provider is asked again.
  let candidates: [string, Provider][] = [];
  if (channel) {
    const usable = await usableProviders(env, channel);
    if (!usable.ok) {
      await order.refuse(shipmentId, usable.reason);
      return null;
    }
    candidates = usable.candidates;
  }
  let claim = await order.claim(shipmentId, choiceOf(candidates.map(([name]) => name)));
  if (claim.kind === "skip" && claim.pinnedTo) {
    candidates = [[claim.pinnedTo, providerFor(env, channel!, claim.pinnedTo)]];
    claim = await order.claim(shipmentId, choiceOf([claim.pinnedTo]));
  }
  if (claim.kind !== "send") return null;
  if (candidates.length === 0) {
    const usable = await usableProviders(env, claim.message.channel);
    if (!usable.ok) {
      await order.release(shipmentId, claim.claimId); // nothing was handed over
      throw new Error(usable.reason);
    }
    candidates = usable.candidates;
  }
  return handOverClaimed(env, order, shipmentId, claim, candidates);
}

type OrderStub = ReturnType<typeof orderStubByRef>;
export type Candidates = readonly [string, Provider][];

/** A claimed hand-over: the providers called in order, and what they answered recorded. */
export async function handOverClaimed(env: Env, order: OrderStub, shipmentId: string, claim: SendClaim, candidates: Candidates): Promise<HandOverResult> {
  const { provider, outcome } = await handOver(claim, candidates);
  if (outcome.kind === "accepted") {
    // For the slow-delivery rule, which counts organisations and never the sandbox recipients.
    const { channel, to } = claim.message;
    noteAccepted(env, channel, provider, shipmentId, { organisation: claim.org, sandbox: isSandboxRecipient(channel, to) });
  }
  await recordWithRetry(order, shipmentId, claim.claimId, outcome, provider);
  // An outage (a used-up daily quota) reaches the provider's health, and so the page, even with one provider.
  if (outageOf(outcome)) await flushHealthNotes(env, claim.message.channel);
  return { provider, outcome };
}

/** The channel's providers in hand-over order, each ready to call, or why none can be. */
async function usableProviders(env: Env, channel: Channel): Promise<{ ok: true; candidates: [string, Provider][] } | { ok: false; reason: string }> {
  try {
    const names = await handOverOrder(env, channel, providerNames(env, channel));
    if (names.length === 0) throw new Error(`no ${channel} provider is configured`);
    return { ok: true, candidates: names.map((name) => [name, providerFor(env, channel, name)]) };
  } catch (error) {
    logError("dispatch.no_usable_provider", error, { channel });
    return { ok: false, reason: `no usable ${channel === "sms" ? "SMS" : "email"} provider is configured (${error instanceof Error ? error.message : String(error)}); nothing was sent` };
  }
}

/**
 * The claim names the first provider. It may be asked again with the same key after a crash only when
 * it honours the key and no other provider can take over under this claim (failover would make the
 * first provider's name wrong for the call in flight).
 */
export function choiceOf(names: readonly string[]): ProviderChoice | undefined {
  const first = names[0];
  return first === undefined ? undefined : { name: first, idempotent: names.length === 1 && honoursIdempotencyKey(first) };
}

/**
 * Tries the providers in order under the claim's one timeout, until one gives an answer that settles
 * the hand-over. Only a transient failure (nothing happened at that provider) moves on to the next; an
 * acceptance, a refusal, and a call whose answer was lost (it may have been accepted) end it, so a
 * message is never handed to two providers. Each call carries the lifetime left at that moment.
 */
export async function handOver(claim: SendClaim, candidates: Candidates): Promise<{ provider: string; outcome: ProviderOutcome }> {
  const message = withTextPart(claim.message); // an HTML email's text part, made here from the opened body
  const start = Date.now();
  const signal = AbortSignal.timeout(claim.timeoutMs);
  const budgetEnd = start + claim.timeoutMs;
  // The deadline itself, so a later call never carries more lifetime than an earlier one (a claim of an
  // older version has only the whole seconds left at the claim: never later than the deadline).
  const lifetimeEnd = claim.deadline ?? start + claim.message.validitySeconds * 1000;
  const failures: string[] = [];
  let last: { provider: string; outcome: ProviderOutcome } | null = null;
  for (const [name, provider] of candidates) {
    const now = Date.now();
    const validitySeconds = Math.floor((lifetimeEnd - now) / 1000);
    if (last && (budgetEnd - now < Math.min(MIN_FAILOVER_MS, claim.timeoutMs / 2) || validitySeconds < 1)) break;
    const outcome = await provider.send({ ...message, validitySeconds: Math.max(1, validitySeconds) }, signal);
    // A refused sender says nothing of the provider's health: it counts neither way.
    // A used-up daily quota is the provider's outage (noteCall counts it so).
    if (!isSenderRefusal(outcome)) noteCall(claim.message.channel, name, healthyCall(outcome.kind, Date.now() - now), outageOf(outcome));
    last = { provider: name, outcome };
    if (outcome.kind !== "transient") break;
    failures.push(`${name}: ${outcome.detail ?? "transient"}`);
  }
  if (!last) throw new Error("no provider to hand over to");
  if (failures.length > 1 && last.outcome.kind === "transient") {
    last = { ...last, outcome: { ...last.outcome, detail: failures.join("; ") } };
  } else if (failures.length > 0) {
    log("dispatch.failover", { shipmentId: claim.message.shipmentId, to: last.provider, after: failures });
  }
  return last;
}

/** Recording retries: 50 ms, then 100 ms (three tries in all). */
export const RECORD_RETRY: Backoff = { baseMs: 50, capMs: 100 };

/**
 * The provider has answered: losing that answer would leave the order in doubt, so try a little harder,
 * but never at an overloaded order object (retrying adds to its load): then the claim's expiry and the
 * queue's delayed retry recover it.
 */
async function recordWithRetry(order: OrderStub, shipmentId: string, claimId: string, outcome: ProviderOutcome, provider: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await order.record(shipmentId, claimId, outcome, provider);
    } catch (error) {
      if (attempt >= 3 || isOverloaded(error)) throw error;
      await scheduler.wait(backoff(RECORD_RETRY, attempt - 1));
    }
  }
}
