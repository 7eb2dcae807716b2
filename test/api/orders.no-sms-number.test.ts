// Altinn's rule: a phone number is valid when libphonenumber says it is valid for its country; its type
// is not checked, so a fixed-line or premium-rate number is registered (201) and its SMS fails at the
// gateway. Here it is registered the same way and ends SMS_Failed_InvalidRecipient at once, without a
// provider call, with the number's type in its status history.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dispatchShipment } from "../../src/dispatch/dispatch";
import { normalizePhoneNumber } from "../../src/orders/phone-number";
import { call, expectReplay, postSms, problemOf, smsRequest } from "../support/api";
import { readShipmentAs, shipmentIdOf } from "../support/shipments";
import { orderObjectOf, orderRefOf, simulatorAttempts, orderState } from "../support/order";

/** A Norwegian fixed-line number (Oslo, 22 xx xx xx), a different one each call. */
function variedFixedLine(): string {
  const n = `+4722${String(crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000).padStart(6, "0")}`;
  const checked = normalizePhoneNumber(n);
  if (!checked.ok || !checked.noSms) throw new Error("the test's number is not a valid fixed-line number");
  return n;
}

describe("Altinn parity: a valid number that cannot take SMS is registered and fails at once", () => {
  it.each([
    ["fixed line", variedFixedLine(), "fixed-line"],
    ["premium rate (NO 820)", "+4782012345", "premium-rate"],
    ["toll free (NO 800)", "+4780012345", "toll-free"],
    ["shared cost (FR 0810)", "+33810123456", "shared-cost"],
    ["voicemail (NO 812)", "+4781212345", "voicemail"],
    ["universal access (NO 810)", "+4781012345", "universal access"],
  ])("%s: 201, then SMS_Failed_InvalidRecipient with the type named, nothing stored to send", async (_label, phoneNumber, typeWords) => {
    const response = await postSms(smsRequest({ phoneNumber }));
    expect(response.status).toBe(201);
    const shipmentId = await shipmentIdOf(response);

    // Final in the very answer's order: no wait for a dispatcher.
    const manifest = await readShipmentAs("ttd", shipmentId);
    expect(manifest.status).toBe("Order_Completed");
    expect(manifest.recipients[0]).toMatchObject({ type: "SMS", status: "SMS_Failed_InvalidRecipient" });

    const { row, events } = await orderState(shipmentId);
    expect(row).toMatchObject({ status: "SMS_Failed_InvalidRecipient", handover: "done", attempts: 0 });
    expect(events.at(-1)).toMatchObject({ status: "SMS_Failed_InvalidRecipient", applied: 1 });
    expect(events.at(-1)!.detail).toContain(typeWords);
    expect(events.at(-1)!.detail).not.toContain(phoneNumber.slice(3));
    // The body was never kept: nothing is left that could be sent.
    const content = await runInDurableObject(await orderObjectOf(shipmentId), (_i, state) => state.storage.sql.exec("SELECT 1 FROM content").toArray().length);
    expect(content).toBe(0);
  });

  it("no provider is called, even when a dispatcher runs for it", async () => {
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: variedFixedLine() })));
    await dispatchShipment(env, { orderRef: await orderRefOf(shipmentId), shipmentId, channel: "sms" });
    await dispatchShipment(env, { orderRef: await orderRefOf(shipmentId), shipmentId }); // an old-shape message too
    expect(await simulatorAttempts(shipmentId)).toBe(0);
    expect((await orderState(shipmentId)).row).toMatchObject({ handover: "done", attempts: 0 });
  });

  it("a replay is the same request: 200 with the identical body", async () => {
    const request = smsRequest({ phoneNumber: variedFixedLine() });
    const first = await postSms(request);
    const again = await postSms(request);
    expectReplay(again);
    expect(await again.json()).toEqual(await first.json());
  });

  it("counts against the recipient limits like any registration", async () => {
    const org = "limits-override"; // 2 SMS per number per 10 minutes
    const phoneNumber = variedFixedLine();
    expect((await postSms(smsRequest({ phoneNumber }), { org })).status).toBe(201);
    expect((await postSms(smsRequest({ phoneNumber }), { org })).status).toBe(201);
    const third = await postSms(smsRequest({ phoneNumber }), { org });
    expect(third.status).toBe(429);
    expect((await problemOf(third)).code).toBe("NOT-10003");
  });

  it("the country rule still answers 400 first", async () => {
    const response = await call("POST", "/future/orders/instant/sms", smsRequest({ phoneNumber: variedFixedLine() }), { org: "limits-countries" });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).errors).toEqual({ "recipientSms.phoneNumber": ["SMS to Norway (NO) is not allowed for this organisation."] });
  });
});
