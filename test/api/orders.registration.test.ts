import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { shipmentIdFor } from "../../src/orders/order-key";
import { call, emailRequest, postEmail, postSms, problemOf, smsRequest, uniqueKey } from "../support/api";
import { rowsForKey } from "../support/shipments";
import { spyOnQueue } from "../support/queue";

type OrderBody = { notificationOrderId: string; notification: { shipmentId: string; sendersReference?: string } };

afterEach(() => vi.restoreAllMocks());

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

  it("replays the same request with 200 and the identical body", async () => {
    const request = smsRequest();
    const first = await postSms(request);
    const second = await postSms(request);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
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
    expect(second.status).toBe(200);
  });

  it("answers 422 NOT-10001 for a different request under a used key, and keeps the first", async () => {
    const request = smsRequest();
    const first = (await (await postSms(request)).json()) as OrderBody;
    const changed = smsRequest({ key: request.idempotencyId, body: "Your code is 999999" });
    const response = await postSms(changed);
    expect(response.status).toBe(422);
    expect((await problemOf(response)).code).toBe("NOT-10001");
    const replay = await postSms(request);
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as OrderBody).notification.shipmentId).toBe(first.notification.shipmentId);
    expect((await rowsForKey("ttd", request.idempotencyId)).shipments).toBe(1);
  });

  it("shares the key between the SMS, email and deprecated endpoints", async () => {
    const key = uniqueKey();
    const sms = smsRequest({ key });
    expect((await postSms(sms)).status).toBe(201);
    const { recipientSms, ...rest } = sms;
    const deprecated = await call("POST", "/future/orders/instant", { ...rest, recipient: { recipientSms } });
    expect(deprecated.status).toBe(200);
    expect(deprecated.headers.get("deprecation")).toBeTruthy();
    const email = await postEmail(emailRequest({ key }));
    expect(email.status).toBe(422);
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
    expect(await postSms(request).then((r) => r.status)).toBe(200);
    expect(send).toHaveBeenCalledTimes(2);
    expect(await rowsForKey("ttd", request.idempotencyId)).toMatchObject({ shipments: 1, recipients: 1 });
  });
});
