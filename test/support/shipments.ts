// One shipment from a test: its id once registered, what the API and D1 show of it, and bounded waits
// for the pipeline (it runs in the background through real queues).
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { shipmentIdFor } from "../../src/orders/order-key";
import { database, shardOf } from "../../src/store/shards";
import { call } from "./api";
import { syncToD1 } from "./order";

/** The shipment id a registration answered with; fails (showing the body) unless it answered 201. */
export async function shipmentIdOf(response: Response): Promise<string> {
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return (JSON.parse(text) as { notification: { shipmentId: string } }).notification.shipmentId;
}

/**
 * Waits (bounded, with vi.waitFor) until `done` holds for what `probe` returns, and returns that value;
 * on timeout it fails naming `what` and the last value seen.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 20, what = "the condition" }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe();
      if (!done(value)) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}

export interface ShipmentBody {
  shipmentId: string;
  status: string;
  lastUpdate: string;
  recipients: { type: string; destination: string; status: string; lastUpdate: string }[];
}

/** What a client sees: GET /future/shipment/{id}. */
export async function readShipmentAs(org: string, shipmentId: string): Promise<ShipmentBody> {
  const response = await call("GET", `/future/shipment/${shipmentId}`, undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as ShipmentBody;
}

/** Waits for the manifest until `done` holds (bounded). */
export function waitForShipment(shipmentId: string, done: (s: ShipmentBody) => boolean, { org = "ttd", timeoutMs = 8000 } = {}): Promise<ShipmentBody> {
  return eventually(() => readShipmentAs(org, shipmentId), done, { timeoutMs, intervalMs: 25, what: `shipment ${shipmentId}` });
}

export interface ShipmentState {
  status: string;
  recipientStatus: string;
}

/** The shipment's and its recipient's status, as GET /future/shipment/{id} shows them. */
export async function shipmentState(shipmentId: string): Promise<ShipmentState> {
  const body = await readShipmentAs("ttd", shipmentId);
  return { status: body.status, recipientStatus: body.recipients[0]!.status };
}

/** Waits for the API to show the recipient with `recipientStatus` (bounded). */
export function waitForRecipientStatus(shipmentId: string, recipientStatus: string, timeoutMs = 5_000): Promise<ShipmentState> {
  return eventually(() => shipmentState(shipmentId), (s) => s.recipientStatus === recipientStatus, {
    timeoutMs,
    what: `shipment ${shipmentId} to reach ${recipientStatus}`,
  });
}

/** The D1 shard that holds an organisation's rows. */
export async function shardDb(org = "ttd"): Promise<D1Database> {
  return database(env, await shardOf(env, org));
}

/** Rows D1 holds for a key once it has caught up: registration must leave either one full set or nothing. */
export async function rowsForKey(org: string, idempotencyId: string) {
  await syncToD1(await shipmentIdFor(org, idempotencyId));
  const db = await shardDb(org);
  const shipments = await db.prepare("SELECT shipment_id FROM shipments WHERE org = ? AND idempotency_id = ?").bind(org, idempotencyId).all<{ shipment_id: string }>();
  const ids = shipments.results.map((r) => r.shipment_id);
  const count = async (table: string) =>
    ids.length === 0
      ? 0
      : ((await db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE shipment_id IN (${ids.map(() => "?").join(",")})`).bind(...ids).first<{ n: number }>())?.n ?? 0);
  return { shipments: ids.length, recipients: await count("recipients"), events: await count("status_events") };
}

/** The audit trail D1 holds for a shipment (synced from the order object in the background). */
export async function d1Events(shipmentId: string) {
  const { results } = await env.DB.prepare("SELECT event_seq, status, applied, source, detail FROM status_events WHERE shipment_id = ? ORDER BY event_seq")
    .bind(shipmentId)
    .all<{ event_seq: number; status: string; applied: number; source: string; detail: string | null }>();
  return results;
}
