// An SMS at the 16-segment limit reaches Twilio byte for byte, through sealing in the order object.
import { afterEach, describe, expect, it, vi } from "vitest";
import { postSms, smsRequest } from "../support/api";
import { eventually, shipmentIdOf } from "../support/shipments";
import { GSM7_AT_LIMIT, UCS2_AT_LIMIT } from "../support/bodies";
import { fakeTwilio, uniqueMobile } from "../support/fake-twilio";

afterEach(() => vi.restoreAllMocks());

describe("an SMS body at the segment limit", () => {
  it.each([
    ["GSM-7, extension characters included", GSM7_AT_LIMIT],
    ["UCS-2, emoji and combining marks", UCS2_AT_LIMIT],
  ])("%s is handed to Twilio unchanged", async (_label, makeBody) => {
    const twilio = fakeTwilio();
    const body = makeBody();
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile(), body })));
    const [handover] = await eventually(async () => twilio.requestsFor(shipmentId), (r) => r.length > 0, { what: "the hand-over to Twilio" });
    expect(handover!.form.Body).toBe(body);
  });
});
