// The dispatch queue consumer: claim the hand-over from the order, call the provider under the
// deadline, record the answer. The order's Durable Object decides; this stays thin.
import { orderStubByRef } from "../orders/order-key";
import type { DispatchMessage } from "../orders/order-object";
import type { ProviderOutcome } from "../providers/outcome";
import { providerFor } from "../providers/choose";
import { logError } from "../log";

function isDispatchMessage(body: unknown): body is DispatchMessage {
  const b = body as Partial<DispatchMessage> | null;
  return typeof b?.orderRef === "string" && typeof b.shipmentId === "string";
}

export async function handleDispatchBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(batch.messages.map((message) => dispatchOne(env, message)));
}

async function dispatchOne(env: Env, message: Message<unknown>): Promise<void> {
  if (!isDispatchMessage(message.body)) {
    logError("dispatch.malformed_message", "not a dispatch message", { id: message.id });
    message.ack();
    return;
  }
  const { orderRef, shipmentId } = message.body;
  try {
    const order = orderStubByRef(env, orderRef);
    const claim = await order.claim(shipmentId);
    if (claim.kind === "send") {
      let provider;
      try {
        provider = providerFor(env, claim.message.channel);
      } catch (error) {
        await order.release(shipmentId, claim.claimId); // nothing was handed over
        throw error;
      }
      const outcome = await provider.send(claim.message, AbortSignal.timeout(claim.timeoutMs));
      await recordWithRetry(order, shipmentId, claim.claimId, outcome);
    }
    message.ack();
  } catch (error) {
    // Redelivery is safe: the claim makes a second hand-over impossible.
    logError("dispatch.failed", error, { shipmentId, attempt: message.attempts });
    message.retry({ delaySeconds: 1 });
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
