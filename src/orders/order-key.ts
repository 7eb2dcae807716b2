import type { OrderObject } from "./order-object";

/** The order's Durable Object: one per (organisation, idempotencyId), so another organisation's key never collides. */
export function orderStub(env: Env, org: string, idempotencyId: string): DurableObjectStub<OrderObject> {
  const namespace = env.ORDERS as DurableObjectNamespace<OrderObject>;
  return namespace.get(namespace.idFromName(JSON.stringify([org, idempotencyId])));
}

export function orderStubByRef(env: Env, orderRef: string): DurableObjectStub<OrderObject> {
  const namespace = env.ORDERS as DurableObjectNamespace<OrderObject>;
  return namespace.get(namespace.idFromString(orderRef));
}
