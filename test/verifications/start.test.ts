// Starting a verification (CONTRACT.md, "One-time codes"): the 201 and its replays, the key scope apart
// from orders, and the code as the person gets it, read from the local outbox as a developer would.
import { describe, expect, it } from "vitest";
import { postSms, problemOf, smsRequest, uniqueKey, variedPhoneNumber } from "../support/api";
import { storedOrder } from "../support/order";
import { readShipmentAs, shipmentIdOf, waitForShipment } from "../support/shipments";
import {
  checkAnswerOf,
  checkCode,
  codeIn,
  codeOfSms,
  createdOf,
  EMAIL_TEMPLATE,
  emailVerification,
  outboxMessages,
  outboxOf,
  postEmailVerification,
  postSmsVerification,
  smsVerification,
  SMS_TEMPLATE,
  viewOf,
} from "../support/verifications";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("POST /future/verifications/sms — 201", () => {
  it("answers 201 with Location and { verificationId, shipmentId, expiresAt, sendersReference }, expiresAt = now + timeToLiveInSeconds", async () => {
    const before = Date.now();
    const response = await postSmsVerification(smsVerification({ timeToLiveInSeconds: 120 }));
    const created = await createdOf(response);
    expect(Object.keys(created).sort()).toEqual(["expiresAt", "sendersReference", "shipmentId", "verificationId"]);
    expect(created.verificationId).toMatch(UUID);
    expect(created.shipmentId).toMatch(UUID);
    expect(created.shipmentId).not.toBe(created.verificationId);
    expect(created.sendersReference).toBe("login-1234");
    expect(created.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const expiresAt = Date.parse(created.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 120_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000 + 1000);
    expect(response.headers.get("location")).toBe(`/notifications/api/v1/future/verifications/${created.verificationId}`);
  });

  it("leaves sendersReference out of the answer when the request has none", async () => {
    const created = await createdOf(await postSmsVerification(smsVerification({ sendersReference: undefined })));
    expect(created).not.toHaveProperty("sendersReference");
  });

  it("uses the defaults: a 6-digit code, 5 attempts, 300 s", async () => {
    const before = Date.now();
    const request = smsVerification({ timeToLiveInSeconds: undefined, codeLength: undefined, maxAttempts: undefined });
    const created = await createdOf(await postSmsVerification(request));
    expect(Date.parse(created.expiresAt) - before).toBeGreaterThanOrEqual(300_000 - 1000);
    expect(Date.parse(created.expiresAt) - before).toBeLessThanOrEqual(300_000 + 2000);
    expect(await codeOfSms(created.shipmentId)).toMatch(/^\d{6}$/);
    expect((await viewOf(created.verificationId)).maxAttempts).toBe(5);
  });

  it("answers the same key and the same request with 200 and the same body, and sends still one message", async () => {
    const request = smsVerification();
    const first = await postSmsVerification(request);
    const firstText = await first.text();
    expect(first.status, firstText).toBe(201);
    const { shipmentId, verificationId } = JSON.parse(firstText) as { shipmentId: string; verificationId: string };
    await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");

    const replay = await postSmsVerification(request);
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe(firstText);

    await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");
    const toThisNumber = (await outboxMessages()).filter((m) => m.to === request.phoneNumber);
    expect(toThisNumber.map((m) => m.shipmentId)).toEqual([shipmentId]);
    expect((await viewOf(verificationId)).shipments).toHaveLength(1);
  });

  it("makes one verification and one message from 20 concurrent identical starts: one 201, nineteen 200 with its body", async () => {
    const request = smsVerification();
    const responses = await Promise.all(Array.from({ length: 20 }, () => postSmsVerification(request)));
    expect(responses.map((r) => r.status).sort()).toEqual([...Array<number>(19).fill(200), 201]);
    const texts = await Promise.all(responses.map((r) => r.text()));
    expect(new Set(texts).size).toBe(1);
    const { shipmentId, verificationId } = JSON.parse(texts[0]!) as { shipmentId: string; verificationId: string };
    await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");
    expect((await outboxMessages()).filter((m) => m.to === request.phoneNumber)).toHaveLength(1);
    expect((await viewOf(verificationId)).shipments).toHaveLength(1);
  });

  it("answers a different request under the same key with 422 NOT-10001 (strict, always), and sends nothing of it", async () => {
    const request = smsVerification();
    const first = await createdOf(await postSmsVerification(request));
    for (const changed of [
      { ...request, message: "Another text: {code}" },
      { ...request, codeLength: 8 },
      { ...request, phoneNumber: variedPhoneNumber() },
    ]) {
      const response = await postSmsVerification(changed);
      expect(response.status).toBe(422);
      expect((await problemOf(response)).code).toBe("NOT-10001");
    }
    // The email endpoint with the same key is a different request too.
    const email = await postEmailVerification(emailVerification({ idempotencyId: request.idempotencyId }));
    expect(email.status).toBe(422);
    expect((await problemOf(email)).code).toBe("NOT-10001");

    await waitForShipment(first.shipmentId, (s) => s.status === "Order_Completed");
    expect((await viewOf(first.verificationId)).shipments.map((s) => s.shipmentId)).toEqual([first.shipmentId]);
    const replay = await postSmsVerification(request);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual(first);
  });

  it("keeps verification keys apart from order keys: an order and a verification with one key both answer 201", async () => {
    // An order first, then a verification with its key.
    const orderKey = uniqueKey("shared");
    const orderShipment = await shipmentIdOf(await postSms(smsRequest({ key: orderKey })));
    const verification = await createdOf(await postSmsVerification(smsVerification({ idempotencyId: orderKey })));
    expect(verification.shipmentId).not.toBe(orderShipment);

    // A verification first, then an order with its key.
    const verificationKey = uniqueKey("shared");
    const second = await createdOf(await postSmsVerification(smsVerification({ idempotencyId: verificationKey })));
    const order = await postSms(smsRequest({ key: verificationKey }));
    expect(order.status).toBe(201);
    expect(await shipmentIdOf(order)).not.toBe(second.shipmentId);

    // Each is still itself: the order's manifest has no verification, the verification has its one message.
    expect(await readShipmentAs("ttd", orderShipment)).not.toHaveProperty("verificationId");
    expect((await viewOf(verification.verificationId)).shipments.map((s) => s.shipmentId)).toEqual([verification.shipmentId]);
  });

  it("keeps one organisation's verification key apart from another's", async () => {
    const request = smsVerification();
    const a = await createdOf(await postSmsVerification(request, { org: "verify-org-a" }));
    const b = await createdOf(await postSmsVerification({ ...request, phoneNumber: variedPhoneNumber() }, { org: "verify-org-b" }));
    expect(b.verificationId).not.toBe(a.verificationId);
    expect(b.shipmentId).not.toBe(a.shipmentId);
  });
});

describe("the code in the message", () => {
  it.each([4, 6, 10])("arrives in the outbox in the message text, %i digits", async (codeLength) => {
    const request = smsVerification({ codeLength });
    const { shipmentId } = await createdOf(await postSmsVerification(request));
    const [message] = await outboxOf(shipmentId);
    expect(message).toMatchObject({ channel: "sms", to: request.phoneNumber });
    const code = codeIn(message!.body, SMS_TEMPLATE);
    expect(code).toMatch(new RegExp(`^\\d{${codeLength}}$`));
    expect(message!.body).toBe(SMS_TEMPLATE.replace("{code}", code));
  });

  it("is a different code for each verification", async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { shipmentId } = await createdOf(await postSmsVerification(smsVerification({ codeLength: 10 })));
      codes.add(await codeOfSms(shipmentId));
    }
    expect(codes.size).toBe(3);
  });

  it("ends with the WebOTP line `@domain #code` when webOtpDomain is given", async () => {
    const { shipmentId } = await createdOf(await postSmsVerification(smsVerification({ webOtpDomain: "login.example.no" })));
    const [message] = await outboxOf(shipmentId);
    const lines = message!.body.split("\n");
    const code = codeIn(lines[0]!, SMS_TEMPLATE);
    expect(lines.at(-1)).toBe(`@login.example.no #${code}`);
    expect(lines[0]).toBe(SMS_TEMPLATE.replace("{code}", code));
  });

  it("ends with the Android app hash as the last line when androidAppHash is given, within 140 bytes", async () => {
    const hash = "FA+9qCX9VSu";
    const { shipmentId } = await createdOf(await postSmsVerification(smsVerification({ androidAppHash: hash })));
    const [message] = await outboxOf(shipmentId);
    const lines = message!.body.split("\n");
    expect(lines.at(-1)).toBe(hash);
    expect(codeIn(message!.body, SMS_TEMPLATE)).toMatch(/^\d{6}$/);
    expect(new TextEncoder().encode(message!.body).length).toBeLessThanOrEqual(140);
  });

  it("is checked right the moment it is read from the outbox", async () => {
    const created = await createdOf(await postSmsVerification(smsVerification()));
    const code = await codeOfSms(created.shipmentId);
    const answer = await checkAnswerOf(await checkCode(created.verificationId, code));
    expect(answer).toEqual({ verificationId: created.verificationId, status: "approved", attemptsLeft: expect.any(Number) });
  });
});

describe("POST /future/verifications/email", () => {
  it("sends the code by email with the subject, and the verification's channel is email", async () => {
    const request = emailVerification({ codeLength: 8 });
    const response = await postEmailVerification(request);
    const created = await createdOf(response);
    expect(created.sendersReference).toBe("login-email-1234");
    expect(response.headers.get("location")).toBe(`/notifications/api/v1/future/verifications/${created.verificationId}`);

    const [message] = await outboxOf(created.shipmentId);
    expect(message).toMatchObject({ channel: "email", to: request.emailAddress, subject: "Your code", contentType: "Html" });
    const code = codeIn(message!.body, EMAIL_TEMPLATE);
    expect(code).toMatch(/^\d{8}$/);

    const view = await viewOf(created.verificationId);
    expect(view).toMatchObject({ channel: "email", status: "pending", shipments: [{ shipmentId: created.shipmentId, channel: "email" }] });
    // An email is never handed over after the code can no longer be used: its deadline is expiresAt, not 48 hours.
    const deadline = Number((await storedOrder(created.shipmentId)).deadline);
    expect(deadline).toBeLessThanOrEqual(Date.parse(created.expiresAt) + 100);
    expect(deadline).toBeGreaterThan(Date.parse(created.expiresAt) - 1_500);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
  });
});
