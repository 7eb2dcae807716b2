import { describe, expect, it } from "vitest";
import { call, postSms, problemOf, smsRequest } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { syncToD1 } from "../support/order";

type Entry = { sequenceNumber: number; shipmentId: string; shipmentType: string; status: string; recipients: { destination: string; status: string }[] };

async function feed(org: string, query: string): Promise<Entry[]> {
  const response = await call("GET", `/future/shipment/feed${query}`, undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as Entry[];
}

/** Completes `count` shipments for `org`, one after another, so their feed order is known. */
async function completed(org: string, count: number, phoneNumber = "+4799999999"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber }), { org }));
    await waitForShipment(id, (s) => s.status === "Order_Completed", { org });
    await syncToD1(id); // the feed is D1, written behind the order
    ids.push(id);
  }
  return ids;
}

describe("GET /future/shipment/feed", () => {
  it("lists each completed shipment once, in ascending sequence, with its final status", async () => {
    const ids = await completed("feed-asc", 3);
    const entries = await feed("feed-asc", "");
    expect(entries.map((e) => e.shipmentId)).toEqual(ids);
    const seqs = entries.map((e) => e.sequenceNumber);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
    expect(entries[0]).toMatchObject({ shipmentType: "Instant", status: "Order_Completed", recipients: [{ destination: "+4799999999", status: "SMS_Delivered" }] });
  });

  it("pages with seq as an exclusive cursor, never missing or repeating an entry", async () => {
    const ids = await completed("feed-page", 5);
    const seen: string[] = [];
    let cursor = 0;
    for (let page = 0; page < 10; page++) {
      const entries = await feed("feed-page", `?seq=${cursor}&pageSize=2`);
      if (entries.length === 0) break;
      expect(entries.length).toBeLessThanOrEqual(2);
      seen.push(...entries.map((e) => e.shipmentId));
      cursor = entries[entries.length - 1]!.sequenceNumber;
    }
    expect(seen).toEqual(ids);
  });

  it("orders newest first with Desc and seq=0, and pages backwards from a cursor", async () => {
    const ids = await completed("feed-desc", 3);
    const newest = await feed("feed-desc", "?orderBy=Desc");
    expect(newest.map((e) => e.shipmentId)).toEqual([...ids].reverse());
    const older = await feed("feed-desc", `?orderBy=desc&seq=${newest[0]!.sequenceNumber}`);
    expect(older.map((e) => e.shipmentId)).toEqual([ids[1], ids[0]]);
  });

  it("shows only the caller's own shipments", async () => {
    await completed("feed-mine", 1);
    const theirs = await completed("feed-theirs", 1);
    const mine = await feed("feed-mine", "");
    expect(mine.map((e) => e.shipmentId)).not.toContain(theirs[0]);
    expect(await feed("feed-nobody", "")).toEqual([]);
  });

  it("numbers each organisation's entries on its own: another organisation's traffic on the shard never shows", async () => {
    // Both organisations share the first shard (vitest.config.ts), whose feed used to be numbered as one.
    const [first] = await completed("feed-count-mine", 1, "+4799999991");
    await completed("feed-count-theirs", 3, "+4799999992");
    const [second] = await completed("feed-count-mine", 1, "+4799999993");
    const mine = await feed("feed-count-mine", "");
    expect(mine.map((e) => e.shipmentId)).toEqual([first, second]);
    expect(mine[1]!.sequenceNumber - mine[0]!.sequenceNumber).toBe(1); // not 4: their three entries are not counted
    const theirs = (await feed("feed-count-theirs", "")).map((e) => e.sequenceNumber);
    expect(theirs).toEqual([theirs[0], theirs[0]! + 1, theirs[0]! + 2]);
  });

  it("does not list a shipment before it completes", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000003" }), { org: "feed-open" }));
    await waitForShipment(id, (s) => s.recipients[0]!.status === "SMS_Accepted", { org: "feed-open" });
    expect(await feed("feed-open", "")).toEqual([]);
  });

  it.each([
    ["0", 1],
    ["-5", 1],
    ["100000", 2],
  ])("clamps pageSize=%s into 1..500", async (pageSize, expected) => {
    await completed(`feed-clamp${pageSize}`, 2);
    expect(await feed(`feed-clamp${pageSize}`, `?pageSize=${pageSize}`)).toHaveLength(expected);
  });

  it.each([["seq=-1"], ["seq=abc"], ["orderBy=Sideways"], ["pageSize=1.5"]])("answers 400 for %s", async (query) => {
    const response = await call("GET", `/future/shipment/feed?${query}`);
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors).toBeDefined();
  });
});
