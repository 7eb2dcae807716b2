// The one path every delivery report takes into an order, once its sender is authenticated:
// Twilio's signed callbacks, Cloudflare's email events and the simulator's reports alike.
import { orderStubByRef, orderStubForShipment } from "../orders/order-key";
import type { ReportResult } from "../orders/order-object";
import type { ProviderOutcome } from "../providers/outcome";

export interface DeliveryReport {
  /** The order's Durable Object id, where the report carries it; else the shipment id finds the order. */
  orderRef?: string;
  shipmentId: string;
  outcome: ProviderOutcome;
  /** Identifies the report itself, so a repeated one is recognised. */
  dedupeKey: string;
  source: string;
  providerRef?: string;
}

export async function deliverReport(env: Env, report: DeliveryReport): Promise<ReportResult> {
  let stub;
  try {
    stub = report.orderRef ? orderStubByRef(env, report.orderRef) : orderStubForShipment(env, report.shipmentId);
  } catch {
    return { kind: "unknown" }; // not a Durable Object id of ours
  }
  return stub.report(report.shipmentId, report.outcome, report.dedupeKey, report.source, report.providerRef);
}
