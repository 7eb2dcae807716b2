// Logs carry ids and statuses only: never the one-time code, a subject or a full recipient; and one
// line per change of a shipment.
import { afterEach, describe, expect, it, vi } from "vitest";
import { emailRequest, postEmail, postSms, smsRequest } from "../support/api";
import { captureLogLines, shipmentStory } from "../support/logs";
import { shipmentIdOf, waitForShipment } from "../support/shipments";

afterEach(() => vi.restoreAllMocks());

describe("logs", () => {
  it("never contain the body, the subject or the recipient, through every outcome", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
    const code = `${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;
    const numbers = ["+4799999999", "+4740000001", "+4740000002", "+4740000004"];
    const ids = await Promise.all([
      ...numbers.map(async (phoneNumber) => shipmentIdOf(await postSms(smsRequest({ phoneNumber, body: `Your code is ${code}` })))),
      shipmentIdOf(await postEmail(emailRequest({ emailAddress: "bounce@sandbox.example", body: `<p>${code}</p>` }))),
    ]);
    await Promise.all(ids.map((id) => waitForShipment(id, (s) => s.status === "Order_Completed")));

    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join("\n");
    expect(all).not.toContain(code);
    expect(all).not.toContain("One-time code");
    expect(all).not.toContain("bounce@sandbox.example");
    for (const number of numbers) expect(all).not.toContain(number.slice(1));
  });

  it("tell a shipment's story in one line per change: the registration with the status it reached, then each later status", async () => {
    const lines = captureLogLines();
    const id = await shipmentIdOf(await postSms(smsRequest()));
    await waitForShipment(id, (s) => s.status === "Order_Completed");

    // Dispatched through the queue here, so the claim is a change of its own (the immediate attempt's
    // claim, in the registration's call, is part of the registered line: test/twilio/twilio-dispatch.test.ts).
    expect(shipmentStory(lines, id)).toEqual([
      { event: "registered", status: "SMS_New", from: undefined, to: undefined },
      { event: "status", status: undefined, from: "SMS_New", to: "SMS_Sending" },
      { event: "status", status: undefined, from: "SMS_Sending", to: "SMS_Accepted" },
      { event: "status", status: undefined, from: "SMS_Accepted", to: "SMS_Delivered" },
    ]);
  });
});
