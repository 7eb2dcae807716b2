// Reaching into one order's Durable Object (and the simulator's), for the tests that must move time or
// see what it stores.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { orderIdForShipment, orderStubForShipment } from "../../src/orders/order-key";
import { shardNames, shardWriter } from "../../src/store/shards";

/** The reference a dispatch message carries: the order's Durable Object id, named as the service names it. */
export async function orderRefOf(shipmentId: string): Promise<string> {
  return orderIdForShipment(env, shipmentId).toString();
}

export async function orderObjectOf(shipmentId: string) {
  return orderStubForShipment(env, shipmentId);
}

/** Lets D1 catch up with the order: its changes to the shard writer, and every writer's to D1. */
export async function syncToD1(shipmentId?: string) {
  if (shipmentId) await orderStubForShipment(env, shipmentId).syncNow();
  for (const shard of shardNames(env)) await shardWriter(env, shard).flush();
}

/** The order's own stored state (its SQLite row). */
export async function storedOrder(shipmentId: string): Promise<Record<string, unknown>> {
  const stub = await orderObjectOf(shipmentId);
  return runInDurableObject(
    stub,
    (_instance, state) => state.storage.sql.exec("SELECT s.*, c.body AS content FROM shipment s LEFT JOIN content c ON c.id = s.id").one() as Record<string, unknown>,
  );
}

/** Moves the order's clock: shifts the named time columns by `ms` (negative = into the past). */
export async function shiftOrderTimes(shipmentId: string, columns: ("deadline" | "dispatch_at" | "claim_until" | "created_at")[], ms: number) {
  const stub = await orderObjectOf(shipmentId);
  await runInDurableObject(stub, (_instance, state) => {
    for (const column of columns) state.storage.sql.exec(`UPDATE shipment SET ${column} = ${column} + ?`, ms);
  });
}

/** Runs the order's alarm now (if one is set) and reports whether it ran. */
export async function fireAlarm(shipmentId: string): Promise<boolean> {
  return runDurableObjectAlarm(await orderObjectOf(shipmentId));
}

export async function simulatorHandovers(shipmentId: string): Promise<number> {
  const stub = env.SIMULATOR.get(env.SIMULATOR.idFromName("simulator"));
  return runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM handovers WHERE shipment_id = ?", shipmentId).one().n);
}

export async function simulatorAttempts(shipmentId: string): Promise<number> {
  const stub = env.SIMULATOR.get(env.SIMULATOR.idFromName("simulator"));
  return runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ count: number }>("SELECT count FROM attempts WHERE shipment_id = ?", shipmentId).toArray()[0]?.count ?? 0);
}

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
