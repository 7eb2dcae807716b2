// The one path every delivery report takes into an order, once its sender is authenticated: Twilio's
// signed callbacks, LINK Mobility's delivery reports, Azure's Event Grid events, Cloudflare's email
// events and the simulator's reports alike. A report is routed by its shipment id (no D1 lookup).
import { log, logError } from "../log";
import { orderStubByRef, orderStubForShipment } from "../orders/order-key";
import type { ReportResult } from "../orders/order-object";
import { noteFinalReport } from "../providers/failover/health-client";
import type { ProviderOutcome } from "../providers/outcome";
import { backoff } from "../retry/backoff";
import { isOverloaded, OVERLOADED_QUEUE_RETRY } from "../retry/overloaded";
import { isUuid } from "../encoding/uuid";

/** A report whose order was overloaded reaches the queue with the overloaded backoff's first wait. */
const OVERLOADED_REPORT_DELAY_SECONDS = backoff(OVERLOADED_QUEUE_RETRY, 0) / 1000;

export interface DeliveryReport {
  /** The order's Durable Object id, where the report carries it; else the shipment id finds the order. */
  orderRef?: string;
  shipmentId: string;
  outcome: ProviderOutcome;
  /** Identifies the report itself, so a repeated one is recognised. */
  dedupeKey: string;
  source: string;
  providerRef?: string;
  /** The SMS provider that sent it: its final reports feed the slow-delivery rule (src/providers/failover/). */
  smsProvider?: string;
}


export async function deliverReport(env: Env, report: DeliveryReport): Promise<ReportResult> {
  if (!isUuid(report.shipmentId)) return { kind: "unknown" }; // no shipment of ours: wake no object for it
  let stub;
  try {
    stub = report.orderRef ? orderStubByRef(env, report.orderRef) : orderStubForShipment(env, report.shipmentId);
  } catch {
    return { kind: "unknown" }; // not a Durable Object id of ours
  }
  const result = await stub.report(report.shipmentId, report.outcome, report.dedupeKey, report.source, report.providerRef);
  if (report.smsProvider && report.outcome.kind === "final" && result.kind !== "unknown") await noteFinalReport(env, report.smsProvider, report.shipmentId);
  return result;
}

/** What became of a report: applied into the order (in any way), or put on the provider-reports queue. */
export type Acceptance = ReportResult["kind"] | "queued";

/** Neither the order nor the queue took the report: the provider must send it again. */
export class ReportNotDurable extends Error {
  override readonly name = "ReportNotDurable";
}

/**
 * Makes a report durable before the provider is answered 2xx: into the order at once, or, when the
 * order cannot be reached, onto the provider-reports queue, whose consumer retries it into the order.
 * Throws ReportNotDurable when both fail, so the caller answers with a status the provider retries.
 * Duplicates and reports for unknown messages are answered 2xx too (the provider cannot fix them): logged at info.
 */
export async function acceptReport(env: Env, report: DeliveryReport): Promise<Acceptance> {
  let result: ReportResult;
  try {
    result = await deliverReport(env, report);
  } catch (orderError) {
    logError("report.order_failed", orderError, { shipmentId: report.shipmentId, source: report.source });
    try {
      // An overloaded order is not asked again at once: the queued report waits (src/retry/overloaded.ts).
      await env.PROVIDER_REPORTS.send(report, { contentType: "json", ...(isOverloaded(orderError) ? { delaySeconds: OVERLOADED_REPORT_DELAY_SECONDS } : {}) });
    } catch (queueError) {
      logError("report.queue_failed", queueError, { shipmentId: report.shipmentId, source: report.source });
      throw new ReportNotDurable("the report reached neither its order nor the report queue");
    }
    log("report.queued", { shipmentId: report.shipmentId, source: report.source });
    return "queued";
  }
  if (result.kind === "duplicate" || result.kind === "unknown") log(`report.${result.kind}`, { shipmentId: report.shipmentId, source: report.source });
  return result.kind;
}
