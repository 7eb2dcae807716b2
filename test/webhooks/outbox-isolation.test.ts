// One organisation's callback object cannot hold up another's callbacks on the same shard: the shard
// writer hands each organisation its events on its own (bounded by a timeout), backs off from one whose
// callback object fails, and reads past its events. Faults are injected into the real callback object
// (a spy on WebhookObject.prototype.enqueue: the Durable Objects run in the tests' isolate).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { postSms, smsRequest } from "../support/api";
import { shipmentIdOf } from "../support/shipments";
import { shardOf, shardWriter } from "../../src/store/shards";
import { WAITING_ORGS } from "../../src/store/callback-outbox";
import type { ShardWriter } from "../../src/store/shard-writer";
import { WebhookObject } from "../../src/webhooks/webhook-object";
import type { CallbackEvent } from "../../src/webhooks/events";
import { smsLife, subscribe } from "../support/callbacks";
import { fakeReceiver, verifyCallback, type FakeReceiver } from "../support/fake-receiver";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

const newOrg = (name: string) => `${name}${crypto.randomUUID().slice(0, 8)}`;
const enqueue = WebhookObject.prototype.enqueue;

type Enqueue = () => ReturnType<WebhookObject["enqueue"]>;

/** `org`'s callback object takes each hand-off through `fault` (given the real one); every other organisation's works as ever. */
function faultFor(org: string, fault: (real: Enqueue) => ReturnType<Enqueue>) {
  return vi.spyOn(WebhookObject.prototype, "enqueue").mockImplementation(function (this: WebhookObject, events: CallbackEvent[]) {
    const real = () => enqueue.call(this, events);
    return events[0]?.org === org ? fault(real) : real();
  });
}

const callsFor = (spy: { mock: { calls: unknown[][] } }, org: string) => spy.mock.calls.filter(([events]) => (events as CallbackEvent[])[0]?.org === org).length;

async function outboxRowsOf(org: string): Promise<number> {
  return runInDurableObject(shardWriter(env, await shardOf(env, org)), (_i, state) =>
    state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM callback_outbox WHERE org = ?", org).one().n,
  );
}

/** Subscribes a new organisation, sends it an SMS and answers how long after its final status its callback left (ms). */
async function finalCallbackDelay(org: string): Promise<number> {
  const { secret } = await subscribe(org, receiver.url(`/${org}`), "final");
  const shipmentId = await shipmentIdOf(await postSms(smsRequest(), { org }));
  await vi.waitFor(() => expect(receiver.at(`/${org}`)).toHaveLength(1), { timeout: 8_000, interval: 20 });
  const callback = receiver.at(`/${org}`)[0]!;
  const body = verifyCallback(secret, callback) as { timestamp: string; data: { shipmentId: string } };
  expect(body.data.shipmentId).toBe(shipmentId);
  return callback.at - Date.parse(body.timestamp);
}

describe("a slow or failing callback object of one organisation", () => {
  it("a slow one does not delay another organisation's callback on the same shard, and its own hand-off is given up after a timeout", async () => {
    const slow = newOrg("slow");
    const fast = newOrg("fast");
    expect(await shardOf(env, slow)).toBe(await shardOf(env, fast));
    const spy = faultFor(slow, (real) => scheduler.wait(10_000).then(real)); // answers after 10 s
    await postSms(smsRequest(), { org: slow });
    await vi.waitFor(() => expect(callsFor(spy, slow)).toBeGreaterThan(0), { timeout: 5_000, interval: 10 }); // its hand-off is in flight

    expect(await finalCallbackDelay(fast)).toBeLessThan(1_000);
    // Its callback object works again: the writer, no longer waiting for the first answer, hands the events over again.
    vi.restoreAllMocks();
    await vi.waitFor(async () => expect(await outboxRowsOf(slow)).toBe(0), { timeout: 6_000, interval: 50 });
  });

  it("one that fails is asked again only after a backoff, and does not hold up another organisation's callback though its events fill a whole hand-off", async () => {
    const failing = newOrg("failing");
    const fast = newOrg("fast");
    const writer = shardWriter(env, await shardOf(env, failing));
    // More of the failing organisation's events than one hand-off takes, at the head of the outbox.
    await runInDurableObject(writer, (_i, state) => {
      for (const event of Array.from({ length: 130 }, () => smsLife(failing)).flat()) {
        state.storage.sql.exec("INSERT INTO callback_outbox (org, event) VALUES (?, ?)", failing, JSON.stringify(event));
      }
    });
    const spy = faultFor(failing, () => Promise.reject(new Error("injected: callback object unavailable")));
    const writerAlarm = () => runInDurableObject(writer, (instance: ShardWriter) => instance.alarm());

    await writerAlarm();
    expect(callsFor(spy, failing)).toBe(1);
    await writerAlarm(); // within its first backoff (1 s): not asked again
    await writerAlarm();
    expect(callsFor(spy, failing)).toBe(1);

    expect(await finalCallbackDelay(fast)).toBeLessThan(1_000);
    expect(await outboxRowsOf(failing)).toBe(520); // kept for when it works again

    vi.restoreAllMocks(); // it works again: the writer's alarm hands its events over once its backoff has passed
    await vi.waitFor(async () => expect(await outboxRowsOf(failing)).toBe(0), { timeout: 8_000, interval: 50 });
  });
});

describe("reading the outbox", () => {
  it("finds the organisations with events waiting without reading their events", async () => {
    const writer = env.SHARD_WRITER.get(env.SHARD_WRITER.idFromName("outbox-read-test")); // an outbox of its own
    const { orgs, rowsRead } = await runInDurableObject(writer, (_i, state) => {
      const sql = state.storage.sql;
      for (const [org, n] of [["backlog", 2_000], ["one", 1], ["two", 3]] as const) {
        for (let i = 0; i < n; i++) sql.exec("INSERT INTO callback_outbox (org, event) VALUES (?, '{}')", org);
      }
      const cursor = sql.exec<{ org: string }>(WAITING_ORGS);
      return { orgs: cursor.toArray().map((row) => row.org), rowsRead: cursor.rowsRead };
    });
    expect(orgs).toEqual(["backlog", "one", "two"]);
    expect(rowsRead).toBeLessThan(20); // a few per organisation, not the backlog's 2,000
  });
});
