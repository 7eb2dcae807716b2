// The bench build's meter (bench/do-meter.ts) counts what Cloudflare bills: Durable Object requests
// made through stubs, rows written to an object's storage and the alarms it sets, queue operations.
import { createMessageBatch, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { consumeMetered, meter, meteredNamespace, meterStorage, pendingAlarms, queueOpsFor, resetMeter } from "../../bench/do-meter";

beforeEach(() => resetMeter());

describe("Durable Object meter", () => {
  it("counts each call through a metered stub as one request of its class, and the time the object was busy", async () => {
    const namespace = meteredNamespace(env.LIMIT_COUNTERS, "LimitsObject");
    const stub = namespace.get(namespace.idFromName(`meter-probe-${crypto.randomUUID()}`));
    await stub.reserve([], Date.now());
    await stub.reserve([], Date.now());
    expect(meter.classes.LimitsObject).toMatchObject({ calls: 2, alarms: 0 });
    expect(meter.classes.LimitsObject!.wallMs).toBeGreaterThanOrEqual(0);
    // A stub taken from the plain namespace is not counted.
    await env.LIMIT_COUNTERS.get(env.LIMIT_COUNTERS.idFromName(`meter-probe-${crypto.randomUUID()}`)).reserve([], Date.now());
    expect(meter.classes.LimitsObject!.calls).toBe(2);
  });

  it("counts the rows each statement writes, one per setAlarm, and the alarm until it is cleared", async () => {
    const stub = env.LIMIT_COUNTERS.get(env.LIMIT_COUNTERS.idFromName(`meter-rows-${crypto.randomUUID()}`));
    const horizon = 60_000;
    const before = pendingAlarms(horizon);
    await runInDurableObject(stub, async (_instance, state) => {
      meterStorage(state, "Probe", true);
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, v TEXT)");
      const afterCreate = meter.classes.Probe?.rowsWritten ?? 0;
      state.storage.sql.exec("INSERT INTO probe (v) VALUES (?), (?), (?)", "a", "b", "c");
      state.storage.sql.exec("UPDATE probe SET v = 'x' WHERE v = 'a'");
      state.storage.sql.exec("SELECT * FROM probe").toArray();
      expect(meter.classes.Probe!.rowsWritten - afterCreate).toBe(4);
      await state.storage.setAlarm(Date.now() + 3_600_000);
      expect(meter.classes.Probe!.rowsWritten - afterCreate).toBe(5);
      expect(pendingAlarms(horizon).later).toBe(before.later + 1);
      await state.storage.deleteAlarm();
      expect(pendingAlarms(horizon).later).toBe(before.later);
    });
  });

  it("counts a message's queue operations per 64 KB, with about 100 bytes of metadata", () => {
    expect(queueOpsFor(0)).toBe(1);
    expect(queueOpsFor(63_900)).toBe(1);
    expect(queueOpsFor(63_901)).toBe(2);
    expect(queueOpsFor(127_000)).toBe(2);
  });

  it("counts each message of a batch read, and deleted unless it is retried", async () => {
    const batch = createMessageBatch("sms-dispatch", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { n: 1 } },
      { id: "m2", timestamp: new Date(), attempts: 1, body: { n: 2 } },
      { id: "m3", timestamp: new Date(), attempts: 1, body: { n: 3 } },
    ]);
    await consumeMetered(batch, async (b) => {
      b.messages[0]!.ack();
      b.messages[1]!.retry();
      // the third is acknowledged implicitly, as the consumer returns
    });
    expect(meter.queue).toEqual({ writes: 0, reads: 3, deletes: 2 });
  });
});
