// A status callback is answered 2xx only once its report is durable: applied into the order, or put on
// the provider-reports queue that retries it into the order. Otherwise the answer (503) makes Twilio
// send it again (the callback URL carries Twilio's retry overrides).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { postSms, problemOf, smsRequest } from "../support/api";
import { shipmentIdOf, waitForRecipientStatus } from "../support/shipments";
import { orderState } from "../support/order";
import { OrderObject } from "../../src/orders/order-object";
import { fakeTwilio, sendStatus, uniqueMobile, type FakeTwilio } from "../support/fake-twilio";

afterEach(() => vi.restoreAllMocks());

async function acceptedSms(twilio: FakeTwilio) {
  const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
  await waitForRecipientStatus(shipmentId, "SMS_Accepted");
  return { shipmentId, handover: twilio.requestsFor(shipmentId)[0]! };
}

/** The order object fails to take reports while `failing` holds (as an unreachable or overloaded object would). */
function orderRefusesReports(failing: () => boolean) {
  const report = OrderObject.prototype.report;
  return vi.spyOn(OrderObject.prototype, "report").mockImplementation(async function (this: OrderObject, ...args) {
    if (failing()) throw new Error("Durable Object is overloaded");
    return report.apply(this, args);
  });
}

/** Sends to the provider-reports queue fail (other queues are untouched). */
function reportQueueFails() {
  const queuePrototype = Object.getPrototypeOf(env.PROVIDER_REPORTS) as Queue;
  const send = queuePrototype.send;
  return vi.spyOn(queuePrototype, "send").mockImplementation(async function (this: Queue, body, options) {
    if ((body as { dedupeKey?: unknown }).dedupeKey !== undefined) throw new Error("Queue send failed");
    return send.call(this, body, options);
  });
}

describe("POST /webhooks/twilio/status when the order cannot take the report", () => {
  it("puts the report on the queue, answers 200, and the queue applies it once the order is back", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    let down = true;
    const report = orderRefusesReports(() => down);
    const queued = vi.spyOn(Object.getPrototypeOf(env.PROVIDER_REPORTS) as Queue, "send");

    expect((await sendStatus(handover, "delivered")).status).toBe(200);
    expect(queued.mock.calls.some(([body]) => (body as { shipmentId?: string }).shipmentId === shipmentId)).toBe(true);
    expect((await orderState(shipmentId)).row.status).toBe("SMS_Accepted");

    down = false; // the queue consumer's retry reaches the order now
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered", 15_000)).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
    expect(report.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect((await orderState(shipmentId)).events.filter((e) => e.source === "twilio delivered")).toHaveLength(1);
  });

  it("answers 503 with Retry-After when the queue fails too, changes nothing, and Twilio's retry is applied", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    let down = true;
    orderRefusesReports(() => down);
    reportQueueFails();
    const before = await orderState(shipmentId);

    const refused = await sendStatus(handover, "delivered");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await problemOf(refused)).toMatchObject({ status: 503, code: "NOT-00004" });
    expect(await orderState(shipmentId)).toEqual(before);

    down = false;
    vi.restoreAllMocks();
    expect((await sendStatus(handover, "delivered")).status).toBe(200); // Twilio sends it again (rc=5, rp=all)
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
  });
});
