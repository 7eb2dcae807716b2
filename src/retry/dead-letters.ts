// The dead-letter queues: a message its queue gave up on (after the consumer's max_retries) lands in
// `<queue>-dlq`, where this consumer keeps it in the deployment's DeadLetterObject, counts it per day
// and queue for the performance page, and logs its ids. An operator lists, replays (back to its
// original queue) or drops what is kept (POST /operator/dead-letters/…, docs/configuration.md).
import { objectByName } from "../config/durable-objects";
import { log } from "../log";
import type { DeadLetterObject } from "./dead-letter-object";
import { idsOf, keptBody } from "./dead-letter-rules";
import { consume } from "./queue-consumer";

export { isDeadLetterQueue } from "./dead-letter-rules";

export function deadLetterStub(env: Env): DurableObjectStub<DeadLetterObject> {
  return objectByName(env, "DEAD_LETTERS", "deployment");
}

/** A dead letter as the queue handed it over. */
interface Arrival {
  body: unknown;
}

/** The consumer of every dead-letter queue: each message kept once (by its id), counted and logged. */
export function handleDeadLetterBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const stub = deadLetterStub(env);
  return consume<Arrival>(batch, {
    events: { malformed: "dead_letter.malformed", failed: "dead_letter.keep_failed" },
    // Any body is kept (less an email event's subject): a dead letter is never dropped for its shape.
    parse: (body) => ({ body: keptBody(body) }),
    async handle({ body }, attempts, message) {
      const kept = await stub.keep({ id: message.id, queue: batch.queue, body, attempts, sentAt: message.timestamp.getTime() });
      if (kept) log("dead_letter.arrived", { queue: batch.queue, id: message.id, ...idsOf(body) });
    },
    logFields: ({ body }) => idsOf(body),
    retryDelaySeconds: (attempts) => Math.min(60, 2 * attempts),
  });
}
