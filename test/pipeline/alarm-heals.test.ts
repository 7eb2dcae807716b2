// Issue 9, point 2: no exception in alarm() leaves an order with work left and no next alarm; the
// order's own backoff decides when it runs again, not the platform's few retries.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { retryAfterFailure } from "../../src/orders/lifecycle";
import { postSms, smsRequest } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { fireAlarm, orderObjectOf, shiftOrderTimes, storedOrder } from "../support/order";
import { spyOnQueue } from "../support/queue";

afterEach(() => vi.restoreAllMocks());

const queueSend = () => spyOnQueue(env.SMS_QUEUE);
const alarmOf = async (id: string) => runInDurableObject(await orderObjectOf(id), (_i, state) => state.storage.getAlarm());

describe("the order's alarm heals itself", () => {
  it("keeps an alarm set while queue sends fail, with growing delays, and dispatches once the queue is back", async () => {
    queueSend().mockResolvedValueOnce(undefined as never); // the registration's message is lost
    const id = await shipmentIdOf(await postSms(smsRequest({ ttl: 3600 })));
    vi.restoreAllMocks();
    // D1 caught up first: a hand-off still gathering would set the alarm anew in the middle of the loop.
    await (await orderObjectOf(id)).syncNow();
    const failing = queueSend().mockRejectedValue(new Error("injected: queue unavailable"));

    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await shiftOrderTimes(id, ["dispatch_at"], -3_600_000); // the lost message is long overdue
      const before = Date.now();
      expect(await fireAlarm(id)).toBe(true); // ran, and did not throw
      const next = await alarmOf(id);
      expect(next).not.toBeNull();
      delays.push(next! - before);
    }
    expect(failing).toHaveBeenCalledTimes(8);
    expect((await storedOrder(id)).alarm_failures).toBe(8);
    // Its own backoff: growing, capped, never the platform's 6 retries and silence.
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(retryAfterFailure(99) + 1_000);

    vi.restoreAllMocks(); // the queue is healthy again
    await shiftOrderTimes(id, ["dispatch_at"], -3_600_000);
    expect(await fireAlarm(id)).toBe(true);
    expect((await waitForShipment(id, (s) => s.status === "Order_Completed")).recipients[0]!.status).toBe("SMS_Delivered");
    expect((await storedOrder(id)).alarm_failures).toBe(0);
  });

  it("waits longer for each lost queue message: 5 s, 10 s, 20 s …, not every 5 s", async () => {
    const lose = queueSend().mockResolvedValue(undefined as never); // every message vanishes
    const id = await shipmentIdOf(await postSms(smsRequest({ ttl: 3600 })));
    // D1 caught up, and the alarm back to what the order itself needs.
    await (await orderObjectOf(id)).syncNow();
    await fireAlarm(id);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const order = await storedOrder(id);
      waits.push((await alarmOf(id))! - (order.dispatch_at as number));
      await shiftOrderTimes(id, ["dispatch_at"], -waits[i]!);
      await fireAlarm(id); // the message is taken as lost: a new one, and a longer wait
    }
    expect(lose.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000]);
  });
});

describe("statusDescription", () => {
  it("explains the shipment's and the recipient's status in the manifest and the feed", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000002" })));
    const done = (await waitForShipment(id, (s) => s.status === "Order_Completed")) as unknown as {
      statusDescription: string;
      recipients: { status: string; statusDescription: string }[];
    };
    expect(done.recipients[0]!.status).toBe("SMS_Failed_Undelivered");
    expect(done.statusDescription).toMatch(/final status/);
    expect(done.recipients[0]!.statusDescription).toMatch(/not delivered/);
  });
});
