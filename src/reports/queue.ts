// The provider-reports queue: reports that could not reach their order when they arrived. Each is
// retried into the order with growing delays; after the queue's retries it goes to its dead-letter queue.
import { backoff, type Backoff } from "../retry/backoff";
import { consume } from "../retry/queue-consumer";
import { deliverReport, type DeliveryReport } from "./deliver";

/** 2 s after the first attempt, then 4 s, 8 s, … 300 s. */
export const REPORT_RETRY: Backoff = { baseMs: 2_000, capMs: 300_000 };

function asDeliveryReport(body: unknown): DeliveryReport | null {
  const b = body as Partial<DeliveryReport> | null;
  const ok = typeof b?.shipmentId === "string" && typeof b.dedupeKey === "string" && typeof b.source === "string" && typeof b.outcome?.kind === "string";
  return ok ? (b as DeliveryReport) : null;
}

export function handleReportBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  return consume(batch, {
    events: { malformed: "report_queue.malformed", failed: "report_queue.order_failed" },
    parse: asDeliveryReport,
    // Applied, recorded, duplicate or unknown: all done.
    handle: async (report) => void (await deliverReport(env, report)),
    logFields: ({ shipmentId }) => ({ shipmentId }),
    retryDelaySeconds: (attempts) => backoff(REPORT_RETRY, attempts - 1) / 1000,
  });
}
