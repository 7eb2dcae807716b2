// Issue 9, point 4: a hand-over left in doubt by a crash is settled by what is known, and content that
// cannot be opened fails at once instead of counting as "maybe sent".
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { postSms, smsRequest } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { fireAlarm, orderObjectOf, orderRefOf, shiftOrderTimes, storedOrder } from "../support/order";
import { dispatchShipment } from "../../src/dispatch/dispatch";
import { keepQueueOut, loseNextQueueMessage } from "../support/queue";

afterEach(() => vi.restoreAllMocks());

describe("a claim whose consumer vanished", () => {
  it("is asked again, of the same provider only, when that provider honours our idempotency key", async () => {
    loseNextQueueMessage();
    const id = await shipmentIdOf(await postSms(smsRequest()));
    vi.restoreAllMocks();
    const order = await orderObjectOf(id);
    const first = await order.claim(id, { name: "primary", idempotent: true });
    expect(first.kind).toBe("send"); // …and the consumer died mid-call
    await shiftOrderTimes(id, ["claim_until"], -60_000);
    keepQueueOut(env.SMS_QUEUE); // keep the queue out of it
    await fireAlarm(id);
    expect(await storedOrder(id)).toMatchObject({ handover: "waiting", pinned_provider: "primary" });
    // Another provider would not know the key: it may not take over.
    expect(await order.claim(id, { name: "secondary", idempotent: true })).toEqual({ kind: "skip", reason: "pinned", pinnedTo: "primary" });
    const again = await order.claim(id, { name: "primary", idempotent: true });
    expect(again.kind).toBe("send");
    if (again.kind === "send") expect(again.message.shipmentId).toBe(id); // the idempotency key
  });

  it("stays in doubt and is never repeated when the provider cannot de-duplicate", async () => {
    loseNextQueueMessage();
    const id = await shipmentIdOf(await postSms(smsRequest()));
    vi.restoreAllMocks();
    const order = await orderObjectOf(id);
    expect((await order.claim(id, { name: "twilio", idempotent: false })).kind).toBe("send");
    await shiftOrderTimes(id, ["claim_until"], -60_000);
    await fireAlarm(id);
    expect((await storedOrder(id)).handover).toBe("in_doubt");
    expect((await order.claim(id, { name: "twilio", idempotent: false })).kind).toBe("skip");
  });
});

describe("content that cannot be opened", () => {
  it("fails the shipment at once with a clear status, and is never claimed", async () => {
    loseNextQueueMessage();
    const id = await shipmentIdOf(await postSms(smsRequest()));
    vi.restoreAllMocks();
    const order = await orderObjectOf(id);
    await runInDurableObject(order, (_i, state) => state.storage.sql.exec("UPDATE content SET body = 'AAAA.AAAA'"));
    expect(await order.claim(id)).toEqual({ kind: "skip", reason: "content_unreadable" });
    const stored = await storedOrder(id);
    expect(stored).toMatchObject({ status: "SMS_Failed", handover: "done", attempts: 0, content: null });
    const history = await order.history(id);
    expect(history.at(-1)).toMatchObject({ status: "SMS_Failed", applied: true, source: "dispatch" });
    expect(history.at(-1)!.detail).toMatch(/could not be opened/);
    expect((await waitForShipment(id, () => true)).recipients[0]!.status).toBe("SMS_Failed");
  });
});

describe("a deployment with no usable provider", () => {
  it("fails the shipment at once with the reason, before any claim", async () => {
    loseNextQueueMessage();
    const id = await shipmentIdOf(await postSms(smsRequest()));
    vi.restoreAllMocks();
    const misconfigured = { ...env, SMS_PROVIDERS: "carrier-pigeon" } as Env;
    await dispatchShipment(misconfigured, { orderRef: await orderRefOf(id), shipmentId: id, channel: "sms" });
    expect(await storedOrder(id)).toMatchObject({ status: "SMS_Failed", handover: "done", attempts: 0, content: null });
    const last = (await (await orderObjectOf(id)).history(id)).at(-1)!;
    expect(last.detail).toMatch(/no usable SMS provider is configured.*carrier-pigeon.*nothing was sent/);
  });
});
