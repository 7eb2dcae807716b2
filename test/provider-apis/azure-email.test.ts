// Email through Azure Communication Services (EMAIL_PROVIDER=azure), end to end. Only ACS's HTTP API is
// faked (test/support/fake-acs.ts, which checks every request's HMAC signature as ACS does); its delivery reports
// come as Event Grid posts them.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { emailRequest, postEmail, problemOf } from "../support/api";
import { eventually, shipmentIdOf, shipmentState, waitForRecipientStatus } from "../support/shipments";
import { orderState, orderObjectOf } from "../support/order";
import { driveDispatch } from "../support/drive";
import { ACS_EVENTS_SECRET, acsReply, deliveryEvent, EVENTS_URL, fakeAcs, postEvents, SEND_URL, validationEvent, type FakeAcs } from "../support/fake-acs";

afterEach(() => vi.restoreAllMocks());

const uniqueAddress = () => `user-${crypto.randomUUID()}@example.com`;

async function acceptedEmail(acs: FakeAcs) {
  const address = uniqueAddress();
  const shipmentId = await shipmentIdOf(await postEmail(emailRequest({ emailAddress: address })));
  await waitForRecipientStatus(shipmentId, "Email_Succeeded");
  return { shipmentId, address, handover: acs.requestsFor(shipmentId)[0]! };
}

describe("hand-over to ACS", () => {
  it("sends once, signed, with our shipment id as Operation-Id and a plain-text part beside the HTML; a Delivered event completes the order", async () => {
    const acs = fakeAcs();
    const address = uniqueAddress();
    const request = emailRequest({ emailAddress: address, body: "<p>Your code is 428516</p>" });
    const shipmentId = await shipmentIdOf(await postEmail(request));
    expect((await postEmail(request)).status).toBe(200);

    await waitForRecipientStatus(shipmentId, "Email_Succeeded");
    const [handover] = acs.requestsFor(shipmentId);
    expect(handover).toMatchObject({ url: SEND_URL, operationId: shipmentId, signatureValid: true, httpStatus: 202 });
    expect(handover!.body).toEqual({
      senderAddress: "noreply@example.com",
      recipients: { to: [{ address }] },
      content: { subject: "One-time code", html: "<p>Your code is 428516</p>", plainText: "Your code is 428516" },
      userEngagementTrackingDisabled: true,
    });
    const { row, events } = await orderState(shipmentId);
    expect(row).toMatchObject({ status: "Email_Succeeded", provider_ref: shipmentId });
    expect(events.find((e) => e.status === "Email_Succeeded")).toMatchObject({ applied: 1, source: "provider azure" });

    expect((await postEvents([deliveryEvent(shipmentId, address, "Delivered")])).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, "Email_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "Email_Delivered" });
    expect(acs.requestsFor(shipmentId)).toHaveLength(1);
  });

  it.each([
    ["Bounced", "Email_Failed_Bounced"],
    ["Suppressed", "Email_Failed_SuppressedRecipient"],
    ["FilteredSpam", "Email_Failed_FilteredSpam"],
    ["Quarantined", "Email_Failed_Quarantined"],
    ["Failed", "Email_Failed"],
    ["Expanded", "Email_Failed"],
  ])("maps a delivery report with status %s to %s", async (status, expected) => {
    const acs = fakeAcs();
    const { shipmentId, address } = await acceptedEmail(acs);
    expect((await postEvents([deliveryEvent(shipmentId, address, status)])).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, expected)).toEqual({ status: "Order_Completed", recipientStatus: expected });
  });

  it("honours retry-after on a 429, then sends again and is accepted", async () => {
    const acs = fakeAcs();
    const address = uniqueAddress();
    acs.script(address, [acsReply.tooManyRequests("2"), acsReply.accepted()]);
    const shipmentId = await shipmentIdOf(await postEmail(emailRequest({ emailAddress: address })));
    // The 429 is recorded with the retry set no sooner than its retry-after; the test then makes it due
    // and runs the alarm, rather than waiting the two seconds.
    const stub = await orderObjectOf(shipmentId);
    const retryAt = await vi.waitFor(() =>
      runInDurableObject(stub, (_order, state) => {
        const row = state.storage.sql.exec<{ handover: string; dispatch_at: number }>("SELECT handover, dispatch_at FROM shipment WHERE id = 1").one();
        if (acs.requestsFor(shipmentId)[0]?.httpStatus !== 429 || row.handover !== "waiting") throw new Error("the 429 is not recorded yet");
        return row.dispatch_at;
      }),
    );
    expect(retryAt - acs.requestsFor(shipmentId)[0]!.at).toBeGreaterThanOrEqual(2_000);
    expect(acs.requestsFor(shipmentId)).toHaveLength(1);
    await runInDurableObject(stub, (_order, state) => state.storage.sql.exec("UPDATE shipment SET dispatch_at = ? WHERE id = 1", Date.now()));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await waitForRecipientStatus(shipmentId, "Email_Succeeded");
    const requests = acs.requestsFor(shipmentId);
    expect(requests.map((r) => r.httpStatus)).toEqual([429, 202]);
    expect(requests.every((r) => r.signatureValid)).toBe(true);
  });

  it("takes 'Invalid format for email address' as Email_Failed_InvalidFormat at once", async () => {
    const acs = fakeAcs();
    const address = uniqueAddress();
    acs.script(address, [acsReply.invalidAddress()]);
    const shipmentId = await shipmentIdOf(await postEmail(emailRequest({ emailAddress: address })));
    expect(await waitForRecipientStatus(shipmentId, "Email_Failed_InvalidFormat")).toEqual({ status: "Order_Completed", recipientStatus: "Email_Failed_InvalidFormat" });
    expect(acs.requestsFor(shipmentId)).toHaveLength(1);
  });

  it("keeps a call whose answer never came in doubt, never sends it again, and its report settles it", async () => {
    const acs = fakeAcs();
    const address = uniqueAddress();
    acs.script(address, [acsReply.hang(), acsReply.accepted()]);
    const shipmentId = await shipmentIdOf(await postEmail(emailRequest({ emailAddress: address })));
    await eventually(() => orderState(shipmentId), (s) => s.row.handover === "in_doubt", { what: "the hand-over in doubt" });
    // Whatever could send it again runs now: its alarm (every retry time passed) and a dispatch message.
    expect(await driveDispatch(shipmentId, "email")).toEqual({ enqueuedByAlarm: 0 });
    expect(acs.requestsFor(shipmentId)).toHaveLength(1);
    expect((await orderState(shipmentId)).row).toMatchObject({ handover: "in_doubt", attempts: 1 });
    expect((await postEvents([deliveryEvent(shipmentId, address, "Delivered")])).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "Email_Delivered");
  });
});

describe("POST /webhooks/azure-email/events", () => {
  it("answers the subscription-validation handshake with its code", async () => {
    const response = await postEvents([validationEvent("512d38b6-c7b8-40c8-89fe-f46f9e9622b6")], { type: "SubscriptionValidation" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });
  });

  it("answers the CloudEvents OPTIONS handshake by allowing the requesting origin", async () => {
    const response = await exports.default.fetch(
      new Request(`${EVENTS_URL}?accesskey=acs-events-secret`, { method: "OPTIONS", headers: { "WebHook-Request-Origin": "eventgrid.azure.net" } }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
  });

  it.each([
    ["no access key", null],
    ["a wrong access key", "not-the-secret"],
    ["an empty access key", ""],
  ])("answers 401 for %s, to the handshake and to reports alike, and changes nothing", async (_name, accesskey) => {
    const acs = fakeAcs();
    const { shipmentId, address } = await acceptedEmail(acs);
    const before = await orderState(shipmentId);
    const validation = await postEvents([validationEvent("code")], { accesskey, type: "SubscriptionValidation" });
    expect(validation.status).toBe(401);
    const report = await postEvents([deliveryEvent(shipmentId, address, "Delivered")], { accesskey });
    expect(report.status).toBe(401);
    expect((await problemOf(report)).status).toBe(401);
    expect(await orderState(shipmentId)).toEqual(before);
  });

  it("during a rotation accepts ACS_EVENTS_SECRET_PREVIOUS too, never an unrelated key; without it only ACS_EVENTS_SECRET", async () => {
    const acs = fakeAcs();
    const rotating = await acceptedEmail(acs);
    const settled = await acceptedEmail(acs);
    const delivered = ({ shipmentId, address }: typeof rotating, accesskey: string) => postEvents([deliveryEvent(shipmentId, address, "Delivered")], { accesskey });
    try {
      env.ACS_EVENTS_SECRET = "acs-events-secret-new";
      env.ACS_EVENTS_SECRET_PREVIOUS = ACS_EVENTS_SECRET; // the subscription still carries the old one
      expect((await delivered(rotating, "not-the-secret")).status).toBe(401);
      expect((await postEvents([validationEvent("code")], { accesskey: ACS_EVENTS_SECRET, type: "SubscriptionValidation" })).status).toBe(200);
      expect((await delivered(rotating, ACS_EVENTS_SECRET)).status).toBe(200);
      await waitForRecipientStatus(rotating.shipmentId, "Email_Delivered");

      delete env.ACS_EVENTS_SECRET_PREVIOUS; // the window closed: only the new key
      const before = await orderState(settled.shipmentId);
      expect((await delivered(settled, ACS_EVENTS_SECRET)).status).toBe(401);
      expect(await orderState(settled.shipmentId)).toEqual(before);
      expect((await delivered(settled, "acs-events-secret-new")).status).toBe(200);
      await waitForRecipientStatus(settled.shipmentId, "Email_Delivered");
    } finally {
      env.ACS_EVENTS_SECRET = ACS_EVENTS_SECRET;
      delete env.ACS_EVENTS_SECRET_PREVIOUS;
    }
  });

  it("answers 400 for a body that is not an Event Grid batch", async () => {
    expect((await postEvents([{ nope: true }])).status).toBe(400);
    expect((await postEvents([])).status).toBe(400);
  });

  it("answers a repeated event, an unknown message and other event types 200, and changes nothing", async () => {
    const acs = fakeAcs();
    const { shipmentId, address } = await acceptedEmail(acs);
    const delivered = deliveryEvent(shipmentId, address, "Delivered");
    expect((await postEvents([delivered])).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "Email_Delivered");
    const before = await orderState(shipmentId);

    expect((await postEvents([delivered])).status).toBe(200);
    expect((await postEvents([deliveryEvent(crypto.randomUUID(), address, "Bounced")])).status).toBe(200);
    expect((await postEvents([{ ...delivered, id: crypto.randomUUID(), eventType: "Microsoft.Communication.EmailEngagementTrackingReportReceived" }])).status).toBe(200);
    expect(await orderState(shipmentId)).toEqual(before);
    expect(await shipmentState(shipmentId)).toEqual({ status: "Order_Completed", recipientStatus: "Email_Delivered" });
  });

  it("applies a batch of reports for several shipments", async () => {
    const acs = fakeAcs();
    const [a, b] = [await acceptedEmail(acs), await acceptedEmail(acs)];
    expect((await postEvents([deliveryEvent(a.shipmentId, a.address, "Delivered"), deliveryEvent(b.shipmentId.toUpperCase(), b.address, "Bounced")])).status).toBe(200);
    await waitForRecipientStatus(a.shipmentId, "Email_Delivered");
    await waitForRecipientStatus(b.shipmentId, "Email_Failed_Bounced");
  });
});
