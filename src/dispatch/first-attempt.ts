// A new order and its first dispatch attempt, the one call an order route makes: the order registers
// (and, when the providers are known at once, claims the hand-over in the same call), then the attempt
// starts right after the answer, without the queue. The route only maps the outcome to HTTP.
import { logError } from "../log";
import { isOverloaded } from "../retry/overloaded";
import type { Order } from "../orders/order";
import { orderStub, orderStubByRef } from "../orders/order-key";
import type { DispatchMessage, ProviderChoice, RegisterOutcome, SendClaim } from "../orders/order-object";
import { dispatchesRightAway } from "../orders/registration";
import { providerFor, providerNames } from "../providers/choose";
import { knownHandOverOrder } from "../providers/failover/health-client";
import type { Channel } from "../status/statuses";
import { choiceOf, dispatchShipment, handOverClaimed, type Candidates, type HandOverResult } from "./dispatch";

/** What the request's handling lends the attempt: a way to outlive the answer, and the trace id its log lines carry. */
export interface RequestScope {
  waitUntil(work: Promise<unknown>): void;
  traceId: string | undefined;
  /** Told what the immediate attempt came to (a verification keeps which provider took its message). */
  handedOver?: (shipmentId: string, result: HandOverResult) => Promise<void>;
}

/**
 * Registers the order and, when it is new and the deployment dispatches on registration (the default,
 * DISPATCH_ON_REGISTRATION), starts its first attempt behind the answer. An order object that fails
 * (or cannot be reached) is `unavailable`: nothing was registered.
 */
export async function registerAndDispatch(env: Env, org: string, order: Order, scope: RequestScope): Promise<RegisterOutcome> {
  const { stub } = await orderStub(env, org, order);
  const rightAway = dispatchesRightAway(env);
  // With the providers known at once, the order claims the immediate attempt's hand-over in this call.
  const claimFor = rightAway ? claimOnRegistration(env, order.channel) : null;
  let outcome;
  try {
    outcome = await stub.register(org, order, claimFor?.choice);
  } catch (error) {
    logError("register.order_object_failed", error, { traceId: scope.traceId });
    return { kind: "unavailable", ...(isOverloaded(error) ? { overloaded: true as const } : {}) };
  }
  if (outcome.kind !== "created") return outcome;
  if (rightAway) {
    const message = { orderRef: stub.id.toString(), shipmentId: outcome.response.notification.shipmentId, channel: order.channel };
    // Without the registration's claim (providers not known at once, a final order), the attempt claims on its own.
    const claimed = outcome.claim && claimFor ? { claim: outcome.claim, candidates: claimFor.candidates } : undefined;
    const attempt = dispatchRightAway(env, message, claimed);
    const { handedOver } = scope;
    scope.waitUntil(handedOver ? attempt.then((result) => handedOver(message.shipmentId, result)) : attempt);
  }
  return { kind: "created", response: outcome.response };
}

/** What registration needs to claim the hand-over in its own call: the provider to name, and the ones to call. */
export interface ClaimOnRegistration {
  choice: ProviderChoice;
  candidates: Candidates;
}

/**
 * The providers for registration's own claim, when they are known without asking anything (see
 * knownHandOverOrder); null otherwise, and the immediate attempt claims on its own (dispatchRightAway).
 */
export function claimOnRegistration(env: Env, channel: Channel): ClaimOnRegistration | null {
  try {
    const names = knownHandOverOrder(channel, providerNames(env, channel));
    const choice = names && choiceOf(names);
    return choice ? { choice, candidates: names.map((name) => [name, providerFor(env, channel, name)]) } : null;
  } catch {
    return null; // a provider that cannot be set up: the usual attempt reports it
  }
}

/**
 * Registration's first attempt, right after the 201, without waiting for the queue (an OTP cannot wait
 * for a batch). When the providers were known, the registration's own call claimed the hand-over
 * (`claimed`): only the providers are called and the answer recorded. Otherwise this attempt claims.
 * Registration sent no queue message: the order's alarm, stored with it, is the durable path. If this
 * attempt fails or its isolate dies before it claims, the alarm enqueues a message
 * (src/orders/lifecycle.ts, `lostMessageWait`); a transient failure is retried the same way; the claim
 * keeps it to one hand-over; a claim whose answer never comes is settled as any expired claim.
 */
async function dispatchRightAway(env: Env, message: Required<DispatchMessage>, claimed?: { claim: SendClaim; candidates: Candidates }): Promise<HandOverResult> {
  // The 201 goes first: the hand-over starts on the event loop's next turn, once the answer is on its
  // way. Measured locally (one thread for everything), the 201 came about 1.3 ms sooner at the median;
  // the hand-over still starts within a millisecond of it (docs/benchmark.md).
  await scheduler.wait(0);
  try {
    if (claimed) return await handOverClaimed(env, orderStubByRef(env, message.orderRef), message.shipmentId, claimed.claim, claimed.candidates);
    return await dispatchShipment(env, message);
  } catch (error) {
    logError("dispatch.immediate_failed", error, { shipmentId: message.shipmentId });
    return null;
  }
}
