// Logs carry ids and statuses only: never the one-time code, a subject or a full recipient.
import { afterEach, describe, expect, it, vi } from "vitest";
import { emailRequest, postEmail, postSms, smsRequest } from "../support/api";
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
});
