/** The order's Durable Object: one per (organisation, idempotencyId), so another organisation's key never collides. */
export function orderStub(env: Env, org: string, idempotencyId: string) {
  return env.ORDERS.get(env.ORDERS.idFromName(JSON.stringify([org, idempotencyId])));
}

/** The same object by the reference a queue message or a provider callback carries. */
export function orderStubByRef(env: Env, orderRef: string) {
  return env.ORDERS.get(env.ORDERS.idFromString(orderRef));
}
