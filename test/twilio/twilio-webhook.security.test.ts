// The Twilio status-callback endpoint: only a callback Twilio signed, for the message it names, is
// applied, and only once. Every rejection is a problem+json and leaves the shipment as it was.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { postSms, problemOf, smsRequest } from "../support/api";
import { shipmentIdOf, shipmentState, waitForRecipientStatus } from "../support/shipments";
import { orderState } from "../support/order";
import { AUTH_TOKEN, callbackParams, fakeTwilio, postCallback, requestedUrl, sendStatus, uniqueMobile, type FakeTwilio, type TwilioRequest } from "../support/fake-twilio";

afterEach(() => vi.restoreAllMocks());

/** Registers an SMS through the API and waits until (fake) Twilio has accepted it. */
async function acceptedSms(twilio: FakeTwilio) {
  const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
  await waitForRecipientStatus(shipmentId, "SMS_Accepted");
  const handover = twilio.requestsFor(shipmentId)[0]!;
  expect(handover.sid).toMatch(/^SM[0-9a-f]{32}$/);
  return { shipmentId, handover };
}

/** Everything a callback could change: the API's view and the order object's state, events and seen reports. */
async function snapshot(shipmentId: string) {
  return { api: await shipmentState(shipmentId), order: await orderState(shipmentId) };
}

const withQuery = (url: string, name: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
};

describe("POST /webhooks/twilio/status", () => {
  it("accepts a correctly signed callback with 200 and applies it", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    const response = await sendStatus(handover, "delivered");
    expect(response.status).toBe(200);
    expect((await orderState(shipmentId)).row.status).toBe("SMS_Delivered");
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
  });

  it("during a rotation accepts a signature under TWILIO_AUTH_TOKEN_PREVIOUS too, never under an unrelated token; without it only TWILIO_AUTH_TOKEN", async () => {
    const twilio = fakeTwilio();
    const rotating = await acceptedSms(twilio);
    const settled = await acceptedSms(twilio);
    const signedWith = ({ handover }: typeof rotating, token: string) => postCallback(handover, delivered(handover), { token });
    try {
      env.TWILIO_AUTH_TOKEN = "test-auth-token-new";
      env.TWILIO_AUTH_TOKEN_PREVIOUS = AUTH_TOKEN; // Twilio still signs with the old one
      expect((await signedWith(rotating, "an-unrelated-token")).status).toBe(403);
      expect((await signedWith(rotating, AUTH_TOKEN)).status).toBe(200);
      expect((await orderState(rotating.shipmentId)).row.status).toBe("SMS_Delivered");

      delete env.TWILIO_AUTH_TOKEN_PREVIOUS; // the window closed: only the new token
      const before = await snapshot(settled.shipmentId);
      expect((await signedWith(settled, AUTH_TOKEN)).status).toBe(403);
      expect(await snapshot(settled.shipmentId)).toEqual(before);
      expect((await signedWith(settled, "test-auth-token-new")).status).toBe(200);
      expect((await orderState(settled.shipmentId)).row.status).toBe("SMS_Delivered");
    } finally {
      env.TWILIO_AUTH_TOKEN = AUTH_TOKEN;
      delete env.TWILIO_AUTH_TOKEN_PREVIOUS;
    }
  });

  it("accepts the signature Twilio computes over the URL with the default port spelled out", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    const url = handover.form.StatusCallback!;
    const response = await postCallback(handover, callbackParams(handover, "delivered"), {
      signedUrl: requestedUrl(url).replace("https://notifications.test/", "https://notifications.test:443/"),
    });
    expect(response.status).toBe(200);
    expect((await orderState(shipmentId)).row.status).toBe("SMS_Delivered");
  });

  type Attack = (ctx: { handover: TwilioRequest; other: TwilioRequest }) => Promise<Response>;
  const delivered = (h: TwilioRequest) => callbackParams(h, "delivered");

  const rejections: [name: string, status: number, attack: Attack][] = [
    ["an unsigned callback", 400, ({ handover }) => postCallback(handover, delivered(handover), { signature: null })],
    [
      "a tampered parameter (signed as sent, posted as delivered)",
      403,
      ({ handover }) => postCallback(handover, delivered(handover), { signedParams: callbackParams(handover, "sent") }),
    ],
    [
      "a parameter added after signing",
      403,
      ({ handover }) =>
        postCallback(handover, { ...callbackParams(handover, "failed"), ErrorCode: "30004" }, { signedParams: callbackParams(handover, "failed") }),
    ],
    ["a signature made with the wrong auth token", 403, ({ handover }) => postCallback(handover, delivered(handover), { token: "not-the-auth-token" })],
    ["a signature that is not Base64 HMAC at all", 403, ({ handover }) => postCallback(handover, delivered(handover), { signature: "c2lnbmF0dXJl" })],
    [
      "another shipment's genuine callback replayed against this shipment's URL",
      403,
      async ({ handover, other }) => postCallback(handover, delivered(handover), { signedUrl: requestedUrl(other.form.StatusCallback!) }),
    ],
    [
      "a signed callback whose URL was re-pointed at this shipment",
      403,
      async ({ handover, other }) =>
        postCallback(other, delivered(other), {
          url: withQuery(requestedUrl(other.form.StatusCallback!), "shipment", handover.shipmentId!),
          signedUrl: requestedUrl(other.form.StatusCallback!),
        }),
    ],
    [
      "a signature over another host's URL",
      403,
      ({ handover }) => postCallback(handover, delivered(handover), { signedUrl: requestedUrl(handover.form.StatusCallback!).replace("notifications.test", "attacker.test") }),
    ],
  ];

  it.each(rejections)("rejects %s with %i and changes nothing", async (_name, status, attack) => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    const { handover: other } = await acceptedSms(twilio);
    const before = await snapshot(shipmentId);

    const response = await attack({ handover, other });
    expect(response.status).toBe(status);
    expect((await problemOf(response)).status).toBe(status);
    expect(await snapshot(shipmentId)).toEqual(before);
    expect(before.api.recipientStatus).toBe("SMS_Accepted");

    // The rejected attempt spent nothing: Twilio's genuine callback still applies.
    expect((await sendStatus(handover, "delivered")).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
  });

  it("accepts a signature over the URL with Twilio's override fragment too", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    const response = await postCallback(handover, callbackParams(handover, "delivered"), { signedUrl: handover.form.StatusCallback! });
    expect(response.status).toBe(200);
    expect((await orderState(shipmentId)).row.status).toBe("SMS_Delivered");
  });

  // Twilio cannot fix a repeated or unmatched report: each is answered 200 (logged at info), so Twilio
  // neither retries it nor logs an error, and it changes nothing.
  it("answers a replay of an already processed callback with 200 and changes nothing", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    const params = callbackParams(handover, "delivered");
    expect((await postCallback(handover, params)).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    const before = await snapshot(shipmentId);

    const replay = await postCallback(handover, params);
    expect(replay.status).toBe(200);
    expect(await snapshot(shipmentId)).toEqual(before);
  });

  it.each([
    ["a shipment id no order has", (h: TwilioRequest) => withQuery(requestedUrl(h.form.StatusCallback!), "shipment", crypto.randomUUID())],
    ["a shipment id that is not a UUID", (h: TwilioRequest) => withQuery(requestedUrl(h.form.StatusCallback!), "shipment", "../../etc")],
  ])("answers a correctly signed callback for %s with 200 and changes nothing", async (_name, urlFor) => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    const before = await snapshot(shipmentId);

    const response = await postCallback(handover, callbackParams(handover, "delivered"), { url: urlFor(handover) }); // signed over that URL itself
    expect(response.status).toBe(200);
    expect(await snapshot(shipmentId)).toEqual(before);
  });

  it("answers a correctly signed callback naming another message of this shipment with 200 and changes nothing", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    const before = await snapshot(shipmentId);
    const stranger = { ...handover, sid: `SM${crypto.randomUUID().replaceAll("-", "")}` };

    const response = await postCallback(stranger, callbackParams(stranger, "delivered"));
    expect(response.status).toBe(200);
    expect(await snapshot(shipmentId)).toEqual(before);

    expect((await sendStatus(handover, "delivered")).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
  });
});
