// SMS through Twilio, end to end: the real API, the real queue, the real order object. Only Twilio's
// HTTP is faked (test/support/fake-twilio.ts), in its wire format; its status callbacks are signed and POSTed to
// the Worker as Twilio would.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { postSms, smsRequest } from "../support/api";
import { d1Events, eventually, shipmentIdOf, shipmentState, waitForRecipientStatus } from "../support/shipments";
import { orderObjectOf, orderRefOf, orderState, shiftOrderTimes, storedOrder } from "../support/order";
import { driveDispatch } from "../support/drive";
import { captureLogLines, shipmentStory } from "../support/logs";
import { deliverDispatch, spyOnQueue } from "../support/queue";
import { OrderObject } from "../../src/orders/order-object";
import type { DispatchMessage } from "../../src/orders/order-object";
import { orderStub } from "../../src/orders/order-key";
import { toSmsOrder } from "../../src/orders/order";
import type { ProviderOutcome } from "../../src/providers/outcome";
import { API_KEY_SECRET, API_KEY_SID, fakeTwilio, MAX_VALIDITY_SECONDS, MESSAGES_URL, PUBLIC_BASE_URL, reply, sendStatus, uniqueMobile, type FakeTwilio } from "../support/fake-twilio";

afterEach(() => vi.restoreAllMocks());

/** Waits until Twilio has seen `count` hand-overs of the shipment and returns them. */
async function handovers(twilio: FakeTwilio, shipmentId: string, count: number, timeoutMs = 5_000) {
  return eventually(async () => twilio.requestsFor(shipmentId), (r) => r.length >= count, {
    timeoutMs,
    what: `${count} hand-over(s) of ${shipmentId} to Twilio`,
  });
}

/** Registers an SMS and waits until Twilio accepted it; returns the accepted hand-over. */
async function acceptedSms(twilio: FakeTwilio, ttl = 120) {
  const to = uniqueMobile();
  const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to, ttl })));
  const [handover] = await handovers(twilio, shipmentId, 1);
  await waitForRecipientStatus(shipmentId, "SMS_Accepted");
  return { shipmentId, to, handover: handover! };
}

describe("hand-over to Twilio", () => {
  it("sends once, with Twilio's form fields, and a signed delivered callback completes the order", async () => {
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    const request = smsRequest({ phoneNumber: to, ttl: 120, body: "Your code is 428516" });
    const shipmentId = await shipmentIdOf(await postSms(request));
    expect((await postSms(request)).status).toBe(200); // an idempotent replay must not send again

    const [handover] = await handovers(twilio, shipmentId, 1);
    expect(handover!.method).toBe("POST");
    expect(handover!.url).toBe(MESSAGES_URL);
    expect(handover!.authorization).toBe(`Basic ${btoa(`${API_KEY_SID}:${API_KEY_SECRET}`)}`);
    expect(handover!.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(handover!.form.To).toBe(to);
    expect(handover!.form.To).toMatch(/^\+[1-9]\d{1,14}$/);
    expect(handover!.form.Body).toBe("Your code is 428516");
    expect(handover!.form.From).toBe("Altinn");
    // The callback names the shipment, and asks Twilio to retry a report we could not store yet.
    expect(handover!.form.StatusCallback).toBe(`${PUBLIC_BASE_URL}/webhooks/twilio/status?shipment=${shipmentId}#rc=5&rp=all`);
    const validity = Number(handover!.form.ValidityPeriod);
    expect(Number.isInteger(validity)).toBe(true);
    expect(validity).toBeLessThanOrEqual(120);
    expect(validity).toBeGreaterThan(115);

    expect(await waitForRecipientStatus(shipmentId, "SMS_Accepted")).toEqual({ status: "Order_Processed", recipientStatus: "SMS_Accepted" });
    expect((await sendStatus(handover!, "sent")).status).toBe(200);
    expect((await sendStatus(handover!, "delivered")).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });

    // Exactly one hand-over: one request, one claim, and the order is final, so no claim can follow.
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
    const { row } = await orderState(shipmentId);
    expect(row).toMatchObject({ attempts: 1, provider_ref: handover!.sid, status: "SMS_Delivered" });
    const d1 = await env.DB.prepare("SELECT provider_ref FROM recipients WHERE shipment_id = ?").bind(shipmentId).first<{ provider_ref: string }>();
    expect(d1?.provider_ref).toBe(handover!.sid);
  });

  it("caps ValidityPeriod at Twilio's 36000 s for a long time to live", async () => {
    const twilio = fakeTwilio();
    const { handover } = await acceptedSms(twilio, 172_800);
    expect(handover.form.ValidityPeriod).toBe(String(MAX_VALIDITY_SECONDS));
  });
});

describe("status callbacks move the shipment forward only", () => {
  it("keeps SMS_Delivered when a late undelivered follows sent and delivered, and records the late report", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    expect((await sendStatus(handover, "sent")).status).toBe(200);
    expect((await sendStatus(handover, "delivered")).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");

    expect((await sendStatus(handover, "undelivered", "30003")).status).toBe(200);
    const { row, events } = await orderState(shipmentId);
    expect(row.status).toBe("SMS_Delivered");
    expect(events.at(-1)).toMatchObject({ status: "SMS_Failed_Undelivered", applied: 0, source: "twilio undelivered 30003" });
    // The audit trail in D1 catches up with it too, and the status stays.
    await eventually(() => d1Events(shipmentId), (e) => e.some((x) => x.status === "SMS_Failed_Undelivered" && x.applied === 0), {
      what: "the late report in D1",
    });
    expect(await shipmentState(shipmentId)).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
  });

  it("ends SMS_Delivered when delivered overtakes sent", async () => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    expect((await sendStatus(handover, "delivered")).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    expect((await sendStatus(handover, "sent")).status).toBe(200);

    const { row, events } = await orderState(shipmentId);
    expect(row.status).toBe("SMS_Delivered");
    expect(events.at(-1)).toMatchObject({ status: "SMS_Accepted", applied: 0, source: "twilio sent" });
    expect(await shipmentState(shipmentId)).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
  });

  it.each([
    ["undelivered", "30003", "SMS_Failed_Undelivered"],
    ["undelivered", "30005", "SMS_Failed_InvalidRecipient"],
    ["failed", "30004", "SMS_Failed_BarredReceiver"],
    ["undelivered", "30036", "SMS_Failed_TTL"],
  ])("maps MessageStatus=%s with ErrorCode %s to %s", async (status, errorCode, expected) => {
    const twilio = fakeTwilio();
    const { shipmentId, handover } = await acceptedSms(twilio);
    expect((await sendStatus(handover, status, errorCode)).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, expected)).toEqual({ status: "Order_Completed", recipientStatus: expected });
  });
});

describe("a callback that overtakes Twilio's answer", () => {
  it("applies a delivered callback that arrives before the 201, and the late 201 neither regresses nor re-sends", async () => {
    const twilio = fakeTwilio();
    // Observe when the consumer has recorded Twilio's (late) answer in the order.
    const record = OrderObject.prototype.record;
    const recorded: { shipmentId: string; outcome: ProviderOutcome }[] = [];
    vi.spyOn(OrderObject.prototype, "record").mockImplementation(async function (this: OrderObject, shipmentId, claimId, outcome) {
      await record.call(this, shipmentId, claimId, outcome);
      recorded.push({ shipmentId, outcome });
    });
    const to = uniqueMobile();
    let answer!: () => void;
    twilio.script(to, [reply.createdWhen(new Promise<void>((resolve) => (answer = resolve)))]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    const [handover] = await handovers(twilio, shipmentId, 1);

    expect((await sendStatus(handover!, "delivered")).status).toBe(200); // Twilio's 201 is still on its way
    expect((await orderState(shipmentId)).row).toMatchObject({ status: "SMS_Delivered", handover: "accepted", provider_ref: handover!.sid });

    answer();
    const [late] = await eventually(async () => recorded.filter((r) => r.shipmentId === shipmentId), (r) => r.length > 0, { what: "the late 201 to be recorded" });
    expect(late!.outcome).toEqual({ kind: "accepted", status: "SMS_Accepted", providerRef: handover!.sid });
    expect((await orderState(shipmentId)).row).toMatchObject({ status: "SMS_Delivered", attempts: 1, provider_ref: handover!.sid });
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
  });
});

describe("Twilio refuses the hand-over", () => {
  it.each([
    [21211, "SMS_Failed_InvalidRecipient", reply.invalidTo()],
    [21610, "SMS_Failed_BarredReceiver", reply.unsubscribed()],
  ])("maps 400 %i to %s at once, without a retry", async (_code, expected, answer) => {
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    twilio.script(to, [answer]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    expect(await waitForRecipientStatus(shipmentId, expected)).toEqual({ status: "Order_Completed", recipientStatus: expected });

    // Final at hand-over: one request, one claim; a final order is never claimed again.
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
    const { row } = await orderState(shipmentId);
    expect(row).toMatchObject({ attempts: 1, handover: "done", provider_ref: null });
  });
});

describe("transient failures are retried until the deadline", () => {
  it("retries 429 twice, then sends once more and is delivered after exactly 3 requests", async () => {
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    twilio.script(to, [reply.tooManyRequests(), reply.tooManyRequests(), reply.created()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));

    const requests = await handovers(twilio, shipmentId, 3);
    await waitForRecipientStatus(shipmentId, "SMS_Accepted");
    expect(requests.map((r) => r.httpStatus)).toEqual([429, 429, 201]);
    // Each retry carries the lifetime left at that moment, never more than the one before.
    const validity = requests.map((r) => Number(r.form.ValidityPeriod));
    expect(validity[1]!).toBeLessThanOrEqual(validity[0]!);
    expect(validity[2]!).toBeLessThanOrEqual(validity[1]!);

    expect((await sendStatus(requests[2]!, "delivered")).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    expect(twilio.requestsFor(shipmentId)).toHaveLength(3);
    expect((await orderState(shipmentId)).row).toMatchObject({ attempts: 3, provider_ref: requests[2]!.sid });
  });

  it("times out a call Twilio accepted but never answered: in doubt, never sent again, and its report settles it", async () => {
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    twilio.script(to, [reply.hang(), reply.created()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    const [handover] = await handovers(twilio, shipmentId, 1);
    const inDoubt = await eventually(() => orderState(shipmentId), (s) => s.row.handover === "in_doubt", { what: "the hand-over in doubt" });
    expect(inDoubt.row).toMatchObject({ status: "SMS_Sending", attempts: 1 });
    expect(inDoubt.events.at(-1)).toMatchObject({ applied: 0, detail: "answer lost (timeout); waiting for a report" });

    // Whatever could send it again runs now: its alarm (with every retry time passed) and a dispatch message.
    expect(await driveDispatch(shipmentId)).toEqual({ enqueuedByAlarm: 0 });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
    expect((await orderState(shipmentId)).row).toMatchObject({ handover: "in_doubt", attempts: 1 });
    expect((await sendStatus(handover!, "delivered")).status).toBe(200);
    expect(await waitForRecipientStatus(shipmentId, "SMS_Delivered")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Delivered" });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
  });

  it("retries a network failure and a 500", async () => {
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    twilio.script(to, [reply.network(), reply.serverError(), reply.created()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to })));
    const requests = await handovers(twilio, shipmentId, 3);
    await waitForRecipientStatus(shipmentId, "SMS_Accepted");
    expect(requests.map((r) => r.answered)).toEqual(["network", "error", "created"]);
    expect(twilio.requestsFor(shipmentId)).toHaveLength(3);
  });

  /**
   * Registers an SMS (60 s TTL) that Twilio answers 503 forever, waits for at least one retry, then, at a
   * moment when no hand-over is in flight and no dispatch message is queued (handover = waiting,
   * enqueued = 0), moves its deadline into the past in one synchronous step inside the object, so
   * every later decision must see it. The object's own alarm is parked an hour ahead, so nothing but
   * what the test does next acts on the order. `then` runs in the same step.
   */
  async function pastDeadlineWhileRetrying<T>(then: (order: OrderObject, shipmentId: string) => Promise<T> | T) {
    const twilio = fakeTwilio();
    const to = uniqueMobile();
    twilio.script(to, [reply.unavailable()]);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: to, ttl: 60 })));
    await handovers(twilio, shipmentId, 2); // retries keep happening

    const stub = await orderObjectOf(shipmentId);
    const moved = await eventually(
      () =>
        runInDurableObject(stub, async (order, state) => {
          const sql = state.storage.sql;
          const row = sql.exec<{ handover: string; enqueued: number }>("SELECT handover, enqueued FROM shipment WHERE id = 1").one();
          if (row.handover !== "waiting" || row.enqueued !== 0) return null;
          sql.exec("UPDATE shipment SET deadline = ? WHERE id = 1", Date.now() - 1_000);
          const requestsAtMove = twilio.requestsFor(shipmentId).length;
          await state.storage.setAlarm(Date.now() + 3_600_000);
          return { requestsAtMove, result: await then(order, shipmentId) };
        }),
      (m) => m !== null,
      { what: "a moment with no hand-over in flight" },
    );
    const { requestsAtMove, result } = moved!;
    expect(requestsAtMove).toBeGreaterThanOrEqual(2);
    expect(twilio.requestsFor(shipmentId).slice(0, requestsAtMove).every((r) => r.httpStatus === 503)).toBe(true);
    return { twilio, shipmentId, stub, requestsAtMove, result };
  }

  it("keeps retrying 503 until the deadline; then the alarm ends it SMS_Failed_TTL and nothing more is sent", async () => {
    const { twilio, shipmentId, stub, requestsAtMove } = await pastDeadlineWhileRetrying(() => undefined);

    await runDurableObjectAlarm(stub);
    // The alarm itself settles it (not a later dispatch that happens to notice the deadline).
    expect((await orderState(shipmentId)).row).toMatchObject({ status: "SMS_Failed_TTL", handover: "done" });
    expect(await waitForRecipientStatus(shipmentId, "SMS_Failed_TTL")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Failed_TTL" });

    // Nothing reached Twilio after the move, and nothing can: every claim made one request, and a final order is never claimed.
    expect(twilio.requestsFor(shipmentId)).toHaveLength(requestsAtMove);
    expect((await orderState(shipmentId)).row.attempts).toBe(requestsAtMove);
  });

  it("refuses a dispatch that comes after the deadline, and ends it SMS_Failed_TTL", async () => {
    // A queued or redelivered dispatch message can arrive after the deadline: its claim must refuse.
    const { twilio, shipmentId, requestsAtMove, result } = await pastDeadlineWhileRetrying((order, id) => order.claim(id));
    expect(result).toEqual({ kind: "skip", reason: "deadline_passed" });
    expect((await orderState(shipmentId)).row).toMatchObject({ status: "SMS_Failed_TTL", handover: "done", attempts: requestsAtMove });
    expect(await waitForRecipientStatus(shipmentId, "SMS_Failed_TTL")).toEqual({ status: "Order_Completed", recipientStatus: "SMS_Failed_TTL" });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(requestsAtMove);
  });
});

describe("dispatch right after registration", () => {
  it("hands over without a queue message, and a queue message of an older version that follows changes nothing", async () => {
    const twilio = fakeTwilio();
    const send = spyOnQueue(env.SMS_QUEUE);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
    await handovers(twilio, shipmentId, 1);
    await waitForRecipientStatus(shipmentId, "SMS_Accepted");
    expect(send.mock.calls.filter(([m]) => (m as { shipmentId?: string }).shipmentId === shipmentId)).toEqual([]);
    send.mockRestore();

    await deliverDispatch([{ orderRef: await orderRefOf(shipmentId), shipmentId } as DispatchMessage]); // an older version's backup message
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
    expect((await orderState(shipmentId)).row).toMatchObject({ handover: "accepted", attempts: 1 });
  });

  it("when the immediate attempt never runs (its isolate died after the 201), the alarm stored with the order dispatches", async () => {
    const twilio = fakeTwilio();
    const send = spyOnQueue(env.SMS_QUEUE);
    const request = smsRequest({ phoneNumber: uniqueMobile() });
    const { shipmentId, stub } = await orderStub(env, "ttd", request);
    const registeredAt = Date.now();
    // What the route does, without the attempt it starts after the 201.
    const outcome = await stub.register("ttd", toSmsOrder(request, { smsSender: "Altinn", emailSender: "noreply@altinn.no" }));
    expect(outcome.kind).toBe("created");
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(registeredAt + 10_000); // due shortly, not at the deadline
    expect(send).not.toHaveBeenCalled();

    await shiftOrderTimes(shipmentId, ["dispatch_at"], -60_000); // that moment has come
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(send.mock.calls.filter(([m]) => (m as { shipmentId?: string }).shipmentId === shipmentId)).toHaveLength(1);
    send.mockRestore();
    await handovers(twilio, shipmentId, 1);
    expect(await waitForRecipientStatus(shipmentId, "SMS_Accepted")).toEqual({ status: "Order_Processed", recipientStatus: "SMS_Accepted" });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(1);
  });

  it("claims the hand-over in the registration's own call: the order is asked no separate claim", async () => {
    const twilio = fakeTwilio();
    const claims = vi.spyOn(OrderObject.prototype, "claim");
    const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
    await handovers(twilio, shipmentId, 1);
    await waitForRecipientStatus(shipmentId, "SMS_Accepted");
    expect(claims).not.toHaveBeenCalled();
    expect(await storedOrder(shipmentId)).toMatchObject({ handover: "accepted", attempts: 1, claim_provider: "twilio" });
    const { events } = await orderState(shipmentId);
    expect(events.filter((e) => e.status === "SMS_Sending")).toHaveLength(1);
  });

  it("logs the registration and its claim as one line: registered, at SMS_Sending; then one line per later status", async () => {
    const twilio = fakeTwilio();
    const lines = captureLogLines();
    const { shipmentId, handover } = await acceptedSms(twilio);
    expect((await sendStatus(handover, "delivered")).status).toBe(200);
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");

    expect(shipmentStory(lines, shipmentId)).toEqual([
      { event: "registered", status: "SMS_Sending", from: undefined, to: undefined },
      { event: "status", status: undefined, from: "SMS_Sending", to: "SMS_Accepted" },
      { event: "status", status: undefined, from: "SMS_Accepted", to: "SMS_Delivered" },
    ]);
  });

  it("when the isolate dies between the registration's claim and the hand-over, the expired claim is settled as any other", async () => {
    const twilio = fakeTwilio();
    const request = smsRequest({ phoneNumber: uniqueMobile() });
    const { shipmentId, stub } = await orderStub(env, "ttd", request);
    // What the route does, without the hand-over it starts after the 201.
    const outcome = await stub.register("ttd", toSmsOrder(request, { smsSender: "Altinn", emailSender: "noreply@altinn.no" }), { name: "twilio", idempotent: false });
    expect(outcome.kind === "created" && outcome.claim?.message).toMatchObject({ shipmentId, to: request.recipientSms.phoneNumber, body: request.recipientSms.smsSettings.body });
    expect((await orderState(shipmentId)).row).toMatchObject({ handover: "claimed", attempts: 1 });
    await shiftOrderTimes(shipmentId, ["claim_until"], -60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Twilio does not honour our key: maybe sent, so never sent again; a report or the deadline settles it.
    expect((await orderState(shipmentId)).row).toMatchObject({ handover: "in_doubt", attempts: 1 });
    expect(await stub.claim(shipmentId, { name: "twilio", idempotent: false })).toMatchObject({ kind: "skip" });
    expect(twilio.requestsFor(shipmentId)).toHaveLength(0);
  });
});
