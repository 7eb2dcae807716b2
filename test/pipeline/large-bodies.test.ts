// Every valid request registers and is delivered, however large its body (up to the request limit)
// and whatever Unicode it holds: the bytes are in the message body itself, not in padding.
import { describe, expect, it } from "vitest";
import { call, emailRequest, expectReplay, smsRequest } from "../support/api";
import { rowsForKey, shipmentIdOf, waitForRecipientStatus } from "../support/shipments";
import { GSM7_AT_LIMIT, MAX_REQUEST_BYTES, requestOfBytes, UCS2_AT_LIMIT } from "../support/bodies";

type EmailRequest = ReturnType<typeof emailRequest>;
const setEmailBody = (request: EmailRequest, body: string) => {
  request.recipientEmail.emailSettings.body = body;
};
const postRaw = (path: string, text: string) => call("POST", path, undefined, { rawBody: text });

describe("an email whose HTML body fills the request limit", () => {
  it("registers (201) and is delivered when the request is exactly 256 KiB", async () => {
    const { text } = requestOfBytes(emailRequest(), setEmailBody, MAX_REQUEST_BYTES);
    const shipmentId = await shipmentIdOf(await postRaw("/future/orders/instant/email", text));
    await waitForRecipientStatus(shipmentId, "Email_Delivered", 10_000);
    // The replay still matches the stored request, byte for byte: the same shipment, not a conflict.
    const replay = await postRaw("/future/orders/instant/email", text);
    expectReplay(replay);
    expect(((await replay.json()) as { notification: { shipmentId: string } }).notification.shipmentId).toBe(shipmentId);
  });

  it("is refused with 413 one byte over, and nothing is registered", async () => {
    const { request, text } = requestOfBytes(emailRequest(), setEmailBody, MAX_REQUEST_BYTES + 1);
    const response = await postRaw("/future/orders/instant/email", text);
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await rowsForKey("ttd", request.idempotencyId)).shipments).toBe(0);
  });
});

describe("an SMS at the 16-segment limit", () => {
  it.each([
    ["GSM-7, extension characters included", GSM7_AT_LIMIT],
    ["UCS-2, emoji and combining marks", UCS2_AT_LIMIT],
  ])("%s registers and is delivered", async (_label, body) => {
    const request = smsRequest({ body: body(), phoneNumber: "+4799000016" });
    const shipmentId = await shipmentIdOf(await call("POST", "/future/orders/instant/sms", request));
    await waitForRecipientStatus(shipmentId, "SMS_Delivered", 10_000);
  });
});
