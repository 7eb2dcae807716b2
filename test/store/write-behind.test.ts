// Issue 8: the order is the system of record; D1 is written behind it, in batches, per organisation's
// shard, and catches up after any failure without losing or reordering anything.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ShardWriter } from "../../src/store/shard-writer";
import { shardNames, shardOf, shardWriter } from "../../src/store/shards";
import { call, postSms, smsRequest } from "../support/api";
import { shipmentIdOf, shardDb, waitForShipment } from "../support/shipments";
import { fireAlarm, storedOrder, syncToD1 } from "../support/order";
import { resendEverything, todaysStats } from "../support/stats";

const final = (s: { status: string }) => s.status === "Order_Completed";
afterEach(() => vi.restoreAllMocks());

async function feed(org: string, seq = 0) {
  const response = await call("GET", `/future/shipment/feed?seq=${seq}`, undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as { sequenceNumber: number; shipmentId: string; status: string }[];
}

describe("write-behind to D1", () => {
  it("registers, reads and completes while D1 is down, then D1 catches up and matches every order", async () => {
    const db = env.DB;
    const org = "write-behind-outage";
    await db.exec("ALTER TABLE shipments RENAME TO shipments_offline");
    const ids: string[] = [];
    try {
      for (let i = 0; i < 5; i++) ids.push(await shipmentIdOf(await postSms(smsRequest({ phoneNumber: `+479100000${i}` }), { org })));
      for (const id of ids) expect((await waitForShipment(id, final, { org })).recipients[0]!.status).toBe("SMS_Delivered");
      // The feed reads D1: while it is down the answer is 503, never 500.
      const down = await call("GET", "/future/shipment/feed");
      expect(down.status).toBe(503);
      expect(((await down.json()) as { code: string }).code).toBe("NOT-00004");
      for (const id of ids) await syncToD1(id);
      expect(await shardWriter(env, "DB").flush()).toBeGreaterThan(0); // kept, not lost
      // The statistics ride in the same transactions: delayed, not counted halfway.
      expect(await todaysStats(org)).toMatchObject({ registered: 0, delivered: 0 });
    } finally {
      await db.exec("ALTER TABLE shipments_offline RENAME TO shipments");
    }
    expect(await shardWriter(env, "DB").flush()).toBe(0);
    const counted = { registered: 5, handedOver: 5, delivered: 5, failed: {}, pending: 0, providers: { primary: { handedOver: 5, delivered: 5 } } };
    expect(await todaysStats(org)).toMatchObject(counted);
    // Every change again (as after a lost answer): counted once all the same.
    for (const id of ids) await resendEverything(id);
    expect(await shardWriter(env, "DB").flush()).toBe(0);
    expect(await todaysStats(org)).toMatchObject(counted);
    for (const id of ids) {
      const order = await storedOrder(id);
      const row = await db.prepare("SELECT r.status, r.provider_ref FROM recipients r WHERE shipment_id = ?").bind(id).first();
      expect(row).toEqual({ status: order.status, provider_ref: order.provider_ref });
    }
    const entries = (await feed(org)).filter((e) => ids.includes(e.shipmentId));
    expect(entries.map((e) => e.shipmentId).sort()).toEqual([...ids].sort());
  });

  it("loses nothing when the order's hand-off to the writer fails after its commit: the alarm hands it over later", async () => {
    const append = vi.spyOn(ShardWriter.prototype, "append").mockRejectedValue(new Error("injected: shard writer unreachable"));
    const id = await shipmentIdOf(await postSms(smsRequest()));
    // The whole pipeline runs while every hand-off fails; reads come from the order, D1 or not.
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Delivered");
    // The hand-off of the final status was tried (and failed) too, so no hand-off is still waiting to go.
    const triedFinal = () => append.mock.calls.some(([, changes]) => changes.some((c) => c.kind === "state" && c.shipmentId === id && c.recipientStatus === "SMS_Delivered"));
    await vi.waitFor(() => expect(triedFinal()).toBe(true), { timeout: 3_000, interval: 10 });
    const stored = await storedOrder(id);
    expect(stored.pushed_seq).toBeLessThan(stored.change_seq as number);
    append.mockRestore();
    for (const shard of shardNames(env)) await shardWriter(env, shard).flush();
    const db = await shardDb("ttd");
    const inD1 = () => db.prepare("SELECT s.status, r.status AS recipient, r.provider_ref FROM shipments s JOIN recipients r USING (shipment_id) WHERE shipment_id = ?").bind(id).first();
    expect(await inD1()).toBeNull(); // nothing reached D1 while the writer was unreachable
    expect(await fireAlarm(id)).toBe(true); // the order's own alarm, and nothing else, retries the hand-off
    for (const shard of shardNames(env)) await shardWriter(env, shard).flush();
    expect(await inD1()).toEqual({ status: "Order_Completed", recipient: "SMS_Delivered", provider_ref: stored.provider_ref });
    expect((await feed("ttd")).map((e) => e.shipmentId)).toContain(id);
    const after = await storedOrder(id);
    expect(after.pushed_seq).toBe(after.change_seq);
  });

  it("groups many orders' changes into few D1 transactions", async () => {
    const batch = vi.spyOn(Object.getPrototypeOf(env.DB) as D1Database, "batch");
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postSms(smsRequest({ phoneNumber: `+479200${String(i).padStart(4, "0")}` })).then(shipmentIdOf)),
    );
    for (const id of ids) await waitForShipment(id, final);
    await syncToD1();
    // 20 shipments, 4 changes each (registered, sending, accepted, delivered): one transaction each would be 80.
    expect(batch.mock.calls.length).toBeLessThan(40);
  });
});

describe("sharding by organisation", () => {
  it("keeps each organisation's rows and feed in its own shard, and each sees only its own", async () => {
    expect(shardNames(env)).toEqual(["DB", "DB_1"]);
    expect(await shardOf(env, "ttd")).toBe("DB");
    expect(await shardOf(env, "org-on-shard-1")).toBe("DB_1");
    const mine = await shipmentIdOf(await postSms(smsRequest(), { org: "ttd" }));
    const theirs = await shipmentIdOf(await postSms(smsRequest(), { org: "org-on-shard-1" }));
    await waitForShipment(mine, final);
    await waitForShipment(theirs, final, { org: "org-on-shard-1" });
    await syncToD1(mine);
    await syncToD1(theirs);
    const inShard = async (shard: D1Database, id: string) => (await shard.prepare("SELECT 1 FROM shipments WHERE shipment_id = ?").bind(id).first()) !== null;
    expect(await inShard(env.DB, mine)).toBe(true);
    expect(await inShard(env.DB, theirs)).toBe(false);
    expect(await inShard(env.DB_1, theirs)).toBe(true);
    expect(await inShard(env.DB_1, mine)).toBe(false);
    expect((await feed("org-on-shard-1")).map((e) => e.shipmentId)).toEqual([theirs]);
    expect((await feed("ttd")).map((e) => e.shipmentId)).not.toContain(theirs);
    expect((await call("GET", `/future/shipment/${theirs}`, undefined, { org: "ttd" })).status).toBe(404);
    expect(await shardDb("org-on-shard-1")).toBe(env.DB_1);
  });
});

describe("the feed under concurrent completions", () => {
  it("gives a consumer that keeps its last sequenceNumber every entry once, in order, while completions land", async () => {
    const org = "org-feed-order";
    const seen: number[] = [];
    const shipments = new Set<string>();
    let cursor = 0;
    const poll = async () => {
      for (const entry of await feed(org, cursor)) {
        expect(entry.sequenceNumber).toBeGreaterThan(cursor);
        expect(shipments.has(entry.shipmentId)).toBe(false);
        shipments.add(entry.shipmentId);
        seen.push(entry.sequenceNumber);
        cursor = entry.sequenceNumber;
      }
    };
    const registering = Promise.all(
      Array.from({ length: 30 }, (_, i) => postSms(smsRequest({ phoneNumber: `+479300${String(i).padStart(4, "0")}` }), { org }).then(shipmentIdOf)),
    );
    let ids: string[] = [];
    registering.then((r) => (ids = r));
    // The consumer polls while the completions land, until it has seen every shipment (bounded).
    await vi.waitFor(
      async () => {
        await poll();
        if (ids.length > 0 && shipments.size < ids.length) await syncToD1();
        expect(ids.length > 0 && shipments.size >= ids.length, `the feed showed ${shipments.size} of ${ids.length} shipments`).toBe(true);
      },
      { timeout: 10_000, interval: 10 },
    );
    expect([...shipments].sort()).toEqual([...(await registering)].sort());
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
