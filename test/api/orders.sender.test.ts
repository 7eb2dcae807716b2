// smsSettings.sender as Altinn's own clients send it: any string of at most 1,000 characters is
// registered; it is sent as given when every configured SMS provider carries it (here the simulators
// `primary,secondary`: the printable ASCII characters of the GSM-7 basic table), else the default is
// sent, the answer and its replays say `Sender-Replaced: true`, and the status history says why.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, postSms, problemOf, smsRequest } from "../support/api";
import { d1Events, shipmentIdOf, waitForShipment } from "../support/shipments";
import { syncToD1 } from "../support/order";

interface OutboxJson {
  messages: { shipmentId: string; from: string; provider: string; timeline: { status: string; applied: boolean; source: string; detail?: string }[] }[];
}

const outboxMessage = async (shipmentId: string) => {
  const { messages } = (await (await exports.default.fetch("http://localhost/outbox/messages.json")).json()) as OutboxJson;
  return messages.find((m) => m.shipmentId === shipmentId);
};

const withSender = (sender: unknown) => {
  const request = smsRequest();
  return { ...request, recipientSms: { ...request.recipientSms, smsSettings: { ...request.recipientSms.smsSettings, sender } } };
};

const BRUNO_SENDER = "(TEST) Instant SMS Test"; // Altinn's `Send Instant SMS.bru`
const REASON = "sender replaced by the default (Altinn): a name of more than 11 characters";

describe("smsSettings.sender, as Altinn's clients send it", () => {
  it("sends Altinn-test (Altinn's load-test bodies) as given: 201 without Sender-Replaced, and the simulator gets it", async () => {
    const response = await postSms(withSender("Altinn-test"));
    expect(response.headers.get("Sender-Replaced")).toBeNull();
    const id = await shipmentIdOf(response);
    await waitForShipment(id, (s) => s.status === "Order_Completed");
    expect(await outboxMessage(id)).toMatchObject({ from: "Altinn-test", provider: "primary" });
  });

  it("registers '(TEST) Instant SMS Test' (Altinn's Bruno request) with Sender-Replaced, sends the default, and says why", async () => {
    expect(env.DEFAULT_SMS_SENDER).toBe("Altinn");
    const request = withSender(BRUNO_SENDER);
    const first = await postSms(request);
    expect(first.status).toBe(201);
    expect(first.headers.get("Sender-Replaced")).toBe("true");
    const body = await first.json<{ notification: { shipmentId: string } }>();
    const id = body.notification.shipmentId;
    await waitForShipment(id, (s) => s.status === "Order_Completed" && s.recipients[0]!.status === "SMS_Delivered");

    // The simulator was handed the default; the outbox's timeline says why.
    const shown = await outboxMessage(id);
    expect(shown?.from).toBe("Altinn");
    expect(shown?.timeline[0]).toMatchObject({ status: "SMS_New", applied: true, source: "registration", detail: REASON });

    // A replay of the same request is the same request (its fingerprint covers the sender as given): 200, the header again.
    const replay = await postSms(request);
    expect(replay.status).toBe(200);
    expect(replay.headers.get("Sender-Replaced")).toBe("true");
    expect(await replay.json()).toEqual(body);

    // The status history D1 keeps says it too.
    await syncToD1(id);
    expect((await d1Events(id))[0]).toMatchObject({ status: "SMS_New", applied: 1, source: "registration", detail: REASON });
  });

  it("compares the sender as given: another sender that would be replaced by the same default is another request", async () => {
    const request = withSender("(TEST) Instant SMS Test");
    expect((await postSms(request)).status).toBe(201);
    const other = await postSms({ ...request, recipientSms: { ...request.recipientSms, smsSettings: { ...request.recipientSms.smsSettings, sender: "(TEST) Other SMS Test" } } });
    // Not a replay of the first (whatever a different request under a used key answers: 422, or 200 marked as a mismatch).
    expect(other.status === 422 || other.headers.get("Idempotency-Mismatch") === "true").toBe(true);
  });

  it("answers the deprecated endpoint's 201 and replay with Sender-Replaced too", async () => {
    const { recipientSms, ...rest } = withSender("Altinn & Co (test)");
    const request = { ...rest, recipient: { recipientSms } };
    const first = await call("POST", "/future/orders/instant", request);
    expect(first.status).toBe(201);
    expect(first.headers.get("Sender-Replaced")).toBe("true");
    const replay = await call("POST", "/future/orders/instant", request);
    expect(replay.status).toBe(200);
    expect(replay.headers.get("Sender-Replaced")).toBe("true");
  });

  it("replays a request whose sender was sent as given without the header", async () => {
    const request = withSender("Altinn-test");
    await shipmentIdOf(await postSms(request));
    const replay = await postSms(request);
    expect(replay.status).toBe(200);
    expect(replay.headers.get("Sender-Replaced")).toBeNull();
  });

  it.each([
    ["a name of 12 characters", "AltinnAltinn"],
    ["a character outside GSM-7's basic table", "Altinn[no]"],
    ["a non-ASCII letter", "Ålesund"],
    ["a number of 16 digits", "1234567890123456"],
    ["digits and a space", "123 45"],
    ["a control character", "Alt\u0001inn"],
    ["1,000 characters", "s".repeat(1000)],
  ])("registers a sender with %s, sent as the default", async (_label, sender) => {
    const response = await postSms(withSender(sender));
    expect(response.status).toBe(201);
    expect(response.headers.get("Sender-Replaced")).toBe("true");
  });

  it.each([["Ali-nn"], ["Alt_inn"], ["NAV (Oslo)"], ["+4799999999"], ["2270"]])("sends %j as given", async (sender) => {
    const response = await postSms(withSender(sender));
    expect(response.status).toBe(201);
    expect(response.headers.get("Sender-Replaced")).toBeNull();
  });

  it.each([
    ["1,001 characters", "s".repeat(1001), "At most 1000 characters."],
    ["a lone surrogate", "Altinn\ud800", "Must be well-formed Unicode text."],
    ["a number", 12345, undefined],
  ])("answers 400 for a sender of %s", async (_label, sender, message) => {
    const response = await postSms(withSender(sender));
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(Object.keys(problem.errors ?? {})).toEqual(["recipientSms.smsSettings.sender"]);
    if (message) expect(problem.errors!["recipientSms.smsSettings.sender"]).toEqual([message]);
  });
});
