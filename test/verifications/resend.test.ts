// Resend and GET (CONTRACT.md, "One-time codes"): the same code again as a new message under its own key,
// at most two, only while pending; the GET body's shape, first message first and never the code; each
// message a normal shipment whose manifest names its verification.
import { describe, expect, it } from "vitest";
import { call, uniqueKey } from "../support/api";
import { storedOrder } from "../support/order";
import { readShipmentAs, waitForShipment } from "../support/shipments";
import {
  checkAnswerOf,
  checkCode,
  codeIn,
  codeOfSms,
  createdOf,
  EMAIL_TEMPLATE,
  emailVerification,
  expectResendRefused,
  outboxOf,
  postEmailVerification,
  resend,
  SMS_TEMPLATE,
  startSms,
  viewOf,
  waitForView,
  wrongCode,
} from "../support/verifications";

const shipmentIdOfResend = async (response: Response) => {
  const text = await response.text();
  expect(response.status, text).toBe(201);
  const body = JSON.parse(text) as { shipmentId: string };
  expect(Object.keys(body)).toEqual(["shipmentId"]);
  return body.shipmentId;
};

describe("POST /future/verifications/{id}/resend", () => {
  it("answers 201 { shipmentId } and sends the same code, with the same text, in a second message", async () => {
    const { request, created } = await startSms({ codeLength: 8 });
    const [first] = await outboxOf(created.shipmentId);

    const resent = await shipmentIdOfResend(await resend(created.verificationId));
    expect(resent).not.toBe(created.shipmentId);
    const [second] = await outboxOf(resent);
    expect(second).toMatchObject({ channel: "sms", to: request.phoneNumber });
    expect(second!.body).toBe(first!.body);
    expect(codeIn(second!.body, SMS_TEMPLATE)).toBe(codeIn(first!.body, SMS_TEMPLATE));
  });

  it("gives every message the verification's deadline: no SMS is handed over after the code can no longer be used", async () => {
    const { created } = await startSms({ timeToLiveInSeconds: 120 });
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a resend 1.5 s later must not live 1.5 s longer
    const resent = await shipmentIdOfResend(await resend(created.verificationId));
    const expiresAt = Date.parse(created.expiresAt);
    for (const shipmentId of [created.shipmentId, resent]) {
      // Whole seconds of the time left, so up to a second earlier; never later (but for the milliseconds the registration takes).
      const deadline = Number((await storedOrder(shipmentId)).deadline);
      expect(deadline, shipmentId).toBeLessThanOrEqual(expiresAt + 100);
      expect(deadline, shipmentId).toBeGreaterThan(expiresAt - 1_500);
    }
  });

  it("answers a replay of the resend key with 200 and the same body, and sends nothing more", async () => {
    const { created } = await startSms();
    const key = uniqueKey("resend");
    const first = await resend(created.verificationId, key);
    const firstText = await first.text();
    expect(first.status, firstText).toBe(201);
    const replay = await resend(created.verificationId, key);
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe(firstText);
    const { shipmentId } = JSON.parse(firstText) as { shipmentId: string };
    await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");
    expect((await viewOf(created.verificationId)).shipments.map((s) => s.shipmentId)).toEqual([created.shipmentId, shipmentId]);
  });

  it("allows two resends; the third answers 409 NOT-20003 and sends nothing; the two keys still replay", async () => {
    const { created } = await startSms();
    const keys = [uniqueKey("resend"), uniqueKey("resend"), uniqueKey("resend")];
    const one = await shipmentIdOfResend(await resend(created.verificationId, keys[0]));
    const two = await shipmentIdOfResend(await resend(created.verificationId, keys[1]));
    await expectResendRefused(await resend(created.verificationId, keys[2]));

    expect((await viewOf(created.verificationId)).shipments.map((s) => s.shipmentId)).toEqual([created.shipmentId, one, two]);
    const replay = await resend(created.verificationId, keys[1]);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ shipmentId: two });
    // The refused key was not remembered as a resend: still refused, still three messages.
    await expectResendRefused(await resend(created.verificationId, keys[2]));
    expect((await viewOf(created.verificationId)).shipments).toHaveLength(3);
  });

  it("sends one message for 10 concurrent resends with one key, and at most two for 10 with different keys", async () => {
    const { created } = await startSms();
    const key = uniqueKey("resend");
    const same = await Promise.all(Array.from({ length: 10 }, () => resend(created.verificationId, key)));
    expect(same.map((r) => r.status).sort()).toEqual([...Array<number>(9).fill(200), 201]);
    expect(new Set(await Promise.all(same.map((r) => r.text()))).size).toBe(1);

    const different = await Promise.all(Array.from({ length: 10 }, () => resend(created.verificationId)));
    expect(different.filter((r) => r.status === 201)).toHaveLength(1); // the second and last resend
    for (const response of different.filter((r) => r.status !== 201)) await expectResendRefused(response);
    expect((await viewOf(created.verificationId)).shipments).toHaveLength(3);
  });

  it("answers 409 NOT-20003 once the verification is approved", async () => {
    const { created } = await startSms();
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
    await expectResendRefused(await resend(created.verificationId));
    expect((await viewOf(created.verificationId)).shipments).toHaveLength(1);
  });

  it("answers 409 NOT-20003 once the attempts ran out", async () => {
    const { created } = await startSms({ maxAttempts: 1 });
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, wrongCode(code)))).attemptsLeft).toBe(0);
    await expectResendRefused(await resend(created.verificationId));
  });

  it("answers a resend without an idempotencyId 400", async () => {
    const { created } = await startSms();
    const response = await call("POST", `/future/verifications/${created.verificationId}/resend`, {});
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("resends an email verification by email, with the same code", async () => {
    const request = emailVerification();
    const created = await createdOf(await postEmailVerification(request));
    const [first] = await outboxOf(created.shipmentId);
    const resent = await shipmentIdOfResend(await resend(created.verificationId));
    const [second] = await outboxOf(resent);
    expect(second).toMatchObject({ channel: "email", to: request.emailAddress, subject: "Your code" });
    expect(codeIn(second!.body, EMAIL_TEMPLATE)).toBe(codeIn(first!.body, EMAIL_TEMPLATE));
    expect((await viewOf(created.verificationId)).shipments.map((s) => s.channel)).toEqual(["email", "email"]);
  });
});

describe("GET /future/verifications/{id}", () => {
  it("shows a pending verification: exactly its fields, its messages first one first, never the code", async () => {
    const { created } = await startSms({ maxAttempts: 4, codeLength: 10 });
    const code = await codeOfSms(created.shipmentId);
    await waitForShipment(created.shipmentId, (s) => s.status === "Order_Completed");
    const resent = await shipmentIdOfResend(await resend(created.verificationId));
    await waitForShipment(resent, (s) => s.status === "Order_Completed");
    expect((await checkAnswerOf(await checkCode(created.verificationId, wrongCode(code)))).status).toBe("denied");

    // The messages' statuses reach the verification's view as they change: wait for both delivered.
    await waitForView(created.verificationId, (v) => v.shipments.length === 2 && v.shipments.every((s) => s.status === "SMS_Delivered"));
    const response = await call("GET", `/future/verifications/${created.verificationId}`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(text).not.toContain(code);
    expect(JSON.parse(text)).toEqual({
      verificationId: created.verificationId,
      status: "pending",
      attempts: 1,
      maxAttempts: 4,
      expiresAt: created.expiresAt,
      channel: "sms",
      shipments: [
        { shipmentId: created.shipmentId, channel: "sms", status: "SMS_Delivered" },
        { shipmentId: resent, channel: "sms", status: "SMS_Delivered" },
      ],
    });
  });

  it("shows approvedAt once approved, between the check's request and its answer, and still never the code", async () => {
    const { created } = await startSms({ codeLength: 10 });
    const code = await codeOfSms(created.shipmentId);
    const before = Date.now();
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
    const after = Date.now();

    const response = await call("GET", `/future/verifications/${created.verificationId}`);
    const text = await response.text();
    expect(text).not.toContain(code);
    const view = JSON.parse(text) as { approvedAt: string; status: string };
    expect(view.status).toBe("approved");
    expect(view.approvedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(view.approvedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(view.approvedAt)).toBeLessThanOrEqual(after + 1000);
  });

  it("shows each message's recipient status as it changes", async () => {
    const { created } = await startSms({ phoneNumber: "+4740000002" }); // accepted, then reported undelivered
    const view = await waitForView(created.verificationId, (v) => v.shipments[0]?.status === "SMS_Failed_Undelivered");
    expect(view.shipments).toEqual([{ shipmentId: created.shipmentId, channel: "sms", status: "SMS_Failed_Undelivered" }]);
  });
});

describe("each message is a normal shipment", () => {
  it("its manifest carries verificationId, the first message's and each resend's", async () => {
    const { request, created } = await startSms();
    const resent = await shipmentIdOfResend(await resend(created.verificationId));
    for (const shipmentId of [created.shipmentId, resent]) {
      const manifest = await waitForShipment(shipmentId, (s) => s.status === "Order_Completed");
      expect(manifest).toMatchObject({
        shipmentId,
        type: "Instant",
        verificationId: created.verificationId,
        recipients: [{ type: "SMS", destination: request.phoneNumber, status: "SMS_Delivered" }],
      });
    }
    // And another organisation cannot read them.
    expect((await call("GET", `/future/shipment/${created.shipmentId}`, undefined, { org: "verify-stranger" })).status).toBe(404);
    expect(await readShipmentAs("ttd", created.shipmentId)).toHaveProperty("verificationId", created.verificationId);
  });
});
