// How an order is found. The shipment id is derived from (organisation, idempotencyId), and the order's
// Durable Object is named by the shipment id, so both the registration (by key) and every later step
// that knows only the shipment id (a read, a queue message, a provider report) reach the same object
// without asking D1 (docs/order-lifecycle.md).
import { objectById, objectByName, objectIdByName } from "../config/durable-objects";
import type { Order } from "./order";

/**
 * The shipment id of (org, idempotencyId): a UUID (version 4 layout) from SHA-256 of the pair. It is
 * stable by design: the key must lead to the same object for as long as the order is kept, whatever
 * secret is rotated. After the retention period a reused key therefore gets the same id again.
 */
export async function shipmentIdFor(org: string, idempotencyId: string): Promise<string> {
  return uuidOf(["shipment", org, idempotencyId]);
}

/**
 * The shipment id of an order: by its key, or, for a verification's message, in the verification's
 * own scope (its id and the message's number), which no caller's order key can reach.
 */
export function shipmentIdOf(org: string, order: Pick<Order, "idempotencyId" | "verification">): Promise<string> {
  return order.verification ? uuidOf(["verification-message", org, order.verification.verificationId, order.verification.n]) : shipmentIdFor(org, order.idempotencyId);
}

/** A UUID (version 4 layout) from SHA-256 of a list of names: stable for as long as the names are. */
export async function uuidOf(names: readonly unknown[]): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(names))));
  const bytes = digest.slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4 layout
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const orderName = (shipmentId: string) => `shipment:${shipmentId.toLowerCase()}`;

/** The id of the order's Durable Object: named by the shipment id, lower-cased (a UUID in any case names one order). */
export function orderIdForShipment(env: Env, shipmentId: string): DurableObjectId {
  return objectIdByName(env, "ORDERS", orderName(shipmentId));
}

/** The order's Durable Object by the shipment id. */
export function orderStubForShipment(env: Env, shipmentId: string) {
  return objectByName(env, "ORDERS", orderName(shipmentId));
}

/** The order's Durable Object by its key: one per (organisation, idempotencyId), or per verification message. */
export async function orderStub(env: Env, org: string, order: Pick<Order, "idempotencyId" | "verification">) {
  const shipmentId = await shipmentIdOf(org, order);
  return { shipmentId, stub: orderStubForShipment(env, shipmentId) };
}

/** The same object by the reference a queue message carries (its Durable Object id). */
export function orderStubByRef(env: Env, orderRef: string) {
  return objectById(env, "ORDERS", orderRef);
}
