// The SMS sender with LINK Mobility first and Twilio second (SMS_PROVIDERS="linkmobility,twilio"): a
// sender goes out as given only when both carry it; one LINK still refuses ends the shipment
// SMS_Failed at once: one call, no failover to Twilio, no retry, and no count against LINK's breaker.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expireHealthViews, forgetHealthViews } from "../../src/providers/failover/health-client";
import { postSms, smsRequest } from "../support/api";
import { driveDispatch } from "../support/drive";
import { uniqueMobile } from "../support/fake-fetch";
import { fakeLink, linkReply, type LinkReply } from "../support/fake-link";
import { fakeTwilio } from "../support/fake-twilio";
import { orderState } from "../support/order";
import { eventually, shipmentIdOf, waitForRecipientStatus } from "../support/shipments";

const health = () => env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName("sms"));

beforeEach(async () => {
  await runInDurableObject(health(), (_o, state) => state.storage.sql.exec("DELETE FROM breakers"));
  forgetHealthViews();
});
afterEach(() => vi.restoreAllMocks());

const withSender = (sender: string, phoneNumber = uniqueMobile()) => {
  const request = smsRequest({ phoneNumber });
  return { ...request, recipientSms: { ...request.recipientSms, smsSettings: { ...request.recipientSms.smsSettings, sender } } };
};

/** The calls LINK's breaker has counted (its window while closed), as ProviderHealth stores them. */
const linkBreakerCalls = () =>
  runInDurableObject(health(), (_o, state) => {
    const row = state.storage.sql.exec<{ state: string }>("SELECT state FROM breakers WHERE provider = 'linkmobility'").toArray()[0];
    return row ? (JSON.parse(row.state) as { window: unknown[] }).window.length : 0;
  });

describe("the sender with LINK Mobility and Twilio", () => {
  it("sends Altinn-test as given to LINK, and '(TEST) Instant SMS Test' as the default, naming the first provider that refuses a character", async () => {
    const link = fakeLink();
    fakeTwilio();
    const asGiven = await postSms(withSender("Altinn-test"));
    expect(asGiven.headers.get("Sender-Replaced")).toBeNull();
    const id = await shipmentIdOf(asGiven);
    await waitForRecipientStatus(id, "SMS_Accepted");
    expect(link.requestsFor(id)[0]!.body).toMatchObject({ source: "Altinn-test", sourceTON: "ALPHANUMERIC" });

    const replaced = await postSms(withSender("(TEST) Instant SMS Test"));
    expect(replaced.headers.get("Sender-Replaced")).toBe("true");
    const other = await shipmentIdOf(replaced);
    await waitForRecipientStatus(other, "SMS_Accepted");
    expect(link.requestsFor(other)[0]!.body).toMatchObject({ source: "Altinn" });
    expect((await orderState(other)).events[0]!.detail).toBe("sender replaced by the default (Altinn): '(' is not carried by linkmobility");
  });

  it.each<[string, LinkReply, string]>([
    ["an error answer (400, 2000)", linkReply.sourceRefused(400, 2000), "linkmobility 2000"],
    ["a 200 with result code 2002", linkReply.sourceRefused(200, 2002), "linkmobility 2002"],
  ])("ends SMS_Failed at once when LINK refuses the sender in %s: one call, no failover, no retry", async (_label, refusal, code) => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    link.script(to, [refusal, linkReply.queued()]);
    // A sender LINK's rule allows (the default) that this account still may not send from.
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    expect(await waitForRecipientStatus(id, "SMS_Failed")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Failed" });

    const { row, events } = await orderState(id);
    expect(row).toMatchObject({ handover: "done", attempts: 1 });
    expect(events.at(-1)).toMatchObject({ status: "SMS_Failed", applied: 1, source: "provider linkmobility", detail: `the provider refused the sender (${code}); nothing was sent` });
    expect(await driveDispatch(id)).toEqual({ enqueuedByAlarm: 0 });
    expect(link.requestsFor(id)).toHaveLength(1);
    expect(twilio.requestsFor(id)).toHaveLength(0);
  });

  it("does not count a refused sender against LINK's breaker, either way", async () => {
    const link = fakeLink();
    fakeTwilio();
    const refused: string[] = [];
    for (let i = 0; i < 4; i++) {
      const to = uniqueMobile();
      link.script(to, [linkReply.sourceRefused()]);
      refused.push(await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to }))));
      await waitForRecipientStatus(refused.at(-1)!, "SMS_Failed");
      expireHealthViews(); // the next hand-over sends what this one noted
    }
    // One more hand-over carries whatever the refusals noted to ProviderHealth.
    const next = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
    await waitForRecipientStatus(next, "SMS_Accepted");
    await eventually(async () => link.requestsFor(next).length, (n) => n === 1, { what: "LINK to take the next message" });
    expect(await linkBreakerCalls()).toBe(0);
  });
});
