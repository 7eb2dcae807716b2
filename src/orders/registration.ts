// Registration's steps before anything is stored: the limits' reservation, sealing the content and (only
// with DISPATCH_ON_REGISTRATION=queue) the queue message, run side by side. A refused or failed request
// stores nothing; a queue message sent for one finds no order (or a later registration of the key, which
// it may dispatch) and is skipped. With the immediate attempt (the default) no message is sent: the order
// is stored with its alarm due shortly (docs/order-lifecycle.md), which enqueues one only if nothing
// claimed the hand-over by then.
import { checkLimits, type LimitRefusal } from "../limits/check";
import { logError } from "../log";
import { sealContent } from "./content-cipher";
import { decideNewOrder, type OrderResponse } from "./decide/register";
import type { Decision } from "./decide/state";
import { timings } from "./lifecycle";
import { fingerprintOf } from "./fingerprint";
import type { Order } from "./order";
import { shipmentIdOf } from "./order-key";
import type { SealedContent } from "./order-store";

export type RegisterOutcome =
  | { kind: "created"; response: OrderResponse }
  | { kind: "replayed"; response: OrderResponse; senderReplaced?: true }
  /** The same key with a different request, and the first request's answer (absent from an order object of an earlier version). */
  | { kind: "conflict"; response?: OrderResponse }
  | { kind: "refused"; refusal: LimitRefusal }
  /** `overloaded`: a Durable Object it needed was overloaded; the API answers Retry-After (src/retry/overloaded.ts). */
  | { kind: "unavailable"; overloaded?: true };

/** What a queue message carries: a reference to the order, never its content. */
export interface DispatchMessage {
  orderRef: string;
  shipmentId: string;
  /** So the dispatcher can choose the provider before it claims (absent in messages of older versions). */
  channel?: "sms" | "email";
}

export type Prepared =
  | { kind: "ready"; decision: Decision<{ kind: "created"; response: OrderResponse }>; content: SealedContent }
  | Exclude<RegisterOutcome, { kind: "created" | "replayed" | "conflict" }>;

/** Everything a new order needs before it is stored, or why it cannot be. */
export async function prepareRegistration(env: Env, orderRef: string, org: string, order: Order, now: number): Promise<Prepared> {
  const shipmentId = await shipmentIdOf(org, order);
  const salt = crypto.randomUUID();
  const [verdict, sealed, fingerprint] = await Promise.all([
    // Limits count only new requests, before anything is stored.
    checkLimits(env, org, order, now, order.verification?.n === 1 ? 2 : 1),
    sealAndEnqueue(env, orderRef, order, shipmentId),
    // Keyed under CONTENT_KEY, like the seal: without the key nothing is stored.
    fingerprintOf(env.CONTENT_KEY, order, salt).catch((error: unknown) => {
      logError("register.fingerprint_failed", error, { shipmentId });
      return null;
    }),
  ]);
  if (verdict.kind === "unavailable") return verdict;
  if (verdict.kind !== "ok") return { kind: "refused", refusal: verdict };
  if (!sealed || !fingerprint) return { kind: "unavailable" };
  const response: OrderResponse = {
    notificationOrderId: crypto.randomUUID(),
    notification: { shipmentId, ...(order.sendersReference !== undefined ? { sendersReference: order.sendersReference } : {}) },
  };
  return { kind: "ready", decision: decideNewOrder({ org, order, shipmentId, response, salt, fingerprint }, now, timings(env)), content: sealed };
}

/**
 * Sealed first: a missing CONTENT_KEY fails before the queue message. The message goes before the
 * order is stored: it cannot be claimed before registration ends (blockConcurrencyWhile). With the
 * immediate attempt there is none: the stored order's alarm is the durable path.
 */
async function sealAndEnqueue(env: Env, orderRef: string, order: Order, shipmentId: string): Promise<SealedContent | null> {
  let content: SealedContent;
  try {
    content = {
      body: await sealContent(env.CONTENT_KEY, shipmentId, order.body),
      subject: order.channel === "email" ? await sealContent(env.CONTENT_KEY, shipmentId, order.subject) : null,
    };
  } catch (error) {
    logError("register.seal_failed", error, { shipmentId });
    return null;
  }
  if (dispatchesRightAway(env)) return content;
  try {
    await enqueueDispatch(env, { orderRef, shipmentId, channel: order.channel });
  } catch (error) {
    logError("register.enqueue_failed", error, { shipmentId });
    return null;
  }
  return content;
}

export async function enqueueDispatch(env: Env, message: Required<DispatchMessage>): Promise<void> {
  await (message.channel === "sms" ? env.SMS_QUEUE : env.EMAIL_QUEUE).send(message, { contentType: "json" });
}

/** Whether the Worker starts the first dispatch attempt right after the 201 (the default), so registration sends no queue message. */
export function dispatchesRightAway(env: Pick<Env, "DISPATCH_ON_REGISTRATION">): boolean {
  return env.DISPATCH_ON_REGISTRATION !== "queue";
}
