// LINK Mobility and ACS answers as pure mappings.
import { describe, expect, it } from "vitest";
import { mapAcsDeliveryStatus, mapAcsSendResponse, readEventGridEvent } from "../../../src/providers/azure-email/status-map";
import { sourceTon } from "../../../src/providers/linkmobility/client";
import { mapLinkResultCode, mapLinkSendResponse } from "../../../src/providers/linkmobility/status-map";
import { mapTwilioSendResponse } from "../../../src/providers/twilio/status-map";

// One rule (`notProcessed`, src/providers/http.ts) read by every provider's send answer alike.
describe("a send answer that was not processed, by every provider", () => {
  const senders = [
    ["linkmobility", (status: number) => mapLinkSendResponse(status, {})],
    ["azure", (status: number) => mapAcsSendResponse(status, {}, "00000000-0000-4000-8000-000000000000")],
    ["twilio", (status: number) => mapTwilioSendResponse(status, {})],
  ] as const;
  it.each(senders.flatMap(([name, send]) => [
    // provider, HTTP status, kind
    ...[101, 302, 408, 429, 500, 503, 599].map((status) => [name, status, "transient", send] as const),
    ...[400, 401, 403, 404, 409, 413, 422].map((status) => [name, status, "final", send] as const),
  ]))("%s: %i is %s", (_name, status, kind, send) => {
    expect(send(status).kind).toBe(kind);
  });
});

describe("LINK Mobility send answers", () => {
  it("takes 200 Queued as accepted under LINK's message id", () => {
    expect(mapLinkSendResponse(200, { messageId: "m-1", resultCode: 1005, description: "Queued" })).toEqual({ kind: "accepted", status: "SMS_Accepted", providerRef: "m-1" });
  });

  it("takes a 2xx it cannot read, and 204, as accepted: sending again could duplicate", () => {
    expect(mapLinkSendResponse(204, null)).toEqual({ kind: "accepted", status: "SMS_Accepted" });
    expect(mapLinkSendResponse(200, "garbage")).toEqual({ kind: "accepted", status: "SMS_Accepted" });
  });

  it("takes a 200 with a final failure code as that failure", () => {
    expect(mapLinkSendResponse(200, { messageId: "m-1", resultCode: 2106 })).toMatchObject({ kind: "final", status: "SMS_Failed_InvalidRecipient" });
  });

  it.each([408, 429, 500, 502, 503])("retries %i, honouring Retry-After", (status) => {
    expect(mapLinkSendResponse(status, {}, 3_000)).toEqual({ kind: "transient", retryAfterMs: 3_000, detail: `http ${status}` });
  });

  it.each([
    [400, { resultCode: 106000 }, "linkmobility 106000"],
    [401, { resultCode: 106101 }, "linkmobility 106101"],
    [403, { code: "106200" }, "linkmobility 106200"],
    [400, "not json", "http 400"],
  ])("takes %i as final SMS_Failed (%j)", (status, body, detail) => {
    expect(mapLinkSendResponse(status, body)).toEqual({ kind: "final", status: "SMS_Failed", detail });
  });

  // LINK's sender codes: 2000 invalid source, 2001 short number, 2002 alphanumeric, 2003 MSISDN not supported as source.
  it.each([2000, 2001, 2002, 2003])("takes the sender code %i as a refused sender, in an error answer, a 200 or a report", (code) => {
    const refused = { kind: "final", status: "SMS_Failed", detail: `the provider refused the sender (linkmobility ${code}); nothing was sent`, senderRefused: true };
    expect(mapLinkSendResponse(400, { resultCode: code, description: "Invalid source number" })).toEqual(refused);
    expect(mapLinkSendResponse(200, { messageId: "m-1", resultCode: code })).toEqual(refused);
    expect(mapLinkSendResponse(200, { resultCode: code, description: "Invalid source number" })).toEqual(refused);
    expect(mapLinkResultCode(code)).toEqual(refused);
  });

  it.each([1000, 1007, 1008, 1011, 1012, 9999])("changes nothing for the temporary or unknown result code %i", (code) => {
    expect(mapLinkResultCode(code)).toEqual({ kind: "ignore" });
  });

  it("reads the sender's type", () => {
    expect([sourceTon("Altinn"), sourceTon("1963"), sourceTon("+4799999999"), sourceTon("4799999999")]).toEqual(["ALPHANUMERIC", "SHORTNUMBER", "MSISDN", "MSISDN"]);
  });
});

describe("ACS send answers", () => {
  const id = "2d4f1359-0000-4000-8000-000000000000";

  it("takes 202 as Email_Succeeded under the operation id", () => {
    expect(mapAcsSendResponse(202, { id: id.toUpperCase(), status: "Running" }, id)).toEqual({ kind: "accepted", status: "Email_Succeeded", providerRef: id });
  });

  it("retries 429 and 5xx, honouring retry-after", () => {
    expect(mapAcsSendResponse(429, { error: { code: "TooManyRequests" } }, id, 2_000)).toEqual({ kind: "transient", retryAfterMs: 2_000, detail: "http 429" });
    expect(mapAcsSendResponse(503, null, id)).toEqual({ kind: "transient", detail: "http 503" });
  });

  it.each([
    [400, { error: { code: "BadRequest", message: "Invalid format for email address 'x'." } }, "Email_Failed_InvalidFormat"],
    [400, { error: { code: "EmailDroppedAllRecipientsSuppressed", message: "…" } }, "Email_Failed_SuppressedRecipient"],
    [413, { error: { code: "RequestEntityTooLarge" } }, "Email_Failed"],
    [401, null, "Email_Failed"],
  ])("takes %i %j as final %s", (status, body, expected) => {
    expect(mapAcsSendResponse(status, body, id)).toMatchObject({ kind: "final", status: expected });
  });

  it("maps an unknown delivery status to Email_Failed", () => {
    expect(mapAcsDeliveryStatus("SomethingNew")).toEqual({ kind: "final", status: "Email_Failed", detail: "acs SomethingNew" });
    expect(mapAcsDeliveryStatus("constructor")).toMatchObject({ status: "Email_Failed" });
  });

  it("reads Event Grid events, and refuses malformed ones", () => {
    expect(readEventGridEvent({ id: "e", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", data: { validationCode: "c" } })).toEqual({ kind: "validation", validationCode: "c" });
    expect(readEventGridEvent({ id: "e", eventType: "Microsoft.Communication.EmailDeliveryReportReceived", data: { status: "Delivered" } })).toBeNull();
    expect(readEventGridEvent({ id: "e", eventType: "Other", data: {} })).toEqual({ kind: "other", eventType: "Other" });
  });
});
