// What a new order's storage writes: Durable Object rows written are billed, one by one.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OrderStore } from "../../src/orders/order-store";
import { postSms, smsRequest } from "../support/api";
import { orderObjectOf, orderState, syncToD1 } from "../support/order";
import { shipmentIdOf, waitForShipment } from "../support/shipments";

/** The rows `work` writes in the order's own storage: the sum of each statement's rowsWritten. */
async function rowsWrittenBy(shipmentId: string, work: (sql: SqlStorage) => void): Promise<number> {
  return runInDurableObject(await orderObjectOf(shipmentId), (_instance, state) => {
    const cursors: { rowsWritten: number }[] = [];
    const counted = {
      exec: (query: string, ...bindings: unknown[]) => {
        const cursor = state.storage.sql.exec(query, ...bindings);
        cursors.push(cursor);
        return cursor;
      },
    } as unknown as SqlStorage;
    work(counted);
    return cursors.reduce((sum, c) => sum + c.rowsWritten, 0);
  });
}

describe("a new order's storage", () => {
  it("keeps no AUTOINCREMENT counter and no rowid for seen reports, and numbers its events 1, 2, 3, …", async () => {
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000004" }))); // delivered after two transient failures
    await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");
    await syncToD1(shipmentId);

    const tables = await runInDurableObject(await orderObjectOf(shipmentId), (_instance, state) =>
      Object.fromEntries(state.storage.sql.exec<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table'").toArray().map((t) => [t.name, t.sql])),
    );
    expect(Object.keys(tables)).not.toContain("sqlite_sequence");
    expect(tables.events).not.toMatch(/AUTOINCREMENT/i);
    expect(tables.seen_reports).toMatch(/WITHOUT ROWID/i);

    const { events, seenReports } = await orderState(shipmentId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.status).toBe("SMS_Delivered");
    expect(seenReports).toBeGreaterThan(0);
    // One row per event appended (with AUTOINCREMENT it was two: the event and sqlite_sequence).
    expect(await rowsWrittenBy(shipmentId, (sql) => sql.exec("INSERT INTO events (status, applied, source, at) VALUES ('SMS_Delivered', 0, 'probe', 0)"))).toBe(1);
  });

  it("marks only the events not yet handed to the shard writer: a hand-off rewrites no event row twice", async () => {
    const shipmentId = await shipmentIdOf(await postSms(smsRequest()));
    await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");
    await syncToD1(shipmentId); // every event handed off and marked

    const written = await rowsWrittenBy(shipmentId, (sql) => {
      const store = new OrderStore(sql);
      store.markPushed(store.load()!.change_seq, store.events(false).at(-1)!.seq); // the same hand-off once more
    });
    expect(written).toBe(1); // the shipment row's pushed_seq; no event row again
  });
});
