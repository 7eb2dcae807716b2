// Cloudflare's overloaded Durable Object (an error with `.overloaded = true`) is never retried at once by
// our code: the API answers 503 NOT-00004 with Retry-After: 1, a queue consumer has its message again
// after a delay (and does not call the object again meanwhile), and the shard writer backs off from a
// callback object that is overloaded. The error is thrown where the stub's method is called, as the
// runtime throws it (test/support/overloaded.ts).
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, postSms, smsRequest } from "../support/api";
import { shipmentIdOf } from "../support/shipments";
import { loseNextQueueMessage } from "../support/queue";
import worker from "../../src/index";
import type { DispatchMessage } from "../../src/orders/order-object";
import { orderObjectOf, simulatorHandovers } from "../support/order";
import { failMethod, overloadMethod } from "../support/overloaded";
import { shardOf, shardWriter } from "../../src/store/shards";
import type { ShardWriter } from "../../src/store/shard-writer";
import { smsLife } from "../support/callbacks";

afterEach(() => vi.restoreAllMocks());

const newOrg = (name: string) => `${name}${crypto.randomUUID().slice(0, 8)}`;

describe("the API, when a Durable Object is overloaded", () => {
  it("answers a registration 503 NOT-00004 with Retry-After: 1, and asks the order object once", async () => {
    const register = overloadMethod("register");
    const started = Date.now();
    const res = await postSms(smsRequest(), { org: newOrg("overloaded-register") });
    expect(Date.now() - started).toBeLessThan(1_000); // well under a second: no retries in between
    expect(res.status).toBe(503);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ status: 503, code: "NOT-00004" });
    expect(register.calls).toBe(1);
  });

  it("answers a status-callback route 503 NOT-00004 with Retry-After: 1 when the organisation's callback object is overloaded", async () => {
    const subscription = overloadMethod("subscription");
    const res = await call("GET", "/future/webhook", undefined, { org: newOrg("overloaded-webhook") });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "NOT-00004" });
    expect(subscription.calls).toBe(1);
  });

  it("a failure that is not an overload keeps its 503 without Retry-After", async () => {
    failMethod("register", () => Object.assign(new Error("injected: transient"), { retryable: true }));
    const res = await postSms(smsRequest(), { org: newOrg("transient-register") });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBeNull();
  });
});

/** Delivers one dispatch message to the Worker's queue handler, noting each retry's delay (the queue result does not tell it). */
async function deliverNoting(body: DispatchMessage) {
  const batch = createMessageBatch<DispatchMessage>("sms-dispatch", [{ id: `test-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body }]);
  const delays: (number | undefined)[] = [];
  const messages = batch.messages.map((m) => ({
    id: m.id,
    timestamp: m.timestamp,
    body: m.body,
    attempts: m.attempts,
    ack: () => m.ack(),
    retry: (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      m.retry(options);
    },
  }));
  const ctx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Env>)({ queue: batch.queue, metadata: batch.metadata, messages, ackAll: () => batch.ackAll(), retryAll: (o) => batch.retryAll(o) }, env, ctx);
  return { result: await getQueueResult(batch, ctx), delays };
}

describe("the dispatch consumer, when the order object is overloaded", () => {
  it("does not call the order again to record the provider's answer, and has its message again after a delay", async () => {
    loseNextQueueMessage();
    const id = await shipmentIdOf(await postSms(smsRequest(), { org: newOrg("overloaded-record") }));
    vi.restoreAllMocks();
    const orderRef = (await orderObjectOf(id)).id.toString();
    const record = overloadMethod("record");
    const { result, delays } = await deliverNoting({ orderRef, shipmentId: id, channel: "sms" });
    expect(record.calls).toBe(1); // no 50 ms / 100 ms retries at an overloaded object
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
    expect(delays).toEqual([2]); // the overloaded backoff's first wait, not the dispatch queue's 1 s
    vi.restoreAllMocks(); // the proxied stubs would not do for runInDurableObject
    expect(await simulatorHandovers(id)).toBe(1); // the provider was called once; its answer is recovered later
  });
});

describe("the shard writer, when an organisation's callback object is overloaded", () => {
  it("backs off from it: within the backoff its alarm does not ask again, and the events stay", async () => {
    const org = newOrg("overloaded-callbacks");
    const writer = shardWriter(env, await shardOf(env, org));
    await runInDurableObject(writer, (_i, state) => {
      for (const event of smsLife(org)) state.storage.sql.exec("INSERT INTO callback_outbox (org, event) VALUES (?, ?)", org, JSON.stringify(event));
    });
    const enqueue = overloadMethod("enqueue");
    const writerAlarm = () => runInDurableObject(writer, (instance: ShardWriter) => instance.alarm());
    await writerAlarm();
    expect(enqueue.calls).toBe(1);
    await writerAlarm(); // within its first backoff (1 s): not asked again
    await writerAlarm();
    expect(enqueue.calls).toBe(1);
    const kept = await runInDurableObject(writer, (_i, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM callback_outbox WHERE org = ?", org).one().n,
    );
    expect(kept).toBe(smsLife(org).length);
  });
});
