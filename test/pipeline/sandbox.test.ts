// Every sandbox recipient (docs/providers.md) reaches its outcome through the real queues, Durable Objects and D1.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { emailRequest, postEmail, postSms, smsRequest } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { fireAlarm, orderObjectOf, shiftOrderTimes, simulatorAttempts, simulatorHandovers, storedOrder } from "../support/order";
import { driveDispatch } from "../support/drive";
import { loseNextQueueMessage } from "../support/queue";

const final = (s: { status: string }) => s.status === "Order_Completed";
const graceMs = Number(env.SMS_REPORT_GRACE_SECONDS) * 1000;

describe("sandbox SMS recipients", () => {
  it.each([
    ["+4799999999", "SMS_Delivered", 1],
    ["+4740000001", "SMS_Failed_InvalidRecipient", 0],
    ["+4740000002", "SMS_Failed_Undelivered", 1],
    ["+4740000004", "SMS_Delivered", 1],
    ["+4740000006", "SMS_Failed_BarredReceiver", 1],
  ])("%s ends %s with %i hand-over(s)", async (phoneNumber, status, handovers) => {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber })));
    const shipment = await waitForShipment(id, final);
    expect(shipment.recipients[0]!.status).toBe(status);
    expect(await simulatorHandovers(id)).toBe(handovers);
  });

  it("+4740000004 is retried after two transient failures", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000004" })));
    await waitForShipment(id, final);
    expect(await simulatorAttempts(id)).toBe(3);
  });

  it("+4740000003 is accepted, never reported, and becomes SMS_Failed_TTL after deadline + grace", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000003" })));
    await waitForShipment(id, (s) => s.recipients[0]!.status === "SMS_Accepted");
    await fireAlarm(id); // before the deadline: changes nothing
    expect((await waitForShipment(id, () => true)).recipients[0]!.status).toBe("SMS_Accepted");

    await shiftOrderTimes(id, ["deadline"], -(120_000 + graceMs - 5_000)); // just short of deadline + grace
    await fireAlarm(id);
    expect((await waitForShipment(id, () => true)).recipients[0]!.status).toBe("SMS_Accepted");

    await shiftOrderTimes(id, ["deadline"], -6_000);
    await fireAlarm(id);
    const shipment = await waitForShipment(id, final);
    expect(shipment.recipients[0]!.status).toBe("SMS_Failed_TTL");
  });

  it("+4740000005 fails transiently every time and becomes SMS_Failed_TTL at the deadline, with no attempt after it", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000005" })));
    await vi.waitFor(async () => expect(await simulatorAttempts(id)).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 25 });

    await shiftOrderTimes(id, ["deadline"], -120_000);
    await fireAlarm(id);
    const shipment = await waitForShipment(id, final);
    expect(shipment.recipients[0]!.status).toBe("SMS_Failed_TTL");
    const attemptsAtDeadline = await simulatorAttempts(id);
    // Whatever could hand it over again runs now: its alarm (every retry time passed) and a dispatch message.
    expect(await driveDispatch(id)).toEqual({ enqueuedByAlarm: 0 });
    expect(await simulatorAttempts(id)).toBe(attemptsAtDeadline);
    expect(await storedOrder(id)).toMatchObject({ status: "SMS_Failed_TTL", handover: "done" });
    expect(await simulatorHandovers(id)).toBe(0);
  });
});

describe("sandbox email recipients", () => {
  it.each([
    ["user@example.com", "Email_Delivered"],
    ["bounce@sandbox.example", "Email_Failed_Bounced"],
    ["spam@sandbox.example", "Email_Failed_FilteredSpam"],
    ["quarantine@sandbox.example", "Email_Failed_Quarantined"],
    ["suppressed@sandbox.example", "Email_Failed_SuppressedRecipient"],
    ["invalid@sandbox.example", "Email_Failed_InvalidFormat"],
    ["transient@sandbox.example", "Email_Delivered"],
  ])("%s ends %s", async (emailAddress, status) => {
    const id = await shipmentIdOf(await postEmail(emailRequest({ emailAddress })));
    const shipment = await waitForShipment(id, final);
    expect(shipment.recipients[0]!.status).toBe(status);
  });

  it("an accepted email with no final report becomes Email_Failed_TTL 48 hours after registration", async () => {
    // Hold the dispatch message back and play the consumer: the provider accepts, then never reports.
    loseNextQueueMessage(env.EMAIL_QUEUE);
    const id = await shipmentIdOf(await postEmail(emailRequest()));
    vi.restoreAllMocks();
    const order = await orderObjectOf(id);
    const claim = await order.claim(id);
    if (claim.kind !== "send") throw new Error(`expected a claim, got ${claim.reason}`);
    await order.record(id, claim.claimId, { kind: "accepted", status: "Email_Succeeded", providerRef: "cf-message-1" });
    expect((await waitForShipment(id, () => true)).recipients[0]!.status).toBe("Email_Succeeded");

    await shiftOrderTimes(id, ["deadline"], -(48 * 3600 * 1000) + 1000); // a second short of 48 hours
    await fireAlarm(id);
    expect((await waitForShipment(id, () => true)).recipients[0]!.status).toBe("Email_Succeeded");
    await shiftOrderTimes(id, ["deadline"], -1000);
    await fireAlarm(id);
    expect((await waitForShipment(id, final)).recipients[0]!.status).toBe("Email_Failed_TTL");
  });
});

describe("the message body", () => {
  it("is held by the order until the hand-over is final, then erased; never in D1", async () => {
    const code = `${Math.floor(100000 + Math.random() * 899999)}`;
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000003", body: `Your code is ${code}` })));
    await waitForShipment(id, (s) => s.recipients[0]!.status === "SMS_Accepted");
    expect((await storedOrder(id)).content).toBeNull();

    for (const table of ["shipments", "recipients", "status_events", "feed"]) {
      const { results } = await env.DB.prepare(`SELECT * FROM ${table}`).all();
      expect(JSON.stringify(results)).not.toContain(code);
    }
  });

  it("is sealed while held, and erased when the shipment fails at the deadline without a hand-over", async () => {
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000005", body: "Your code is 55667788" })));
    const held = (await storedOrder(id)).content as string;
    expect(held).not.toBeNull();
    expect(held).not.toContain("55667788");
    await shiftOrderTimes(id, ["deadline"], -120_000);
    await fireAlarm(id);
    await waitForShipment(id, final);
    expect((await storedOrder(id)).content).toBeNull();
  });
});
