// Cloudflare Email Service delivery events (from its event queue) into the orders. The event queue is
// durable itself: an event that cannot reach its order yet is retried from there.
import { mapEmailEvent } from "../providers/cloudflare-email/status-map";
import { backoff, type Backoff } from "../retry/backoff";
import { consume } from "../retry/queue-consumer";
import { findByProviderRef } from "../store/shipments";
import { deliverReport } from "./deliver";
import { logError } from "../log";

/** An event can overtake the recording of its message id; give it this many tries to find its order. */
const MAX_LOOKUP_ATTEMPTS = 5;
/** Waits for the order to be found: 2 s after the first try, then 4 s, 8 s, 16 s. */
export const LOOKUP_RETRY: Backoff = { baseMs: 2_000, capMs: 16_000 };

export function handleEmailEventBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  return consume(batch, {
    events: { malformed: "email_event.malformed", failed: "email_event.failed" },
    parse: mapEmailEvent,
    async handle(event, attempts) {
      const target = await findByProviderRef(env, event.messageId);
      if (!target) {
        if (attempts < MAX_LOOKUP_ATTEMPTS) return { retryAfterSeconds: backoff(LOOKUP_RETRY, attempts - 1) / 1000 };
        logError("email_event.unmatched", "no shipment has this message id", { eventId: event.eventId, type: event.eventType });
        return;
      }
      await deliverReport(env, {
        ...target,
        outcome: event.outcome,
        dedupeKey: `cf-email:${event.eventId}`,
        source: `cloudflare ${event.eventType}`,
        providerRef: event.messageId,
      });
    },
    logFields: ({ eventId }) => ({ eventId }),
    retryDelaySeconds: () => 2,
  });
}
