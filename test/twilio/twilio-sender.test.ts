// The SMS sender through Twilio (SMS_PROVIDERS="twilio"): Twilio carries letters, digits, space and
// `- + _ &`, so `Altinn-test` goes out as given and `(TEST) Instant SMS Test` goes out as the default;
// a sender Twilio still refuses (21212) ends the shipment SMS_Failed at once, after one call.
import { afterEach, describe, expect, it, vi } from "vitest";
import { postSms, smsRequest } from "../support/api";
import { driveDispatch } from "../support/drive";
import { eventually, shipmentIdOf, waitForRecipientStatus } from "../support/shipments";
import { orderState } from "../support/order";
import { fakeTwilio, reply, uniqueMobile, type FakeTwilio } from "../support/fake-twilio";

afterEach(() => vi.restoreAllMocks());

const withSender = (sender: string, phoneNumber = uniqueMobile()) => {
  const request = smsRequest({ phoneNumber });
  return { ...request, recipientSms: { ...request.recipientSms, smsSettings: { ...request.recipientSms.smsSettings, sender } } };
};

const handedOver = (twilio: FakeTwilio, shipmentId: string) =>
  eventually(async () => twilio.requestsFor(shipmentId), (r) => r.length >= 1, { what: `the hand-over of ${shipmentId} to Twilio` });

describe("the sender Twilio is given", () => {
  it("is Altinn-test as given", async () => {
    const twilio = fakeTwilio();
    const response = await postSms(withSender("Altinn-test"));
    expect(response.headers.get("Sender-Replaced")).toBeNull();
    const id = await shipmentIdOf(response);
    const [handover] = await handedOver(twilio, id);
    expect(handover!.form.From).toBe("Altinn-test");
  });

  it("is the default for '(TEST) Instant SMS Test', and the history names the character Twilio does not carry", async () => {
    const twilio = fakeTwilio();
    const request = withSender("(TEST) Instant SMS Test");
    const response = await postSms(request);
    expect(response.headers.get("Sender-Replaced")).toBe("true");
    const id = await shipmentIdOf(response);
    const [handover] = await handedOver(twilio, id);
    expect(handover!.form.From).toBe("Altinn");
    const { events } = await orderState(id);
    expect(events[0]).toMatchObject({ status: "SMS_New", source: "registration", detail: "sender replaced by the default (Altinn): '(' is not carried by twilio" });

    const replay = await postSms(request);
    expect(replay.status).toBe(200);
    expect(replay.headers.get("Sender-Replaced")).toBe("true");
    expect(twilio.requestsFor(id)).toHaveLength(1);
  });
});

describe("a sender Twilio refuses", () => {
  it("ends SMS_Failed at once: one call, no retry, and the history says the sender was refused", async () => {
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    twilio.script(to, [reply.invalidFrom(), reply.created()]);
    // A sender Twilio's rule allows (the default) that this account still may not send from.
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    expect(await waitForRecipientStatus(id, "SMS_Failed")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Failed" });

    const { row, events } = await orderState(id);
    expect(row).toMatchObject({ status: "SMS_Failed", handover: "done", attempts: 1 });
    expect(events.at(-1)).toMatchObject({
      status: "SMS_Failed",
      applied: 1,
      source: "provider twilio",
      detail: "the provider refused the sender (twilio 21212); nothing was sent",
    });
    // Whatever could hand it over again runs now: nothing does.
    expect(await driveDispatch(id)).toEqual({ enqueuedByAlarm: 0 });
    expect(twilio.requestsFor(id)).toHaveLength(1);
  });
});
