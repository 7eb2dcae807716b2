// Cloudflare Email Service delivery events (from its event queue) into the orders. The event queue is
// durable itself: an event that cannot reach its order yet is retried from there.
import { mapEmailEvent } from "../providers/cloudflare-email/status-map";
import { findByProviderRef } from "../store/shipments";
import { deliverReport } from "./deliver";
import { logError } from "../log";

/** An event can overtake the recording of its message id; give it this many tries to find its order. */
const MAX_LOOKUP_ATTEMPTS = 5;

export async function handleEmailEventBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const event = mapEmailEvent(message.body);
      if (!event) {
        logError("email_event.malformed", "not an email sending event", { id: message.id });
        message.ack();
        return;
      }
      try {
        const target = await findByProviderRef(env, event.messageId);
        if (!target) {
          if (message.attempts < MAX_LOOKUP_ATTEMPTS) message.retry({ delaySeconds: 2 ** message.attempts });
          else {
            logError("email_event.unmatched", "no shipment has this message id", { eventId: event.eventId, type: event.eventType });
            message.ack();
          }
          return;
        }
        await deliverReport(env, {
          ...target,
          outcome: event.outcome,
          dedupeKey: `cf-email:${event.eventId}`,
          source: `cloudflare ${event.eventType}`,
          providerRef: event.messageId,
        });
        message.ack();
      } catch (error) {
        logError("email_event.failed", error, { eventId: event.eventId });
        message.retry({ delaySeconds: 2 });
      }
    }),
  );
}
