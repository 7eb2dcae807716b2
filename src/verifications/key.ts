// How a verification is found. Its id is derived from (organisation, verification key), in a scope of
// its own (an order key never names a verification), and its Durable Object is named by the id, so the
// start (by key) and every later call (by id: check, resend, GET, a message's order) reach one object.
import { objectByName } from "../config/durable-objects";
import { uuidOf } from "../orders/order-key";
import { verificationObjectName } from "../status/verification";

export function verificationIdFor(org: string, idempotencyId: string): Promise<string> {
  return uuidOf(["verification", org, idempotencyId]);
}

export function verificationStub(env: Env, verificationId: string) {
  return objectByName(env, "VERIFICATIONS", verificationObjectName(verificationId));
}

/** The key of a verification's n-th message: shown in D1 as the order's idempotencyId; its shipment id is in the verification's scope (order-key.ts). */
export const messageKey = (verificationId: string, n: number) => `verification:${verificationId}:${n}`;
