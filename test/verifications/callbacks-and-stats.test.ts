// What a verification tells beyond its own endpoints (CONTRACT.md, "One-time codes", Behaviour): one signed
// `verification.status` callback when it ends, to either kind of subscription; its messages' shipment
// callbacks with `verificationId`; the statistics' `verifications` counts and per-provider `approved`;
// the OpenAPI document and /docs with the endpoints and NOT-20001..NOT-20003.
import { exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call } from "../support/api";
import { subscribe } from "../support/callbacks";
import { fakeReceiver, verifyCallback, type FakeReceiver } from "../support/fake-receiver";
import { eventually } from "../support/shipments";
import { checkAnswerOf, checkCode, codeOfSms, createdOf, emailVerification, outboxOf, postEmailVerification, startSms, viewOf, wrongCode } from "../support/verifications";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

interface Callback {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { verificationId?: string; shipmentId?: string };
}

const newOrg = (prefix: string) => `${prefix}${crypto.randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the verification.status callback", () => {
  it.each(["final", "all"] as const)("events %s: one signed verification.status event when it is approved, its data the GET body", async (events) => {
    const org = newOrg("vcb");
    const path = `/verify-${events}`;
    const { secret } = await subscribe(org, receiver.url(path), events);
    const { created } = await startSms({ codeLength: 10 }, { org });
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code, { org }))).status).toBe("approved");

    const bodies = () => receiver.at(path).map((c) => verifyCallback(secret, c) as Callback);
    await eventually(async () => bodies().filter((b) => b.type === "verification.status").length, (n) => n >= 1, { timeoutMs: 8_000, what: "a verification.status callback" });
    await sleep(500); // time for a second one, were there one
    const ended = bodies().filter((b) => b.type === "verification.status");
    expect(ended).toHaveLength(1);
    expect(ended[0]!.timestamp).toMatch(/Z$/);
    // The data is the GET body (the message's status may have moved on since).
    const view = await viewOf(created.verificationId, { org });
    expect(ended[0]!.data).toEqual({ ...view, shipments: [{ ...view.shipments[0]!, status: expect.any(String) }] });
    expect(ended[0]!.data).toMatchObject({ verificationId: created.verificationId, status: "approved", approvedAt: expect.any(String) });
    for (const callback of receiver.at(path)) expect(callback.body).not.toContain(code);
  });

  it("tells max_attempts the same way, and the message's shipment callback carries verificationId", async () => {
    const org = newOrg("vcb");
    const { secret } = await subscribe(org, receiver.url("/ended"), "final");
    const { created } = await startSms({ maxAttempts: 1 }, { org });
    const code = await codeOfSms(created.shipmentId);
    await checkCode(created.verificationId, wrongCode(code), { org });

    const bodies = () => receiver.at("/ended").map((c) => verifyCallback(secret, c) as Callback);
    const all = await eventually(
      async () => bodies(),
      (b) => b.some((x) => x.type === "verification.status") && b.some((x) => x.type === "shipment.status"),
      { timeoutMs: 8_000, what: "both callbacks" },
    );
    expect(all.find((b) => b.type === "verification.status")!.data).toMatchObject({ verificationId: created.verificationId, status: "max_attempts", attempts: 1 });
    expect(all.find((b) => b.type === "shipment.status")!.data).toMatchObject({ shipmentId: created.shipmentId, verificationId: created.verificationId });
    for (const callback of receiver.at("/ended")) expect(callback.body).not.toContain(code);
  });
});

describe("the statistics", () => {
  it("count verifications started, approved and out of attempts per channel, and approved per provider", async () => {
    const org = newOrg("vstats");
    const approved = await startSms({}, { org });
    const exhausted = await startSms({ maxAttempts: 1 }, { org });
    await startSms({}, { org }); // left pending
    const email = await createdOf(await postEmailVerification(emailVerification(), { org }));

    const [approvedSms] = await outboxOf(approved.created.shipmentId);
    expect((await checkAnswerOf(await checkCode(approved.created.verificationId, await codeOfSms(approved.created.shipmentId), { org }))).status).toBe("approved");
    await checkCode(exhausted.created.verificationId, wrongCode(await codeOfSms(exhausted.created.shipmentId)), { org });
    await outboxOf(email.shipmentId);

    type Day = { date: string; channel: string; verifications?: Record<string, number>; providers: Record<string, Record<string, number>> };
    const today = new Date().toISOString().slice(0, 10);
    const statsOf = async (channel: string) => {
      const response = await call("GET", `/future/stats?channel=${channel}`, undefined, { org });
      expect(response.status).toBe(200);
      return ((await response.json()) as { days: Day[] }).days.find((d) => d.date === today)!;
    };
    const sms = await eventually(
      () => statsOf("sms"),
      (d) => d.verifications?.started === 3 && d.verifications.approved === 1 && d.verifications.maxAttempts === 1,
      { timeoutMs: 8_000, what: "today's SMS verification counts" },
    );
    expect(sms.verifications).toEqual({ started: 3, approved: 1, expired: 0, maxAttempts: 1 });
    expect(sms.providers[approvedSms!.provider]).toMatchObject({ approved: 1 });
    const emailDay = await eventually(() => statsOf("email"), (d) => d.verifications?.started === 1, { timeoutMs: 8_000, what: "today's email verification count" });
    expect(emailDay.verifications).toEqual({ started: 1, approved: 0, expired: 0, maxAttempts: 0 });
  });
});

describe("the API's own documents", () => {
  it("the OpenAPI document has the five endpoints, and /docs explains NOT-20001, NOT-20002 and NOT-20003", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const base = "/notifications/api/v1/future/verifications";
    for (const [path, method] of [
      [`${base}/sms`, "post"],
      [`${base}/email`, "post"],
      [`${base}/{verificationId}/check`, "post"],
      [`${base}/{verificationId}/resend`, "post"],
      [`${base}/{verificationId}`, "get"],
    ] as const) {
      expect(doc.paths[path], path).toHaveProperty(method);
    }
    const text = JSON.stringify(doc);
    for (const code of ["NOT-20001", "NOT-20002", "NOT-20003"]) expect(text).toContain(code);
    const html = await (await exports.default.fetch("http://localhost/docs")).text();
    for (const code of ["NOT-20001", "NOT-20002", "NOT-20003"]) expect(html).toContain(`id="problem-${code}"`);
  });
});
