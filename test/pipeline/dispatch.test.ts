// At most one hand-over, whatever the queue or the consumer does; nothing after the deadline.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DispatchMessage } from "../../src/orders/order-object";
import { handOver } from "../../src/dispatch/dispatch";
import type { Provider } from "../../src/providers/provider";
import { simulatorStub } from "../../src/providers/simulator/stub";
import { postSms, smsRequest, variedPhoneNumber } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { fireAlarm, orderObjectOf, orderRefOf, shiftOrderTimes, simulatorHandovers, storedOrder, syncToD1 } from "../support/order";
import { deliverDispatch, loseNextQueueMessage } from "../support/queue";

const final = (s: { status: string }) => s.status === "Order_Completed";

afterEach(() => vi.restoreAllMocks());

/** Registers an SMS whose dispatch message never reaches the queue (a lost message). */
async function registerWithLostMessage(phoneNumber = variedPhoneNumber()) {
  const send = loseNextQueueMessage(env.SMS_QUEUE);
  const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber })));
  const [message] = send.mock.calls[0]!;
  send.mockRestore();
  return { id, message: message as DispatchMessage };
}

/** Delivers SMS dispatch messages as the queue would (redelivery included); each must be handled, not bounced back. */
async function deliver(messages: DispatchMessage[], attempts = 1) {
  const result = await deliverDispatch(messages, attempts);
  expect(result.retryMessages).toEqual([]); // each message was handled, not bounced back
  return result;
}

describe("one hand-over per shipment", () => {
  it("redelivered and duplicated queue messages cause one hand-over", async () => {
    const { id, message } = await registerWithLostMessage();
    await Promise.all([deliver([message, message, message]), deliver([message], 2), env.SMS_QUEUE.send(message), env.SMS_QUEUE.send(message)]);
    await waitForShipment(id, final);
    await deliver([message], 3);
    expect(await simulatorHandovers(id)).toBe(1);
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Delivered");
  });

  it("a consumer that dies after the provider accepted causes no second hand-over, and the report still completes it", async () => {
    const { id, message } = await registerWithLostMessage("+4740000003"); // accepted, never reported by the simulator
    // Play a consumer that claims, hands over, and dies before recording the answer.
    const order = await orderObjectOf(id);
    const claim = await order.claim(id);
    if (claim.kind !== "send") throw new Error(claim.reason);
    const { body: _body, ...handover } = claim.message;
    const accepted = await simulatorStub(env).send(handover);
    expect(accepted.kind).toBe("accepted");

    await deliver([message], 2); // the queue redelivers: the claim is still held
    await shiftOrderTimes(id, ["claim_until"], -60_000);
    await fireAlarm(id); // the lease expired: in doubt, never handed over again
    expect((await storedOrder(id)).handover).toBe("in_doubt");
    await deliver([message], 3);
    expect(await simulatorHandovers(id)).toBe(1);

    // The provider's report proves the hand-over and completes the order.
    const result = await order.report(id, { kind: "final", status: "SMS_Delivered" }, "test:late-report", "test report", accepted.kind === "accepted" ? accepted.providerRef : undefined);
    expect(result.kind).toBe("applied");
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Delivered");
  });

  it("an in-doubt hand-over with no report becomes SMS_Failed_TTL after deadline + grace, never re-sent", async () => {
    const { id, message } = await registerWithLostMessage();
    const order = await orderObjectOf(id);
    const claim = await order.claim(id);
    expect(claim.kind).toBe("send");
    await shiftOrderTimes(id, ["claim_until", "deadline"], -(120_000 + Number(env.SMS_REPORT_GRACE_SECONDS) * 1000 + 1000));
    await fireAlarm(id);
    await deliver([message], 2);
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Failed_TTL");
    expect(await simulatorHandovers(id)).toBe(0);
  });

  it("two consumers claiming at once get one claim", async () => {
    const { id } = await registerWithLostMessage();
    const order = await orderObjectOf(id);
    const claims = await Promise.all(Array.from({ length: 10 }, () => order.claim(id)));
    expect(claims.filter((c) => c.kind === "send")).toHaveLength(1);
  });

  it("a consumer that fails before calling the provider releases the claim, and the alarm re-dispatches", async () => {
    const { id } = await registerWithLostMessage();
    const order = await orderObjectOf(id);
    const claim = await order.claim(id);
    if (claim.kind !== "send") throw new Error(claim.reason);
    await order.release(id, claim.claimId);
    expect((await storedOrder(id)).handover).toBe("waiting");
    await fireAlarm(id); // enqueues again; the real consumer takes it
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Delivered");
    expect(await simulatorHandovers(id)).toBe(1);
  });

  it("a queue message for another order's shipment is skipped", async () => {
    const { id } = await registerWithLostMessage();
    const other = await shipmentIdOf(await postSms(smsRequest()));
    await waitForShipment(other, final);
    await deliver([{ orderRef: await orderRefOf(other), shipmentId: id }]);
    expect(await simulatorHandovers(id)).toBe(0);
  });

  it("a queue message naming the shipment in upper case reaches the same order and hands it over once", async () => {
    const { id, message } = await registerWithLostMessage();
    expect(await orderRefOf(id.toUpperCase())).toBe(message.orderRef); // the tests name orders as the service does
    await deliver([{ ...message, orderRef: await orderRefOf(id.toUpperCase()) }]);
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Delivered");
    expect(await simulatorHandovers(id)).toBe(1);
  });
});

describe("lost queue messages", () => {
  it("a dropped dispatch message is recovered by the alarm while time remains", async () => {
    const { id } = await registerWithLostMessage();
    expect((await storedOrder(id)).handover).toBe("waiting");
    await shiftOrderTimes(id, ["dispatch_at"], -10_000); // the lost-message wait has passed
    expect(await fireAlarm(id)).toBe(true);
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Delivered");
    expect(await simulatorHandovers(id)).toBe(1);
  });
});

describe("the deadline", () => {
  it("nothing is handed over after the deadline: a late message finds SMS_Failed_TTL", async () => {
    const { id, message } = await registerWithLostMessage();
    await shiftOrderTimes(id, ["deadline"], -120_001);
    await deliver([message]);
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Failed_TTL");
    expect(await simulatorHandovers(id)).toBe(0);
  });

  it("the alarm at the deadline makes an undispatched SMS final even with no queue message at all", async () => {
    const { id } = await registerWithLostMessage();
    await shiftOrderTimes(id, ["deadline", "dispatch_at"], -120_001);
    await fireAlarm(id);
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("SMS_Failed_TTL");
    expect(await simulatorHandovers(id)).toBe(0);
  });

  it("the provider gets the remaining lifetime as the validity period", async () => {
    const { id } = await registerWithLostMessage();
    await shiftOrderTimes(id, ["deadline"], -30_000);
    const claim = await (await orderObjectOf(id)).claim(id);
    if (claim.kind !== "send") throw new Error(claim.reason);
    expect(claim.message.validitySeconds).toBeGreaterThan(85);
    expect(claim.message.validitySeconds).toBeLessThanOrEqual(90);
    expect(claim.timeoutMs).toBeLessThanOrEqual(90_000);
  });

  it("an alarm that fires twice changes nothing the second time", async () => {
    const { id } = await registerWithLostMessage();
    await shiftOrderTimes(id, ["deadline", "dispatch_at"], -120_001);
    await fireAlarm(id);
    const first = await waitForShipment(id, final);
    await runInDurableObject(await orderObjectOf(id), (instance) => instance.alarm());
    const second = await waitForShipment(id, final);
    expect(second).toEqual(first);
    await syncToD1(id);
    const { results } = await env.DB.prepare("SELECT status FROM status_events WHERE shipment_id = ? AND applied = 1").bind(id).all<{ status: string }>();
    expect(results.map((r) => r.status)).toEqual(["SMS_New", "SMS_Failed_TTL"]);
  });
});

describe("delivery reports", () => {
  it("late, repeated and backward reports are recorded and change nothing", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest()));
    const done = await waitForShipment(id, final);
    expect(done.recipients[0]!.status).toBe("SMS_Delivered");
    const order = await orderObjectOf(id);
    const providerRef = (await storedOrder(id)).provider_ref as string;
    expect((await order.report(id, { kind: "final", status: "SMS_Failed_Undelivered" }, "test:late", "test", providerRef)).kind).toBe("recorded");
    expect((await order.report(id, { kind: "progress", status: "SMS_Accepted" }, "test:backward", "test", providerRef)).kind).toBe("recorded");
    expect((await order.report(id, { kind: "progress", status: "SMS_Accepted" }, "test:backward", "test", providerRef)).kind).toBe("duplicate");
    expect(await waitForShipment(id, () => true)).toEqual(done);
    await syncToD1(id);
    const { results } = await env.DB.prepare("SELECT status, applied FROM status_events WHERE shipment_id = ? ORDER BY event_seq").bind(id).all();
    expect(results).toContainEqual({ status: "SMS_Failed_Undelivered", applied: 0 });
  });

  it("a report after an answer taken for a failure proves the hand-over: nothing is sent again", async () => {
    const { id } = await registerWithLostMessage();
    const order = await orderObjectOf(id);
    const claim = await order.claim(id);
    if (claim.kind !== "send") throw new Error(claim.reason);
    await order.record(id, claim.claimId, { kind: "transient", detail: "timeout" }); // the answer was lost
    await order.report(id, { kind: "progress", status: "SMS_Accepted" }, "test:sent", "test", "SMlost");
    await shiftOrderTimes(id, ["dispatch_at"], -60_000);
    expect(await order.claim(id)).toMatchObject({ kind: "skip" });
    expect((await storedOrder(id)).content).toBeNull();
  });

  it("a report naming another provider message is refused", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest()));
    await waitForShipment(id, final);
    const result = await (await orderObjectOf(id)).report(id, { kind: "final", status: "SMS_Failed" }, "test:forged", "test", "SMdeadbeef");
    expect(result.kind).toBe("unknown");
  });
});

describe("the validity period each provider call carries", () => {
  it("is the whole seconds left to the deadline at that call, so a retry never carries more than the call before", async () => {
    const deadline = 1_800_000_000_000;
    let clock = deadline - 119_999;
    vi.spyOn(Date, "now").mockImplementation(() => clock++); // a millisecond passes at each reading
    const calls: { at: number; validitySeconds: number }[] = [];
    const transient: Provider = { send: async (m) => (calls.push({ at: clock, validitySeconds: m.validitySeconds }), { kind: "transient", detail: "429" }) };
    const claimNow = (now: number) => ({
      kind: "send" as const,
      claimId: `c-${now}`,
      timeoutMs: 10_000,
      deadline,
      message: { channel: "sms" as const, shipmentId: "s-1", orderRef: "o-1", to: "+4799000001", from: "Altinn", body: "x", validitySeconds: Math.floor((deadline - now) / 1000) },
    });
    await handOver(claimNow(clock), [["twilio", transient], ["linkmobility", transient]]);
    clock += 3;
    await handOver(claimNow(clock), [["twilio", transient]]); // a retry, under a new claim
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call.validitySeconds).toBe(Math.floor((deadline - call.at + 1) / 1000));
    expect(calls.map((c) => c.validitySeconds)).toEqual([119, 119, 119]);
  });
});
