import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { shipmentIdFor } from "../../src/orders/order-key";
import { OrderObject } from "../../src/orders/order-object";
import type { OutboxMessage } from "../../src/providers/simulator/outbox";
import { BASE, call, emailRequest, expectMismatch, expectReplay, postEmail, postSms, problemOf, smsRequest, tokenFor, uniqueKey, variedPhoneNumber } from "../support/api";
import { simulatorHandovers } from "../support/order";
import { rowsForKey, waitForShipment } from "../support/shipments";
import { spyOnQueue } from "../support/queue";

type OrderBody = { notificationOrderId: string; notification: { shipmentId: string; sendersReference?: string } };

afterEach(() => vi.restoreAllMocks());

/** What the simulator received for a shipment: its outbox's recipient and body of each hand-over. */
async function simulatorOutbox(shipmentId: string): Promise<{ to: string; body: string }[]> {
  const stub = env.SIMULATOR.get(env.SIMULATOR.idFromName("simulator"));
  const rows = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ message: string }>("SELECT message FROM outbox ORDER BY id").toArray());
  return rows
    .map((row) => JSON.parse(row.message) as OutboxMessage)
    .filter((m) => m.shipmentId === shipmentId)
    .map(({ to, body }) => ({ to, body }));
}

/** POST /future/orders/instant/sms through the Worker's fetch handler with some of its variables changed (a deployment's settings). */
async function postSmsWith(vars: Partial<Env>, body: unknown, org: string): Promise<Response> {
  const request = new Request(`${BASE}/future/orders/instant/sms`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await tokenFor(org)}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return worker.fetch!(request as Request<unknown, IncomingRequestCfProperties>, { ...env, ...vars }, createExecutionContext());
}

/** Counts what the Durable Objects put on a channel's queue (the binding's prototype is shared by every env). */
describe("POST /future/orders/instant/sms — registration", () => {
  it("answers 201 with fresh ids, a Location header, and the shipment is readable at once", async () => {
    const response = await postSms(smsRequest({ phoneNumber: "+4799999999" }));
    expect(response.status).toBe(201);
    const body = (await response.json()) as OrderBody;
    expect(body.notificationOrderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.notification.shipmentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.notificationOrderId).not.toBe(body.notification.shipmentId);
    expect(body.notification.sendersReference).toBe("otp-login-1234");
    expect(response.headers.get("location")).toBe(`/notifications/api/v1/future/shipment/${body.notification.shipmentId}`);

    const shipment = await call("GET", `/future/shipment/${body.notification.shipmentId}`);
    expect(shipment.status).toBe(200);
    expect(await shipment.json()).toMatchObject({
      shipmentId: body.notification.shipmentId,
      sendersReference: "otp-login-1234",
      type: "Instant",
      recipients: [{ type: "SMS", destination: "+4799999999" }],
    });
  });

  it("puts one reference message on the SMS queue, without the body", async () => {
    const send = spyOnQueue(env.SMS_QUEUE);
    const response = await postSms(smsRequest({ phoneNumber: "+4799999999", body: "Your code is 771177" }));
    const { notification } = (await response.json()) as OrderBody;
    expect(send).toHaveBeenCalledTimes(1);
    const [message] = send.mock.calls[0]!;
    expect(message).toMatchObject({ shipmentId: notification.shipmentId });
    expect(JSON.stringify(message)).not.toContain("771177");
    expect(JSON.stringify(message)).not.toContain("4799999999");
  });

  it("replays the same request with 200 and the identical body, without Idempotency-Mismatch", async () => {
    const request = smsRequest();
    const first = await postSms(request);
    const second = await postSms(request);
    expect(first.status).toBe(201);
    expectReplay(second);
    expect(await second.text()).toBe(await first.text());
    expect(await rowsForKey("ttd", request.idempotencyId)).toMatchObject({ shipments: 1, recipients: 1 });
  });

  it("treats the same request after normalisation (00 prefix, default sender) as the same request", async () => {
    const request = smsRequest({ phoneNumber: "+4799999999" });
    const first = await postSms(request);
    const variant = structuredClone(request);
    variant.recipientSms.phoneNumber = "0047 99 99 99 99";
    const second = await postSms(variant);
    expect(first.status).toBe(201);
    expectReplay(second);
  });

  it("answers a different request under a used key with the first answer and Idempotency-Mismatch: true, and sends nothing of it", async () => {
    const send = spyOnQueue(env.SMS_QUEUE);
    const request = smsRequest();
    const first = await postSms(request);
    const firstText = await first.text();
    const changed = smsRequest({ key: request.idempotencyId, body: "Your code is 999999" });
    const response = await postSms(changed);
    expectMismatch(response);
    expect(await response.text()).toBe(firstText);
    expect(response.headers.get("location")).toBeNull();
    expect(send).toHaveBeenCalledTimes(1); // the first request's dispatch only
    const replay = await postSms(request);
    expectReplay(replay);
    expect(await replay.text()).toBe(firstText);
    expect((await rowsForKey("ttd", request.idempotencyId)).shipments).toBe(1);
  });

  it("shares the key between the SMS, email and deprecated endpoints: another endpoint's request is a different request", async () => {
    const key = uniqueKey();
    const sms = smsRequest({ key });
    const first = await postSms(sms);
    expect(first.status).toBe(201);
    const firstText = await first.text();
    const { recipientSms, ...rest } = sms;
    const deprecated = await call("POST", "/future/orders/instant", { ...rest, recipient: { recipientSms } });
    expectReplay(deprecated);
    expect(deprecated.headers.get("deprecation")).toBeTruthy();
    const deprecatedOther = await call("POST", "/future/orders/instant", { ...rest, recipient: { recipientSms: { ...recipientSms, timeToLiveInSeconds: 300 } } });
    expectMismatch(deprecatedOther);
    expect(deprecatedOther.headers.get("deprecation")).toBeTruthy();
    expect(await deprecatedOther.text()).toBe(firstText);
    const email = await postEmail(emailRequest({ key }));
    expectMismatch(email);
    expect(await email.text()).toBe(firstText);
    expect(await rowsForKey("ttd", key)).toMatchObject({ shipments: 1, recipients: 1 });
  });

  it("answers 422 NOT-10001 instead for an organisation that chose the strict answer, and keeps the first", async () => {
    const org = "idempotency-strict";
    const request = smsRequest();
    const first = (await (await postSms(request, { org })).json()) as OrderBody;
    for (const changed of [smsRequest({ key: request.idempotencyId, body: "Your code is 999999" }), emailRequest({ key: request.idempotencyId })]) {
      const response = await ("recipientEmail" in changed ? postEmail(changed, { org }) : postSms(changed, { org }));
      expect(response.status).toBe(422);
      expect(response.headers.get("Idempotency-Mismatch")).toBeNull();
      expect((await problemOf(response)).code).toBe("NOT-10001");
    }
    const replay = await postSms(request, { org });
    expectReplay(replay);
    expect(((await replay.json()) as OrderBody).notification.shipmentId).toBe(first.notification.shipmentId);
    expect((await rowsForKey(org, request.idempotencyId)).shipments).toBe(1);
  });

  it("answers 422 NOT-10001 where the deployment chose it (IDEMPOTENCY_MISMATCH = reject), unless the organisation's override says replay", async () => {
    const post = (body: unknown, org: string) => postSmsWith({ IDEMPOTENCY_MISMATCH: "reject" }, body, org);
    for (const [org, expected] of [["ttd", 422], ["idempotency-replay", 200]] as const) {
      const request = smsRequest();
      expect((await post(request, org)).status).toBe(201);
      const response = await post(smsRequest({ key: request.idempotencyId, body: "Your code is 999999" }), org);
      expect(response.status, org).toBe(expected);
      if (expected === 422) expect((await problemOf(response)).code).toBe("NOT-10001");
      else expectMismatch(response);
      expectReplay(await post(request, org));
    }
  });

  it("answers 503 NOT-00004 to a different request while IDEMPOTENCY_MISMATCH is invalid, naming it in the log (never a 200 that was not chosen)", async () => {
    const logged = vi.spyOn(console, "log");
    const post = (body: unknown) => postSmsWith({ IDEMPOTENCY_MISMATCH: "strict" }, body, "ttd");
    const request = smsRequest();
    expect((await post(request)).status).toBe(201);
    expectReplay(await post(request)); // an identical repeat never needs the setting
    const response = await post(smsRequest({ key: request.idempotencyId, body: "Your code is 999999" }));
    expect(response.status).toBe(503);
    expect((await problemOf(response)).code).toBe("NOT-00004");
    expect(logged.mock.calls.map(([line]) => String(line)).find((line) => line.includes("idempotency.config_invalid"))).toContain("IDEMPOTENCY_MISMATCH");
  });

  it("marks every answer of the deprecated endpoint as deprecated, errors included", async () => {
    const response = await call("POST", "/future/orders/instant", { idempotencyId: uniqueKey(), recipient: { recipientSms: {} } });
    expect(response.status).toBe(400);
    expect(response.headers.get("deprecation")).toBe("@1767225600");
    expect(response.headers.get("link")).toBe('</notifications/api/v1/future/orders/instant/sms>; rel="successor-version"');
  });

  it("makes exactly one shipment and one queue message from 50 concurrent requests with one key", async () => {
    const send = spyOnQueue(env.SMS_QUEUE);
    const request = smsRequest();
    const responses = await Promise.all(Array.from({ length: 50 }, () => postSms(request)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as OrderBody).notification.shipmentId)));
    expect(ids.size).toBe(1);
    expect(send).toHaveBeenCalledTimes(1);
    expect(await rowsForKey("ttd", request.idempotencyId)).toMatchObject({ shipments: 1, recipients: 1 });
  });

  it("makes one shipment and one hand-over from 10 concurrent requests with one key and different bodies: one 201, the rest its answer, marked", async () => {
    const send = spyOnQueue(env.SMS_QUEUE);
    const key = uniqueKey();
    const numbers = [variedPhoneNumber(), variedPhoneNumber()];
    const requests = Array.from({ length: 10 }, (_, i) => smsRequest({ key, phoneNumber: numbers[i % 2], body: `Your code is ${100_000 + i}` }));
    const responses = await Promise.all(requests.map((request) => postSms(request)));
    const texts = await Promise.all(responses.map((r) => r.text()));
    const created = responses.findIndex((r) => r.status === 201);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    responses.filter((_, i) => i !== created).forEach((r) => expectMismatch(r)); // every other request differs from the one registered
    expect(new Set(texts).size).toBe(1);
    expect(send).toHaveBeenCalledTimes(1);
    expect(await rowsForKey("ttd", key)).toMatchObject({ shipments: 1, recipients: 1 });

    const { shipmentId } = (JSON.parse(texts[0]!) as OrderBody).notification;
    await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");
    expect(await simulatorHandovers(shipmentId)).toBe(1);
    const sent = await simulatorOutbox(shipmentId);
    expect(sent).toEqual([{ to: requests[created]!.recipientSms.phoneNumber, body: requests[created]!.recipientSms.smsSettings.body }]);
  });

  it("keeps one organisation's key apart from another's", async () => {
    const request = smsRequest();
    const a = (await (await postSms(request, { org: "org-a" })).json()) as OrderBody;
    const bResponse = await postSms(request, { org: "org-b" });
    expect(bResponse.status).toBe(201);
    const b = (await bResponse.json()) as OrderBody;
    expect(b.notification.shipmentId).not.toBe(a.notification.shipmentId);
    expect((await rowsForKey("org-a", request.idempotencyId)).shipments).toBe(1);
    expect((await rowsForKey("org-b", request.idempotencyId)).shipments).toBe(1);
  });
});

describe("POST /future/orders/instant/email — registration", () => {
  it("answers 201 and puts one reference message on the email queue", async () => {
    const send = spyOnQueue(env.EMAIL_QUEUE);
    const request = emailRequest({ emailAddress: "user@example.com" });
    const response = await postEmail(request);
    expect(response.status).toBe(201);
    expect(send).toHaveBeenCalledTimes(1);
    const { notification } = (await response.json()) as OrderBody;
    const shipment = await (await call("GET", `/future/shipment/${notification.shipmentId}`)).json();
    expect(shipment).toMatchObject({ type: "Instant", recipients: [{ type: "Email", destination: "user@example.com" }] });
  });
});

describe("registration when a dependency fails", () => {
  it("answers 503 NOT-00004 when the order object fails, logs it with the request's trace id, and starts no attempt", async () => {
    const register = vi.spyOn(OrderObject.prototype, "register").mockRejectedValueOnce(new Error("injected: order object unreachable"));
    const logged = vi.spyOn(console, "error");
    const send = spyOnQueue(env.SMS_QUEUE);
    const request = smsRequest();
    const ctx = createExecutionContext();
    const response = await worker.fetch!(
      new Request(`${BASE}/future/orders/instant/sms`, {
        method: "POST",
        headers: { Authorization: `Bearer ${await tokenFor("ttd")}`, "Content-Type": "application/json" },
        body: JSON.stringify(request),
      }) as Request<unknown, IncomingRequestCfProperties>,
      { ...env, DISPATCH_ON_REGISTRATION: "immediate" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(503);
    expect((await problemOf(response)).code).toBe("NOT-00004");
    expect(register).toHaveBeenCalledTimes(1);
    const line = logged.mock.calls.map(([l]) => JSON.parse(String(l)) as { event: string; traceId?: string }).find((l) => l.event === "register.order_object_failed");
    expect(line?.traceId).toEqual(expect.any(String));
    expect(logged.mock.calls.some(([l]) => String(l).includes("dispatch.immediate_failed"))).toBe(false);
    expect(send).not.toHaveBeenCalled();
    expect(await rowsForKey("ttd", request.idempotencyId)).toEqual({ shipments: 0, recipients: 0, events: 0 });
  });

  it("answers 503 NOT-00004 when the queue send fails, stores nothing, and a retry succeeds once", async () => {
    const request = smsRequest();
    const send = spyOnQueue(env.SMS_QUEUE).mockRejectedValueOnce(new Error("queue unavailable"));
    const failed = await postSms(request);
    expect(failed.status).toBe(503);
    expect((await problemOf(failed)).code).toBe("NOT-00004");
    expect(await rowsForKey("ttd", request.idempotencyId)).toEqual({ shipments: 0, recipients: 0, events: 0 });
    expect((await call("GET", `/future/shipment/${await shipmentIdFor("ttd", request.idempotencyId)}`)).status).toBe(404);

    const retry = await postSms(request);
    expect(retry.status).toBe(201);
    expectReplay(await postSms(request));
    expect(send).toHaveBeenCalledTimes(2);
    expect(await rowsForKey("ttd", request.idempotencyId)).toMatchObject({ shipments: 1, recipients: 1 });
  });
});
