// The one consumer skeleton: malformed bodies are acked, a handled message is acked, a handler that asks
// is retried with its delay, a handler that throws is retried with the schedule's, and logs carry ids only.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { consume, type QueueConsumer } from "../../src/retry/queue-consumer";

afterEach(() => vi.restoreAllMocks());

interface Item {
  id: string;
  secret: string;
  behaviour: "ok" | "again" | "throw" | "overloaded";
}

const asItem = (body: unknown): Item | null => {
  const b = body as Partial<Item> | null;
  return typeof b?.id === "string" && typeof b.secret === "string" && typeof b.behaviour === "string" ? (b as Item) : null;
};

async function run(bodies: { body: unknown; attempts: number }[], overrides: Partial<QueueConsumer<Item>> = {}) {
  const handled: string[] = [];
  const batch = createMessageBatch(
    "test-queue",
    bodies.map(({ body, attempts }, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  // The queue's own objects, with each retry's delay noted (the queue result does not tell it).
  const delays: Record<string, number | undefined> = {};
  const messages = batch.messages.map((m) => ({
    id: m.id,
    timestamp: m.timestamp,
    body: m.body,
    attempts: m.attempts,
    ack: () => m.ack(),
    retry: (options?: QueueRetryOptions) => {
      delays[m.id] = options?.delaySeconds;
      m.retry(options);
    },
  }));
  const ctx = createExecutionContext();
  await consume<Item>({ queue: batch.queue, metadata: batch.metadata, messages, ackAll: () => batch.ackAll(), retryAll: (o) => batch.retryAll(o) }, {
    events: { malformed: "test.malformed", failed: "test.failed" },
    parse: asItem,
    async handle(item, attempts) {
      handled.push(`${item.id}@${attempts}`);
      if (item.behaviour === "throw") throw new Error(`could not handle ${item.id}`);
      // The shape Cloudflare gives an overloaded Durable Object's error.
      if (item.behaviour === "overloaded") throw Object.assign(new Error("Durable Object is overloaded."), { overloaded: true, retryable: false, remote: false });
      if (item.behaviour === "again") return { retryAfterSeconds: 7 };
    },
    logFields: ({ id }) => ({ id }),
    retryDelaySeconds: (attempts) => attempts * 10,
    ...overrides,
  });
  const result = await getQueueResult(batch, ctx);
  return { handled, result, delays };
}

describe("consume", () => {
  it("acks what was handled and what is not this queue's kind, and retries the rest with their delays", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    const { handled, result, delays } = await run([
      { body: { id: "a", secret: "s-a", behaviour: "ok" }, attempts: 1 },
      { body: { nonsense: true }, attempts: 1 },
      { body: { id: "c", secret: "s-c", behaviour: "again" }, attempts: 2 },
      { body: { id: "d", secret: "s-d", behaviour: "throw" }, attempts: 3 },
    ]);
    expect(handled.sort()).toEqual(["a@1", "c@2", "d@3"]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1"]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId).sort()).toEqual(["m2", "m3"]);
    expect(delays).toEqual({ m2: 7, m3: 30 }); // the handler's own delay; the schedule's for attempt 3
    expect(result.ackAll).toBe(false);
    expect(result.retryBatch.retry).toBe(false);

    const logged = errors.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual({ event: "test.malformed", id: "m1", error: "not a test-queue message" });
    expect(logged).toContainEqual({ event: "test.failed", id: "d", attempt: 3, error: "Error: could not handle d" });
    expect(errors.join("\n")).not.toContain("s-d"); // only what logFields names
  });

  it("a message whose handler met an overloaded Durable Object comes again after the overloaded backoff, not the queue's shorter delay", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    const { handled, result, delays } = await run(
      [
        { body: { id: "o1", secret: "s", behaviour: "overloaded" }, attempts: 1 },
        { body: { id: "o3", secret: "s", behaviour: "overloaded" }, attempts: 3 },
        { body: { id: "o9", secret: "s", behaviour: "overloaded" }, attempts: 9 },
        { body: { id: "t1", secret: "s", behaviour: "throw" }, attempts: 1 },
      ],
      { retryDelaySeconds: () => 1 }, // the dispatch queue's: 1 s after any failure
    );
    expect(handled.sort()).toEqual(["o1@1", "o3@3", "o9@9", "t1@1"]); // each handled once: no re-call in this run
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId).sort()).toEqual(["m0", "m1", "m2", "m3"]);
    expect(delays).toEqual({ m0: 2, m1: 8, m2: 60, m3: 1 }); // 2 s, 4 s, … at most 60 s; another failure keeps its own
    expect(errors.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ event: "test.failed", id: "o1", overloaded: true }));
  });

  it("never hands a malformed body to the handler", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { handled, result } = await run([
      { body: null, attempts: 1 },
      { body: "text", attempts: 1 },
      { body: { id: 1, secret: "x", behaviour: "ok" }, attempts: 1 },
    ]);
    expect(handled).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect(result.retryMessages).toEqual([]);
  });
});
