// The dispatch queue consumer: one dispatch attempt per message. The order's Durable Object decides
// whether there is anything to hand over; redelivery is always safe.
import type { DispatchMessage } from "../orders/order-object";
import { consume } from "../retry/queue-consumer";
import { dispatchShipment } from "./dispatch";

function asDispatchMessage(body: unknown): DispatchMessage | null {
  const b = body as Partial<DispatchMessage> | null;
  return typeof b?.orderRef === "string" && typeof b.shipmentId === "string" ? (b as DispatchMessage) : null;
}

export function handleDispatchBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  return consume(batch, {
    events: { malformed: "dispatch.malformed_message", failed: "dispatch.failed" },
    parse: asDispatchMessage,
    handle: async (message) => {
      await dispatchShipment(env, message);
    },
    logFields: ({ shipmentId }) => ({ shipmentId }),
    // Redelivery is safe: the claim makes a second hand-over impossible.
    retryDelaySeconds: () => 1,
  });
}
