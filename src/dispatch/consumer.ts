// The dispatch queue consumer: one dispatch attempt per message. The order's Durable Object decides
// whether there is anything to hand over; redelivery is always safe.
import { logError } from "../log";
import type { DispatchMessage } from "../orders/order-object";
import { dispatchShipment } from "./dispatch";

function isDispatchMessage(body: unknown): body is DispatchMessage {
  const b = body as Partial<DispatchMessage> | null;
  return typeof b?.orderRef === "string" && typeof b.shipmentId === "string";
}

export async function handleDispatchBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      if (!isDispatchMessage(message.body)) {
        logError("dispatch.malformed_message", "not a dispatch message", { id: message.id });
        message.ack();
        return;
      }
      try {
        await dispatchShipment(env, message.body);
        message.ack();
      } catch (error) {
        // Redelivery is safe: the claim makes a second hand-over impossible.
        logError("dispatch.failed", error, { shipmentId: message.body.shipmentId, attempt: message.attempts });
        message.retry({ delaySeconds: 1 });
      }
    }),
  );
}
