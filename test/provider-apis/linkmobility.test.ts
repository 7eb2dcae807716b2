// SMS through LINK Mobility (the first of SMS_PROVIDERS here), end to end: the real API, queue and
// order object; only LINK's HTTP API is faked (test/support/fake-link.ts), and its delivery reports are posted as
// LINK posts them to our gate's URL.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OrderObject } from "../../src/orders/order-object";
import { postSms, problemOf, smsRequest } from "../support/api";
import { eventually, shipmentIdOf, shipmentState, waitForRecipientStatus } from "../support/shipments";
import { orderState } from "../support/order";
import { uniqueMobile } from "../support/fake-fetch";
import { fakeTwilio } from "../support/fake-twilio";
import {
  deliveryReport,
  fakeLink,
  LINK_BASE_URL,
  LINK_DR_SECRET,
  LINK_GATE_ID,
  LINK_PASSWORD,
  LINK_PLATFORM_ID,
  LINK_PLATFORM_PARTNER_ID,
  LINK_USERNAME,
  linkReply,
  postDeliveryReport,
  sendDr,
  type FakeLink,
} from "../support/fake-link";

afterEach(() => vi.restoreAllMocks());

async function queuedSms(link: FakeLink, ttl = 120) {
  const to = uniqueMobile();
  const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to, ttl })));
  await waitForRecipientStatus(shipmentId, "SMS_Accepted");
  return { shipmentId, to, handover: link.requestsFor(shipmentId)[0]! };
}

describe("hand-over to LINK Mobility", () => {
  it("sends once in LINK's JSON, and a delivery report completes the order", async () => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    const request = smsRequest({ phoneNumber: to, ttl: 120, body: "Your code is 428516" });
    const shipmentId = await shipmentIdOf(await postSms(request));
    expect((await postSms(request)).status).toBe(200); // a replay sends nothing

    await waitForRecipientStatus(shipmentId, "SMS_Accepted");
    const [handover] = link.requestsFor(shipmentId);
    expect(handover!.url).toBe(`${LINK_BASE_URL}/sms/send`);
    expect(handover!.authorization).toBe(`Basic ${btoa(`${LINK_USERNAME}:${LINK_PASSWORD}`)}`);
    expect(handover!.body).toMatchObject({
      source: "Altinn",
      sourceTON: "ALPHANUMERIC",
      destination: to,
      userData: "Your code is 428516",
      platformId: LINK_PLATFORM_ID,
      platformPartnerId: LINK_PLATFORM_PARTNER_ID,
      useDeliveryReport: true,
      deliveryReportGates: [LINK_GATE_ID],
      refId: shipmentId,
      ignoreResponse: false,
    });
    const validity = handover!.body.relativeValidityTime as number;
    expect(validity).toBeLessThanOrEqual(120_000);
    expect(validity).toBeGreaterThan(115_000);

    const { row, events } = await orderState(shipmentId);
    expect(row).toMatchObject({ status: "SMS_Accepted", provider_ref: handover!.messageId, attempts: 1 });
    expect(events.find((e) => e.status === "SMS_Accepted")).toMatchObject({ applied: 1, source: "provider linkmobility" });

    expect((await sendDr(handover!, 1001)).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
    expect(link.requestsFor(shipmentId)).toHaveLength(1);
    expect(twilio.requests).toHaveLength(0);
  });

  it.each([
    [2104, "SMS_Failed_InvalidRecipient"],
    [2106, "SMS_Failed_InvalidRecipient"],
    [2105, "SMS_Failed_BarredReceiver"],
    [1004, "SMS_Failed_Undelivered"],
    [4001, "SMS_Failed_Rejected"],
    [2205, "SMS_Failed_Rejected"],
    [1002, "SMS_Failed_TTL"],
    [1010, "SMS_Failed"],
    [2299, "SMS_Failed"],
  ])("maps a delivery report with resultCode %i to %s", async (resultCode, expected) => {
    const link = fakeLink();
    const { shipmentId, handover } = await queuedSms(link);
    expect((await sendDr(handover, resultCode)).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, expected)).toEqual({ status: "Order_Completed", recipientStatus: expected });
  });

  it("keeps the status on a temporary result code, and a later final report applies", async () => {
    const link = fakeLink();
    const { shipmentId, handover } = await queuedSms(link);
    expect((await sendDr(handover, 1007)).status).toBe(200);
    const { row, events } = await orderState(shipmentId);
    expect(row.status).toBe("SMS_Accepted");
    expect(events.at(-1)).toMatchObject({ applied: 0, source: "linkmobility 1007" });
    expect((await sendDr(handover, 1001)).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
  });

  it("takes a 400 as final (SMS_Failed) at once: no retry, no other provider", async () => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    link.script(to, [linkReply.badRequest()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    expect(await waitForRecipientStatus(shipmentId, "SMS_Failed")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Failed" });
    expect(link.requestsFor(shipmentId)).toHaveLength(1);
    expect(twilio.requests).toHaveLength(0);
    expect((await orderState(shipmentId)).events.at(-1)).toMatchObject({ status: "SMS_Failed", applied: 1, detail: "linkmobility 106000" });
  });
});

describe("POST /webhooks/linkmobility/dr", () => {
  const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

  it.each([
    ["no credentials", null],
    ["a wrong password", basic("linkmobility", "not-the-secret")],
    ["a wrong user", basic("someone", LINK_DR_SECRET)],
    ["credentials that are not Base64", "Basic %%%"],
    ["another scheme", `Bearer ${LINK_DR_SECRET}`],
  ])("answers 401 for %s and changes nothing", async (_name, authorization) => {
    const link = fakeLink();
    const { shipmentId, handover } = await queuedSms(link);
    const before = await orderState(shipmentId);
    const response = await postDeliveryReport(deliveryReport(handover, 1001), { authorization });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm="linkmobility"/);
    expect((await problemOf(response)).status).toBe(401);
    expect(await orderState(shipmentId)).toEqual(before);
  });

  it("during a rotation accepts LINK_DR_SECRET_PREVIOUS too, never an unrelated password; without it only LINK_DR_SECRET", async () => {
    const link = fakeLink();
    const rotating = await queuedSms(link);
    const settled = await queuedSms(link);
    const report = (handover: typeof rotating.handover, password: string) => postDeliveryReport(deliveryReport(handover, 1001), { authorization: basic("linkmobility", password) });
    try {
      env.LINK_DR_SECRET = "link-dr-secret-new";
      env.LINK_DR_SECRET_PREVIOUS = LINK_DR_SECRET; // LINK still sends the old one
      expect((await report(rotating.handover, "not-the-secret")).status).toBe(401);
      expect((await report(rotating.handover, LINK_DR_SECRET)).status).toBe(200);
      await waitForRecipientStatus(rotating.shipmentId, "SMS_Delivered");

      delete env.LINK_DR_SECRET_PREVIOUS; // the window closed: only the new password
      const before = await orderState(settled.shipmentId);
      expect((await report(settled.handover, LINK_DR_SECRET)).status).toBe(401);
      expect(await orderState(settled.shipmentId)).toEqual(before);
      expect((await report(settled.handover, "link-dr-secret-new")).status).toBe(200);
      await waitForRecipientStatus(settled.shipmentId, "SMS_Delivered");
    } finally {
      env.LINK_DR_SECRET = LINK_DR_SECRET;
      delete env.LINK_DR_SECRET_PREVIOUS;
    }
  });

  it("answers 400 for a body that is not a delivery report, and 415 for one that is not JSON", async () => {
    const link = fakeLink();
    const { handover } = await queuedSms(link);
    expect((await postDeliveryReport({ id: handover.messageId, resultCode: 1001 })).status).toBe(400); // no refId
    expect((await postDeliveryReport("refId=x&id=y&resultCode=1001", { contentType: "application/x-www-form-urlencoded" })).status).toBe(415);
  });

  it("answers a repeated report and one for an unknown message 200, and changes nothing", async () => {
    const link = fakeLink();
    const { shipmentId, handover } = await queuedSms(link);
    expect((await sendDr(handover, 1001)).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    const before = await orderState(shipmentId);

    expect((await sendDr(handover, 1001)).status).toBe(200);
    expect((await postDeliveryReport({ ...deliveryReport(handover, 2104), refId: crypto.randomUUID() })).status).toBe(200);
    expect((await postDeliveryReport({ ...deliveryReport(handover, 2104), id: "another-message" })).status).toBe(200);
    expect(await orderState(shipmentId)).toEqual(before);
    expect(await shipmentState(shipmentId)).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
  });

  it("applies a report that overtakes LINK's answer, and the late answer neither regresses nor re-sends", async () => {
    const link = fakeLink();
    const recorded = vi.spyOn(OrderObject.prototype, "record");
    const to = uniqueMobile();
    let answer!: () => void;
    link.script(to, [{ kind: "queued", hold: new Promise<void>((resolve) => (answer = resolve)) }]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    const [handover] = await eventually(async () => link.requestsFor(shipmentId), (r) => r.length === 1, { what: "the hand-over" });
    expect((await sendDr(handover!, 1001)).status).toBe(200);
    expect((await orderState(shipmentId)).row).toMatchObject({ status: "SMS_Delivered", handover: "accepted" });
    answer();
    await eventually(async () => recorded.mock.calls.filter(([id]) => id === shipmentId), (calls) => calls.length === 1, { what: "the late answer recorded" });
    await recorded.mock.results.at(-1)!.value;
    expect((await orderState(shipmentId)).row).toMatchObject({ status: "SMS_Delivered", attempts: 1, provider_ref: handover!.messageId });
    expect(link.requestsFor(shipmentId)).toHaveLength(1);
  });
});
