// The one shape of every queue consumer: read the body, run the handler, ack; on a failure log the
// message's ids (never its content) and let it come again after a delay. A body that is not this
// queue's kind is acked at once: no retry can fix it. A Durable Object that was overloaded is given
// time: the message comes again after at least the overloaded backoff, never at once (overloaded.ts).
import { logError } from "../log";
import { backoff } from "./backoff";
import { isOverloaded, OVERLOADED_QUEUE_RETRY } from "./overloaded";

export interface QueueConsumer<T> {
  /** Log events: a body that is not this queue's kind, and a handler that threw. */
  events: { malformed: string; failed: string };
  /** The body as this queue's item, or null when it is not one. */
  parse(body: unknown): T | null;
  /** Does the work. Answers a delay instead to have the message again without it being a failure. */
  handle(item: T, attempts: number, message: Pick<Message<unknown>, "id" | "timestamp">): Promise<void | { retryAfterSeconds: number }>;
  /** What a failure may log: ids only, never a body, subject or recipient. */
  logFields(item: T): Record<string, unknown>;
  /** The wait before a message whose handler threw comes again, by the attempts made so far. */
  retryDelaySeconds(attempts: number): number;
}

export async function consume<T>(batch: MessageBatch<unknown>, consumer: QueueConsumer<T>): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const item = consumer.parse(message.body);
      if (item === null) {
        logError(consumer.events.malformed, `not a ${batch.queue} message`, { id: message.id });
        message.ack();
        return;
      }
      try {
        const again = await consumer.handle(item, message.attempts, message);
        if (again) message.retry({ delaySeconds: again.retryAfterSeconds });
        else message.ack();
      } catch (error) {
        const overloaded = isOverloaded(error);
        logError(consumer.events.failed, error, { ...consumer.logFields(item), attempt: message.attempts, ...(overloaded ? { overloaded } : {}) });
        message.retry({ delaySeconds: retryDelaySeconds(consumer.retryDelaySeconds(message.attempts), message.attempts, overloaded) });
      }
    }),
  );
}

/** The queue's own schedule; after an overloaded Durable Object, at least the overloaded backoff. */
function retryDelaySeconds(own: number, attempts: number, overloaded: boolean): number {
  return overloaded ? Math.max(own, backoff(OVERLOADED_QUEUE_RETRY, attempts - 1) / 1000) : own;
}
