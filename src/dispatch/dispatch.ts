// One dispatch attempt: claim the hand-over from the order, call the provider under the deadline,
// record the answer. The queue consumer runs it for every message; registration runs it at once too.
import { logError } from "../log";
import { orderStubByRef } from "../orders/order-key";
import type { DispatchMessage } from "../orders/order-object";
import type { ProviderOutcome } from "../providers/outcome";
import { providerFor, providerNames } from "../providers/choose";

export async function dispatchShipment(env: Env, { orderRef, shipmentId }: DispatchMessage): Promise<void> {
  const order = orderStubByRef(env, orderRef);
  const claim = await order.claim(shipmentId);
  if (claim.kind !== "send") return;
  let provider;
  try {
    provider = providerFor(env, claim.message.channel, providerNames(env, claim.message.channel)[0] ?? "");
  } catch (error) {
    await order.release(shipmentId, claim.claimId); // nothing was handed over
    throw error;
  }
  const outcome = await provider.send(claim.message, AbortSignal.timeout(claim.timeoutMs));
  await recordWithRetry(order, shipmentId, claim.claimId, outcome);
}

/**
 * Registration's first attempt, right after the 201, without waiting for the queue (an OTP cannot wait
 * for a batch). The queue message stays the durable path: if this attempt fails or its isolate dies,
 * the consumer or the alarm carries on, and the claim keeps it to one hand-over.
 */
export async function dispatchRightAway(env: Env, message: DispatchMessage): Promise<void> {
  try {
    await dispatchShipment(env, message);
  } catch (error) {
    logError("dispatch.immediate_failed", error, { shipmentId: message.shipmentId });
  }
}

/** The provider has answered: losing that answer would leave the order in doubt, so try a little harder. */
async function recordWithRetry(order: ReturnType<typeof orderStubByRef>, shipmentId: string, claimId: string, outcome: ProviderOutcome) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await order.record(shipmentId, claimId, outcome);
    } catch (error) {
      if (attempt >= 3) throw error;
      await scheduler.wait(50 * attempt);
    }
  }
}
