// The provider-reports queue: reports that could not reach their order when they arrived. Each is
// retried into the order with growing delays; after the queue's retries it goes to its dead-letter queue.
import { logError } from "../log";
import { deliverReport, type DeliveryReport } from "./deliver";

const MAX_DELAY_SECONDS = 300;

function isDeliveryReport(body: unknown): body is DeliveryReport {
  const b = body as Partial<DeliveryReport> | null;
  return typeof b?.shipmentId === "string" && typeof b.dedupeKey === "string" && typeof b.source === "string" && typeof b.outcome?.kind === "string";
}

export async function handleReportBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      if (!isDeliveryReport(message.body)) {
        logError("report_queue.malformed", "not a delivery report", { id: message.id });
        message.ack();
        return;
      }
      try {
        await deliverReport(env, message.body); // applied, recorded, duplicate or unknown: all done
        message.ack();
      } catch (error) {
        logError("report_queue.order_failed", error, { shipmentId: message.body.shipmentId, attempt: message.attempts });
        message.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, 2 ** message.attempts) });
      }
    }),
  );
}
