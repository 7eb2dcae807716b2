// The dispatch queues from a test: spy on (or lose) what the Worker sends, and deliver messages to its
// queue handler as the queue would.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../src/index";
import type { DispatchMessage } from "../../src/orders/order-object";

/**
 * A spy on `send` of a queue binding. Bindings share their prototype, so the spy sees every queue's
 * sends; vitest's restoreMocks (or mockRestore) removes it.
 */
export function spyOnQueue(queue: Queue = env.SMS_QUEUE) {
  return vi.spyOn(Object.getPrototypeOf(queue) as Queue, "send");
}

/** The next message sent to the queue is lost (accepted, never delivered). */
export const loseNextQueueMessage = (queue: Queue = env.SMS_QUEUE) => spyOnQueue(queue).mockResolvedValueOnce(undefined as never);

/** Every message sent to the queue is dropped, so a test drives dispatch by hand. */
export const keepQueueOut = (queue: Queue = env.SMS_QUEUE) => spyOnQueue(queue).mockResolvedValue(undefined as never);

/** Delivers dispatch messages to the Worker's queue handler, as the queue would (a redelivery included). */
export async function deliverDispatch(messages: DispatchMessage[], attempts = 1) {
  const queue = messages[0]?.channel === "email" ? "email-dispatch" : "sms-dispatch";
  const batch = createMessageBatch<DispatchMessage>(
    queue,
    messages.map((body, i) => ({ id: `test-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Env>)(batch, env, ctx);
  return getQueueResult(batch, ctx);
}
