import { describe, expect, it } from "vitest";
import { mapTwilioCallback, mapTwilioSendResponse } from "../../../src/providers/twilio/status-map";
import { SMS_FINAL } from "../../../src/status/statuses";

const SID = "SM0123456789abcdef0123456789abcdef";
const twilioError = (code: number, status = 400) => ({ code, message: "…", more_info: `https://www.twilio.com/docs/errors/${code}`, status });

describe("mapTwilioSendResponse", () => {
  it("treats 201 with a sid as accepted, keeping the sid as the provider reference", () => {
    expect(mapTwilioSendResponse(201, { sid: SID, status: "queued" })).toEqual({
      kind: "accepted",
      status: "SMS_Accepted",
      providerRef: SID,
    });
  });

  it("treats 200 with a sid as accepted too", () => {
    expect(mapTwilioSendResponse(200, { sid: SID, status: "accepted" })).toMatchObject({ kind: "accepted", providerRef: SID });
  });

  it("does not resend when a 2xx lacks a sid (accepted without a reference)", () => {
    expect(mapTwilioSendResponse(201, {})).toEqual({ kind: "accepted", status: "SMS_Accepted" });
    expect(mapTwilioSendResponse(201, null)).toEqual({ kind: "accepted", status: "SMS_Accepted" });
  });

  const finalCases: [code: number, status: string][] = [
    [21211, "SMS_Failed_InvalidRecipient"],
    [21614, "SMS_Failed_InvalidRecipient"],
    [21635, "SMS_Failed_InvalidRecipient"],
    [21610, "SMS_Failed_BarredReceiver"],
    [21408, "SMS_Failed_Rejected"],
    [21617, "SMS_Failed"], // body too long: ours to fix, not the recipient's
    [21609, "SMS_Failed"],
  ];
  for (const [code, status] of finalCases) {
    it(`maps 400 with error ${code} to final ${status}`, () => {
      expect(mapTwilioSendResponse(400, twilioError(code))).toEqual({ kind: "final", status, detail: `twilio ${code}` });
    });
  }

  it.each([21212, 21606, 21659, 21661])("maps 400 with error %i (Twilio refuses the From) to a refused sender: final SMS_Failed", (code) => {
    expect(mapTwilioSendResponse(400, twilioError(code))).toEqual({
      kind: "final",
      status: "SMS_Failed",
      detail: `the provider refused the sender (twilio ${code}); nothing was sent`,
      senderRefused: true,
    });
  });

  it("reads an error code sent as a string", () => {
    expect(mapTwilioSendResponse(400, { code: "21610" })).toMatchObject({ kind: "final", status: "SMS_Failed_BarredReceiver" });
  });

  it("maps config errors (401, 403, 404) to final SMS_Failed", () => {
    expect(mapTwilioSendResponse(401, twilioError(20003, 401))).toMatchObject({ kind: "final", status: "SMS_Failed" });
    expect(mapTwilioSendResponse(403, {})).toEqual({ kind: "final", status: "SMS_Failed", detail: "http 403" });
    expect(mapTwilioSendResponse(404, "not json")).toMatchObject({ kind: "final", status: "SMS_Failed" });
  });

  it("does not let an object-prototype name pose as an error code", () => {
    expect(mapTwilioSendResponse(400, { code: "constructor" })).toMatchObject({ kind: "final", status: "SMS_Failed" });
  });

  it("retries 429 and 5xx", () => {
    for (const status of [429, 500, 502, 503, 504]) {
      expect(mapTwilioSendResponse(status, twilioError(20429, status))).toEqual({ kind: "transient", detail: `http ${status}` });
    }
  });

  it("retries 408 and unexpected non-error statuses rather than failing the recipient", () => {
    expect(mapTwilioSendResponse(408, null).kind).toBe("transient");
    expect(mapTwilioSendResponse(302, null).kind).toBe("transient");
  });

  it("parses Retry-After seconds into milliseconds", () => {
    expect(mapTwilioSendResponse(429, {}, { retryAfter: "7" })).toEqual({ kind: "transient", retryAfterMs: 7000, detail: "http 429" });
    expect(mapTwilioSendResponse(503, {}, { retryAfter: " 0 " })).toMatchObject({ retryAfterMs: 0 });
  });

  it("ignores a missing or unparseable Retry-After", () => {
    for (const retryAfter of [null, undefined, "", "soon", "-3", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT"]) {
      expect(mapTwilioSendResponse(429, {}, { retryAfter })).not.toHaveProperty("retryAfterMs");
    }
  });
});

describe("mapTwilioCallback", () => {
  it("ignores steps before hand-over", () => {
    for (const status of ["queued", "accepted", "scheduled", "sending"]) {
      expect(mapTwilioCallback(status, undefined)).toEqual({ kind: "ignore" });
    }
  });

  it("maps sent to progress SMS_Accepted", () => {
    expect(mapTwilioCallback("sent", undefined)).toEqual({ kind: "progress", status: "SMS_Accepted" });
  });

  it("maps delivered to final SMS_Delivered", () => {
    expect(mapTwilioCallback("delivered", undefined)).toEqual({ kind: "final", status: "SMS_Delivered" });
  });

  const failures: [messageStatus: string, code: string | undefined, status: string][] = [
    ["undelivered", "30005", "SMS_Failed_InvalidRecipient"],
    ["undelivered", "30006", "SMS_Failed_InvalidRecipient"],
    ["undelivered", "30004", "SMS_Failed_BarredReceiver"],
    ["undelivered", "30007", "SMS_Failed_Rejected"],
    ["failed", "30450", "SMS_Failed_Rejected"],
    ["failed", "30036", "SMS_Failed_TTL"],
    ["undelivered", "30036", "SMS_Failed_TTL"],
    ["undelivered", "30003", "SMS_Failed_Undelivered"],
    ["undelivered", undefined, "SMS_Failed_Undelivered"],
    ["failed", "30001", "SMS_Failed"],
    ["failed", "30002", "SMS_Failed"],
    ["failed", "30008", "SMS_Failed"],
    ["failed", "30005", "SMS_Failed_InvalidRecipient"],
    ["failed", undefined, "SMS_Failed"],
  ];
  for (const [messageStatus, code, status] of failures) {
    it(`maps ${messageStatus} with ErrorCode ${code ?? "(none)"} to final ${status}`, () => {
      const outcome = mapTwilioCallback(messageStatus, code);
      expect(outcome).toEqual(code ? { kind: "final", status, detail: `twilio ${code}` } : { kind: "final", status });
    });
  }

  it.each(["failed", "undelivered"])("maps %s with ErrorCode 30042 (sender ID blocked) to a refused sender", (messageStatus) => {
    expect(mapTwilioCallback(messageStatus, "30042")).toMatchObject({ kind: "final", status: "SMS_Failed", senderRefused: true });
  });

  it("treats a blank ErrorCode as absent", () => {
    expect(mapTwilioCallback("undelivered", " ")).toEqual({ kind: "final", status: "SMS_Failed_Undelivered" });
  });

  it("maps canceled to final SMS_Failed, whatever the code", () => {
    expect(mapTwilioCallback("canceled", undefined)).toEqual({ kind: "final", status: "SMS_Failed" });
    expect(mapTwilioCallback("canceled", "30005")).toEqual({ kind: "final", status: "SMS_Failed" });
  });

  it("ignores unknown statuses, including object-prototype names", () => {
    for (const status of ["read", "receiving", "", "DELIVERED", "constructor", "__proto__", "toString"]) {
      expect(mapTwilioCallback(status, undefined)).toEqual({ kind: "ignore" });
    }
  });

  it("only ever reports contract final statuses as final", () => {
    const statuses = ["queued", "accepted", "scheduled", "sending", "sent", "delivered", "undelivered", "failed", "canceled"];
    const codes = [undefined, "30003", "30004", "30005", "30006", "30007", "30036", "30450"];
    for (const s of statuses) {
      for (const c of codes) {
        const outcome = mapTwilioCallback(s, c);
        if (outcome.kind === "final") expect(SMS_FINAL).toContain(outcome.status);
      }
    }
  });

  it("returns a fresh object, so a caller cannot corrupt the table", () => {
    const first = mapTwilioCallback("delivered", undefined) as { status: string };
    first.status = "SMS_Failed";
    expect(mapTwilioCallback("delivered", undefined)).toEqual({ kind: "final", status: "SMS_Delivered" });
  });
});
