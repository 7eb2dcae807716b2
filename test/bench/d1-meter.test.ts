// The benchmark's D1 meter counts what D1 would see as write transactions, and delays every call.
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d1Meter, instrumentD1, isWriteSql, resetD1Meter } from "../../bench/d1-meter";

let uninstall: () => void;
beforeAll(async () => {
  await env.DB.exec("CREATE TABLE IF NOT EXISTS meter_probe (id INTEGER PRIMARY KEY, v TEXT)");
  uninstall = instrumentD1(env);
});
afterAll(() => uninstall());

const delta = async (work: () => Promise<unknown>) => {
  resetD1Meter();
  await work();
  return { transactions: d1Meter.transactions, calls: d1Meter.calls };
};

describe("D1 meter", () => {
  it("tells writes from reads by their SQL", () => {
    expect(isWriteSql("INSERT INTO t VALUES (1)")).toBe(true);
    expect(isWriteSql("  update t set v = 1")).toBe(true);
    expect(isWriteSql("WITH x AS (SELECT 1) DELETE FROM t")).toBe(true);
    expect(isWriteSql("SELECT * FROM t WHERE id = ?")).toBe(false);
  });

  it("counts a write outside a batch as one transaction and a read as none, whichever method runs it", async () => {
    expect(await delta(() => env.DB.prepare("INSERT INTO meter_probe (v) VALUES (?)").bind("a").run())).toEqual({ transactions: 1, calls: 1 });
    expect(await delta(() => env.DB.prepare("INSERT INTO meter_probe (v) VALUES ('b') RETURNING id").first())).toEqual({ transactions: 1, calls: 1 });
    expect(await delta(() => env.DB.prepare("SELECT * FROM meter_probe").all())).toEqual({ transactions: 0, calls: 1 });
    expect(await delta(() => env.DB.prepare("SELECT * FROM meter_probe").raw())).toEqual({ transactions: 0, calls: 1 });
    expect(await delta(() => env.DB.prepare("SELECT COUNT(*) AS n FROM meter_probe").first())).toEqual({ transactions: 0, calls: 1 });
  });

  it("counts a batch with writes as one transaction, however many statements it holds", async () => {
    const insert = env.DB.prepare("INSERT INTO meter_probe (v) VALUES (?)");
    expect(await delta(() => env.DB.batch([insert.bind("c"), insert.bind("d"), env.DB.prepare("SELECT 1")]))).toEqual({ transactions: 1, calls: 1 });
    expect(await delta(() => env.DB.batch([env.DB.prepare("SELECT 1")]))).toEqual({ transactions: 0, calls: 1 });
    expect(await delta(() => env.DB.exec("DELETE FROM meter_probe WHERE v = 'c'"))).toEqual({ transactions: 1, calls: 1 });
  });

  it("adds up the rows D1 reports written, for a statement and for each statement of a batch", async () => {
    const insert = env.DB.prepare("INSERT INTO meter_probe (v) VALUES (?)");
    resetD1Meter();
    await insert.bind("r1").run();
    expect(d1Meter.rowsWritten).toBe(1);
    await env.DB.batch([insert.bind("r2"), insert.bind("r3"), env.DB.prepare("UPDATE meter_probe SET v = 'r' WHERE v IN ('r1', 'r2', 'r3')")]);
    expect(d1Meter.rowsWritten).toBe(1 + 2 + 3);
    await env.DB.prepare("SELECT * FROM meter_probe").all();
    expect(d1Meter.rowsWritten).toBe(6);
  });

  it("delays every call by the configured time", async () => {
    d1Meter.delayMs = 120;
    try {
      const started = Date.now();
      await env.DB.prepare("SELECT 1").first();
      await env.DB.batch([env.DB.prepare("SELECT 1")]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    } finally {
      d1Meter.delayMs = 0;
    }
  });
});
