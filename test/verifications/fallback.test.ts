// The fallback email (CONTRACT.md, "One-time codes", Behaviour): when the SMS ends in a failure, or is
// not SMS_Delivered `afterSeconds` after the 201 while the code is pending, the same code once by email;
// counted against the limits when sent, its refusal shown in GET. Sandbox recipients give the outcomes.
import { describe, expect, it } from "vitest";
import { postEmail, emailRequest, variedEmailAddress } from "../support/api";
import { storedOrder } from "../support/order";
import { waitForShipment } from "../support/shipments";
import {
  checkAnswerOf,
  checkCode,
  codeIn,
  codeOfSms,
  FALLBACK_TEMPLATE,
  fallbackEmail,
  outboxMessages,
  outboxOf,
  resend,
  startSms,
  viewOf,
  waitForView,
} from "../support/verifications";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const emailsTo = async (address: string) => (await outboxMessages()).filter((m) => m.channel === "email" && m.to === address);

describe("the fallback email after a failed SMS", () => {
  it.each([
    ["+4740000001", "SMS_Failed_InvalidRecipient"],
    ["+4740000002", "SMS_Failed_Undelivered"],
    ["+4740000006", "SMS_Failed_BarredReceiver"],
  ])("an SMS to %s (%s) is followed by one email with the same code, at once, not afterSeconds later", async (phoneNumber, smsStatus) => {
    const fallback = fallbackEmail({ afterSeconds: 600 });
    const { created } = await startSms({ phoneNumber, fallbackEmail: fallback });

    const view = await waitForView(created.verificationId, (v) => v.shipments.length === 2, { timeoutMs: 8_000 });
    expect(view.shipments[0]).toEqual({ shipmentId: created.shipmentId, channel: "sms", status: smsStatus });
    expect(view.shipments[1]).toMatchObject({ channel: "email" });
    expect(view).not.toHaveProperty("fallbackRefused");

    const [email] = await outboxOf(view.shipments[1]!.shipmentId);
    expect(email).toMatchObject({ channel: "email", to: fallback.emailAddress, subject: fallback.subject });
    const code = codeIn(email!.body, FALLBACK_TEMPLATE);
    // The SMS the simulator refused or could not deliver carried the same code.
    expect(await codeOfSms(created.shipmentId)).toBe(code);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
    expect(await emailsTo(fallback.emailAddress)).toHaveLength(1);
  });

  it("is a normal shipment whose manifest carries the verification", async () => {
    const fallback = fallbackEmail({ afterSeconds: 600 });
    const { created } = await startSms({ phoneNumber: "+4740000001", fallbackEmail: fallback });
    const view = await waitForView(created.verificationId, (v) => v.shipments.length === 2);
    const manifest = await waitForShipment(view.shipments[1]!.shipmentId, (s) => s.status === "Order_Completed");
    expect(manifest).toMatchObject({ verificationId: created.verificationId, recipients: [{ type: "Email", destination: fallback.emailAddress, status: "Email_Delivered" }] });
    // Never handed over after the code can no longer be used: its deadline is the verification's, not 48 hours.
    expect(Number((await storedOrder(view.shipments[1]!.shipmentId)).deadline)).toBeLessThanOrEqual(Date.parse(created.expiresAt) + 100);
  });

  it("is sent once: a resend that fails as well sends no second email, and no second code", async () => {
    const fallback = fallbackEmail({ afterSeconds: 600 });
    const { created } = await startSms({ phoneNumber: "+4740000001", fallbackEmail: fallback });
    await waitForView(created.verificationId, (v) => v.shipments.length === 2);
    const resendResponse = await resend(created.verificationId);
    expect(resendResponse.status).toBe(201);
    const { shipmentId: resent } = (await resendResponse.json()) as { shipmentId: string };
    await waitForShipment(resent, (s) => s.status === "Order_Completed");
    await sleep(1_500); // time for a second fallback, were there one
    const view = await viewOf(created.verificationId);
    expect(view.shipments.map((s) => s.channel)).toEqual(["sms", "email", "sms"]);
    expect(await emailsTo(fallback.emailAddress)).toHaveLength(1);
    expect(await codeOfSms(resent)).toBe(await codeOfSms(created.shipmentId));
  });
});

describe("the fallback email after afterSeconds without SMS_Delivered", () => {
  it("an SMS accepted but never reported (+4740000003) is followed by one email afterSeconds after the 201", async () => {
    const fallback = fallbackEmail({ afterSeconds: 5 });
    const started = Date.now();
    const { created } = await startSms({ phoneNumber: "+4740000003", fallbackEmail: fallback });
    const smsCode = await codeOfSms(created.shipmentId);

    const view = await waitForView(created.verificationId, (v) => v.shipments.length === 2, { timeoutMs: 15_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
    expect(view.shipments).toEqual([
      { shipmentId: created.shipmentId, channel: "sms", status: "SMS_Accepted" },
      { shipmentId: expect.any(String), channel: "email", status: expect.stringMatching(/^Email_/) },
    ]);
    const [email] = await outboxOf(view.shipments[1]!.shipmentId);
    expect(email!.to).toBe(fallback.emailAddress);
    expect(codeIn(email!.body, FALLBACK_TEMPLATE)).toBe(smsCode);
  }, 25_000);

  it("a delivered SMS is followed by no email", async () => {
    const fallback = fallbackEmail({ afterSeconds: 5 });
    const { created } = await startSms({ fallbackEmail: fallback });
    await waitForView(created.verificationId, (v) => v.shipments[0]?.status === "SMS_Delivered");
    await sleep(6_500);
    expect((await viewOf(created.verificationId)).shipments).toEqual([{ shipmentId: created.shipmentId, channel: "sms", status: "SMS_Delivered" }]);
    expect(await emailsTo(fallback.emailAddress)).toEqual([]);
  }, 25_000);

  it("an approved verification is followed by no email, even while its SMS is not reported", async () => {
    const fallback = fallbackEmail({ afterSeconds: 5 });
    const { created } = await startSms({ phoneNumber: "+4740000003", fallbackEmail: fallback });
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
    await sleep(6_500);
    expect((await viewOf(created.verificationId)).shipments).toHaveLength(1);
    expect(await emailsTo(fallback.emailAddress)).toEqual([]);
  }, 25_000);
});

describe("the fallback email and the limits", () => {
  it("a fallback refused by the recipient limit is not sent, and GET shows fallbackRefused NOT-10003", async () => {
    // "limits-override" allows 3 emails to one address per 10 minutes (vitest.config.ts): use them up.
    const org = "limits-override";
    const address = variedEmailAddress();
    for (let i = 0; i < 3; i++) expect((await postEmail(emailRequest({ emailAddress: address }), { org })).status).toBe(201);

    // The start does not count the fallback (it is counted when it is sent): 201.
    const { created } = await startSms({ phoneNumber: "+4740000001", fallbackEmail: fallbackEmail({ emailAddress: address, afterSeconds: 600 }) }, { org });
    const view = await waitForView(created.verificationId, (v) => v.fallbackRefused !== undefined, { org, timeoutMs: 8_000 });
    expect(view.fallbackRefused).toBe("NOT-10003");
    expect(view.shipments).toEqual([{ shipmentId: created.shipmentId, channel: "sms", status: "SMS_Failed_InvalidRecipient" }]);
    expect(view.status).toBe("pending");
    expect((await outboxMessages()).filter((m) => m.to === address)).toHaveLength(3); // the three orders only
  });

  it("a fallback that is sent counts against the recipient limit", async () => {
    const org = "limits-override";
    const address = variedEmailAddress();
    for (let i = 0; i < 2; i++) expect((await postEmail(emailRequest({ emailAddress: address }), { org })).status).toBe(201);
    const { created } = await startSms({ phoneNumber: "+4740000002", fallbackEmail: fallbackEmail({ emailAddress: address, afterSeconds: 600 }) }, { org });
    await waitForView(created.verificationId, (v) => v.shipments.length === 2, { org });
    // The third email to the address was the fallback: a fourth is refused.
    const fourth = await postEmail(emailRequest({ emailAddress: address }), { org });
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as { code: string }).code).toBe("NOT-10003");
  });
});
