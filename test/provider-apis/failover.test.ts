// SMS failover over HTTP: LINK Mobility first, Twilio second (SMS_PROVIDERS="linkmobility,twilio").
// A hand-over moves to Twilio only when LINK said nothing happened; never when LINK may have taken it.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expireHealthViews, forgetHealthViews } from "../../src/providers/failover/health-client";
import { postSms, smsRequest } from "../support/api";
import { eventually, shipmentIdOf, waitForRecipientStatus } from "../support/shipments";
import { orderState, orderObjectOf } from "../support/order";
import { driveDispatch } from "../support/drive";
import { uniqueMobile } from "../support/fake-fetch";
import { fakeTwilio, reply, sendStatus } from "../support/fake-twilio";
import { fakeLink, linkReply, sendDr } from "../support/fake-link";

beforeEach(async () => {
  // Each test starts with healthy providers: no breaker state, no cached verdict.
  await runInDurableObject(env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName("sms")), (_o, state) => state.storage.sql.exec("DELETE FROM breakers"));
  forgetHealthViews();
});
afterEach(() => vi.restoreAllMocks());

describe("failover from LINK Mobility to Twilio", () => {
  it.each([
    ["503", linkReply.unavailable()],
    ["429", linkReply.tooManyRequests()],
    ["a refused connection", linkReply.network()],
  ])("hands over to Twilio in the same dispatch when LINK answers %s, once, and the history names Twilio", async (_name, failure) => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    link.script(to, [failure]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    await waitForRecipientStatus(shipmentId, "SMS_Accepted");

    expect(link.requestsFor(shipmentId)).toHaveLength(1);
    const [handover] = twilio.requestsFor(shipmentId);
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
    const { row, events } = await orderState(shipmentId);
    expect(row).toMatchObject({ attempts: 1, provider_ref: handover!.sid });
    expect(events.find((e) => e.status === "SMS_Accepted")).toMatchObject({ applied: 1, source: "provider twilio" });
    // Twilio's report completes it; LINK is asked nothing more.
    expect((await sendStatus(handover!, "delivered")).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    expect(link.requestsFor(shipmentId)).toHaveLength(1);
  });

  it("never hands over to Twilio when LINK's answer was lost (it may have queued it): in doubt, and LINK's report settles it", async () => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    link.script(to, [linkReply.hang()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    const { row, events } = await eventually(() => orderState(shipmentId), (s) => s.row.handover === "in_doubt", { what: "the hand-over in doubt" });
    expect(row.attempts).toBe(1);
    expect(events.at(-1)).toMatchObject({ applied: 0, source: "provider linkmobility", detail: "answer lost (timeout); waiting for a report" });

    // Whatever could hand it over again runs now: its alarm (every retry time passed) and a dispatch message.
    expect(await driveDispatch(shipmentId)).toEqual({ enqueuedByAlarm: 0 });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(0);
    expect(link.requestsFor(shipmentId)).toHaveLength(1);
    expect((await orderState(shipmentId)).row).toMatchObject({ handover: "in_doubt", attempts: 1 });
    expect((await sendDr(link.requestsFor(shipmentId)[0]!, 1001)).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(0);
  });

  it("stops asking LINK first during its outage, and gives it traffic back once it is healthy", async () => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    link.scriptAll(linkReply.unavailable());
    // One message at a time: once it is accepted, the isolate's verdict is made stale (it refreshes every
    // second), so the next hand-over sends what this one noted and reads the breaker's verdict anew.
    const send = async () => {
      const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
      await waitForRecipientStatus(id, "SMS_Accepted");
      expireHealthViews();
      return id;
    };

    // The outage: every message still goes out (through Twilio), and the breaker opens on LINK.
    const during: string[] = [];
    for (let i = 0; i < 8; i++) during.push(await send());
    expect(during.every((id) => twilio.requestsFor(id).length === 1)).toBe(true);
    const linkCallsDuring = link.requests.length;
    expect(linkCallsDuring).toBeLessThan(during.length); // later messages went to Twilio first
    const linkBreaker = () =>
      runInDurableObject(env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName("sms")), (_o, state) =>
        JSON.parse(state.storage.sql.exec<{ state: string }>("SELECT state FROM breakers WHERE provider = 'linkmobility'").one().state) as { position: string },
      );
    expect((await linkBreaker()).position).toBe("open");

    // LINK recovers; its open time is over (moved into the past), so probes go to it and close the breaker.
    link.scriptAll(null);
    await runInDurableObject(env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName("sms")), (_o, state) =>
      state.storage.sql.exec("UPDATE breakers SET state = json_set(state, '$.since', 0) WHERE provider = 'linkmobility'"),
    );
    // Every hand-over draws under the probe rate (20 %), so the probes come without waiting for chance;
    // each send hands the one before's outcome to the breaker, until its probes have closed it.
    const draws = vi.spyOn(Math, "random").mockReturnValue(0.1);
    const after: string[] = [];
    await eventually(
      async () => {
        after.push(await send());
        return (await linkBreaker()).position;
      },
      (position) => position === "closed",
      { timeoutMs: 15_000, intervalMs: 0, what: "LINK's breaker to close again" },
    );
    draws.mockRestore();
    // Closed, LINK takes traffic first again, whatever the draw.
    after.push(await send());
    expect(link.requestsFor(after.at(-1)!)).toHaveLength(1);
    expect(twilio.requestsFor(after.at(-1)!)).toHaveLength(0);
    for (const id of after) await waitForRecipientStatus(id, "SMS_Accepted");
    // Each message was handed over exactly once, whichever provider took it.
    for (const id of [...during, ...after]) {
      const accepted = link.requestsFor(id).filter((r) => r.httpStatus === 200).length + twilio.requestsFor(id).filter((r) => r.httpStatus === 201).length;
      expect(accepted).toBe(1);
    }
  });
});

describe("the deadline, with both providers failing", () => {
  it("alternates providers until the deadline, each call within the lifetime left, and nothing after it", async () => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    link.script(to, [linkReply.unavailable()]);
    twilio.script(to, [reply.unavailable()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to, ttl: 60 })));
    await eventually(async () => twilio.requestsFor(shipmentId).length, (n) => n >= 2, { what: "retries on both providers" });

    // At a moment with no hand-over in flight, the deadline passes (moved into the past) and the alarm runs.
    const stub = await orderObjectOf(shipmentId);
    const deadline = await eventually(
      () =>
        runInDurableObject(stub, async (_order, state) => {
          const sql = state.storage.sql;
          const row = sql.exec<{ handover: string; enqueued: number; deadline: number }>("SELECT handover, enqueued, deadline FROM shipment WHERE id = 1").one();
          if (row.handover !== "waiting" || row.enqueued !== 0) return null;
          const now = Date.now();
          sql.exec("UPDATE shipment SET deadline = ? WHERE id = 1", now - 1);
          return { original: row.deadline, moved: now - 1 };
        }),
      (d) => d !== null,
      { what: "a moment with no hand-over in flight" },
    );
    await runDurableObjectAlarm(stub);
    expect(await waitForRecipientStatus(shipmentId, "SMS_Failed_TTL")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Failed_TTL" });
    const calls = { link: link.requestsFor(shipmentId).length, twilio: twilio.requestsFor(shipmentId).length };
    const { attempts } = (await orderState(shipmentId)).row;
    // Whatever could hand it over again runs now: its alarm (every retry time passed) and a dispatch message.
    expect(await driveDispatch(shipmentId)).toEqual({ enqueuedByAlarm: 0 });
    expect({ link: link.requestsFor(shipmentId).length, twilio: twilio.requestsFor(shipmentId).length }).toEqual(calls);
    expect((await orderState(shipmentId)).row).toMatchObject({ status: "SMS_Failed_TTL", handover: "done", attempts });

    // Every call went out before the deadline, with a validity that ends by the (original) deadline.
    for (const r of link.requestsFor(shipmentId)) {
      expect(r.at).toBeLessThan(deadline!.moved);
      expect(r.at + (r.body.relativeValidityTime as number)).toBeLessThanOrEqual(deadline!.original);
    }
    for (const r of twilio.requestsFor(shipmentId)) {
      expect(r.at).toBeLessThan(deadline!.moved);
      expect(r.at + Number(r.form.ValidityPeriod) * 1000).toBeLessThanOrEqual(deadline!.original);
    }
    const { events } = await orderState(shipmentId);
    expect(events.filter((e) => e.detail?.startsWith("transient: linkmobility: http 503; twilio: http 503")).length).toBeGreaterThanOrEqual(1);
  });
});

describe("delivery reports feed the slow-delivery rule", () => {
  const deliveryOf = (shipmentId: string) =>
    runInDurableObject(env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName("sms")), (_o, state) =>
      state.storage.sql
        .exec<{ provider: string; accepted_at: number | null; reported_at: number | null }>("SELECT provider, accepted_at, reported_at FROM deliveries WHERE shipment_id = ?", shipmentId)
        .toArray(),
    );

  it("notes LINK's acceptance and its final report, batched with the verdict refreshes", async () => {
    const link = fakeLink();
    fakeTwilio();
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
    await waitForRecipientStatus(shipmentId, "SMS_Accepted");
    // The acceptance rides on this isolate's next verdict refresh: the next hand-over's, about a second on.
    await eventually(
      async () => {
        await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
        return deliveryOf(shipmentId);
      },
      (rows) => rows.length === 1,
      { timeoutMs: 10_000, intervalMs: 200, what: "the acceptance to reach ProviderHealth" },
    );
    const [accepted] = await deliveryOf(shipmentId);
    expect(accepted).toMatchObject({ provider: "linkmobility", reported_at: null });

    // A report receiver flushes on the same cadence (here at once: this isolate's last refresh is
    // forgotten). Should that exchange time out (a loaded machine), the next report carries it: LINK's
    // report is sent again, which the order takes as a duplicate.
    forgetHealthViews();
    const dr = link.requestsFor(shipmentId)[0]!;
    const [reported] = await eventually(
      async () => {
        expect((await sendDr(dr, 1001)).status).toBe(200);
        return deliveryOf(shipmentId);
      },
      (rows) => rows[0]?.reported_at != null,
      { timeoutMs: 10_000, intervalMs: 100, what: "the final report to reach ProviderHealth" },
    );
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    expect(reported).toMatchObject({ provider: "linkmobility", accepted_at: accepted!.accepted_at });
    expect(reported!.reported_at).toBeGreaterThanOrEqual(accepted!.accepted_at!);
  });

  it("notes Twilio's final report under Twilio's name", async () => {
    const link = fakeLink();
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    link.script(to, [linkReply.unavailable()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    await waitForRecipientStatus(shipmentId, "SMS_Accepted");
    forgetHealthViews();
    const handover = twilio.requestsFor(shipmentId)[0]!;
    const rows = await eventually(
      async () => {
        expect((await sendStatus(handover, "delivered")).status).toBe(200); // again if the last exchange timed out
        return deliveryOf(shipmentId);
      },
      (found) => found[0]?.reported_at != null,
      { timeoutMs: 10_000, intervalMs: 100, what: "Twilio's report to reach ProviderHealth" },
    );
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ provider: "twilio" });
  });
});
