// Shared test support: bounded polling and read-only views of one shipment (API, D1 and its order object).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { call } from "../helpers";
import { orderObjectOf } from "../pipeline/order-control";

/**
 * Polls `probe` until `done` holds, every `intervalMs`, for at most `timeoutMs`; fails with the last
 * value seen. Never sleeps longer than one interval past the moment the condition holds.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 20, what = "the condition" }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - start >= timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface ShipmentState {
  status: string;
  recipientStatus: string;
}

/** What a client sees: GET /future/shipment/{id}. */
export async function shipmentState(shipmentId: string): Promise<ShipmentState> {
  const response = await call("GET", `/future/shipment/${shipmentId}`);
  if (response.status !== 200) throw new Error(`GET shipment answered ${response.status}`);
  const body = (await response.json()) as { status: string; recipients: { status: string }[] };
  return { status: body.status, recipientStatus: body.recipients[0]!.status };
}

/** Polls the API until the recipient has `recipientStatus` (bounded). */
export function waitForRecipientStatus(shipmentId: string, recipientStatus: string, timeoutMs = 5_000): Promise<ShipmentState> {
  return eventually(() => shipmentState(shipmentId), (s) => s.recipientStatus === recipientStatus, {
    timeoutMs,
    what: `shipment ${shipmentId} to reach ${recipientStatus}`,
  });
}

export async function shipmentIdOf(response: Response): Promise<string> {
  if (response.status !== 201) throw new Error(`expected 201, got ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { notification: { shipmentId: string } }).notification.shipmentId;
}

export { orderObjectOf as orderStubOf, orderRefOf } from "../pipeline/order-control";

export interface OrderRow {
  status: string;
  handover: string;
  attempts: number;
  deadline: number;
  provider_ref: string | null;
}

export interface OrderEvent {
  seq: number;
  status: string;
  applied: number;
  source: string;
  detail: string | null;
}

/** The order object's own view (authoritative and immediate, unlike D1 which it syncs in the background). */
export async function orderState(shipmentId: string): Promise<{ row: OrderRow; events: OrderEvent[]; seenReports: number }> {
  return runInDurableObject(await orderObjectOf(shipmentId), (_instance, state) => {
    const sql = state.storage.sql;
    return {
      row: sql.exec("SELECT status, handover, attempts, deadline, provider_ref FROM shipment WHERE id = 1").one() as unknown as OrderRow,
      events: sql.exec("SELECT seq, status, applied, source, detail FROM events ORDER BY seq").toArray() as unknown as OrderEvent[],
      seenReports: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seen_reports").one().n,
    };
  });
}

/** The audit trail D1 holds for a shipment (synced from the order object in the background). */
export async function d1Events(shipmentId: string) {
  const { results } = await env.DB.prepare("SELECT event_seq, status, applied, source, detail FROM status_events WHERE shipment_id = ? ORDER BY event_seq")
    .bind(shipmentId)
    .all<{ event_seq: number; status: string; applied: number; source: string; detail: string | null }>();
  return results;
}
