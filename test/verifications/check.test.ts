// POST /future/verifications/{id}/check (CONTRACT.md, "One-time codes"): denied with one attempt less,
// approved once, then 410 NOT-20001 with how it ended; expiry; another organisation's or an unknown
// id; concurrent right codes.
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, problemOf } from "../support/api";
import {
  checkAnswerOf,
  checkCode,
  codeOfSms,
  expectNotFound,
  expectNotPending,
  expectResendRefused,
  getVerification,
  resend,
  startSms,
  viewOf,
  wrongCode,
} from "../support/verifications";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Runs `use` with the clock `ms` ahead (Date only; the Worker and its objects run in this isolate). */
async function later<T>(ms: number, use: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + ms });
  try {
    return await use();
  } finally {
    vi.useRealTimers();
  }
}

describe("a wrong code, then the right one", () => {
  it("a wrong code answers 200 denied with one attempt less; the right one then 200 approved", async () => {
    const { created } = await startSms({ maxAttempts: 3 });
    const code = await codeOfSms(created.shipmentId);

    const denied = await checkAnswerOf(await checkCode(created.verificationId, wrongCode(code)));
    expect(denied).toEqual({ verificationId: created.verificationId, status: "denied", attemptsLeft: 2 });
    expect(await viewOf(created.verificationId)).toMatchObject({ status: "pending", attempts: 1, maxAttempts: 3 });

    const approved = await checkAnswerOf(await checkCode(created.verificationId, code));
    expect(approved).toMatchObject({ verificationId: created.verificationId, status: "approved" });
    const view = await viewOf(created.verificationId);
    expect(view.status).toBe("approved");
    expect(Date.parse(view.approvedAt!)).toBeLessThanOrEqual(Date.now());
  });

  it("answers a check without a code 400, counting no attempt", async () => {
    const { created } = await startSms({ maxAttempts: 3 });
    const response = await call("POST", `/future/verifications/${created.verificationId}/check`, {});
    expect(response.status).toBe(400);
    await problemOf(response);
    expect((await viewOf(created.verificationId)).attempts).toBe(0);
  });
});

describe("after approval", () => {
  it("answers every check, right or wrong, 410 NOT-20001 with status approved", async () => {
    const { created } = await startSms();
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");

    await expectNotPending(await checkCode(created.verificationId, code), "approved");
    await expectNotPending(await checkCode(created.verificationId, wrongCode(code)), "approved");
    expect((await viewOf(created.verificationId)).status).toBe("approved");
  });
});

describe("running out of attempts", () => {
  it("maxAttempts wrong codes: the last denied with attemptsLeft 0, then 410 max_attempts, the right code too", async () => {
    const { created } = await startSms({ maxAttempts: 3 });
    const code = await codeOfSms(created.shipmentId);
    const wrong = wrongCode(code);

    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await checkAnswerOf(await checkCode(created.verificationId, wrong)));
    expect(answers.map((a) => [a.status, a.attemptsLeft])).toEqual([
      ["denied", 2],
      ["denied", 1],
      ["denied", 0],
    ]);

    await expectNotPending(await checkCode(created.verificationId, wrong), "max_attempts");
    await expectNotPending(await checkCode(created.verificationId, code), "max_attempts");
    expect(await viewOf(created.verificationId)).toMatchObject({ status: "max_attempts", attempts: 3, maxAttempts: 3 });
    expect(await viewOf(created.verificationId)).not.toHaveProperty("approvedAt");
  });

  it("maxAttempts 1: one wrong code ends it", async () => {
    const { created } = await startSms({ maxAttempts: 1 });
    const code = await codeOfSms(created.shipmentId);
    expect(await checkAnswerOf(await checkCode(created.verificationId, wrongCode(code)))).toMatchObject({ status: "denied", attemptsLeft: 0 });
    await expectNotPending(await checkCode(created.verificationId, code), "max_attempts");
  });
});

describe("expiry", () => {
  it("judges a check before expiresAt, and answers 410 expired after it, for the right code too", async () => {
    const { created } = await startSms({ timeToLiveInSeconds: 60 });
    const code = await codeOfSms(created.shipmentId);
    const untilExpiry = Date.parse(created.expiresAt) - Date.now();

    // A second before expiresAt: still judged.
    const denied = await later(untilExpiry - 1000, async () => checkAnswerOf(await checkCode(created.verificationId, wrongCode(code))));
    expect(denied).toMatchObject({ status: "denied", attemptsLeft: 4 });

    // A second after: no code can be approved any more.
    await later(untilExpiry + 1000, async () => {
      await expectNotPending(await checkCode(created.verificationId, code), "expired");
      expect((await viewOf(created.verificationId)).status).toBe("expired");
    });
  });

  it("GET past expiresAt says expired even before anything else (its alarm, a check) has run, and a resend is 409", async () => {
    const { created } = await startSms({ timeToLiveInSeconds: 60 });
    await codeOfSms(created.shipmentId);
    await later(Date.parse(created.expiresAt) - Date.now() + 1000, async () => {
      expect((await viewOf(created.verificationId)).status).toBe("expired");
      await expectResendRefused(await resend(created.verificationId));
    });
  });
});

describe("another organisation's or an unknown verification", () => {
  it("answers 404 NOT-20002 to GET, check and resend, and changes nothing of it", async () => {
    const { created } = await startSms({ maxAttempts: 2 }, { org: "verify-owner" });
    const code = await codeOfSms(created.shipmentId);

    for (const id of [created.verificationId, crypto.randomUUID()]) {
      const options = { org: "verify-stranger" };
      await expectNotFound(await getVerification(id, options));
      await expectNotFound(await checkCode(id, code, options));
      await expectNotFound(await checkCode(id, wrongCode(code), options));
      await expectNotFound(await resend(id, undefined, options));
    }
    // The owner's verification saw none of it.
    const view = await viewOf(created.verificationId, { org: "verify-owner" });
    expect(view).toMatchObject({ status: "pending", attempts: 0, shipments: [{ shipmentId: created.shipmentId }] });
    expect((await checkAnswerOf(await checkCode(created.verificationId, code, { org: "verify-owner" }))).status).toBe("approved");
  });

  it("answers 404 NOT-20002 for an unknown id in the caller's own organisation", async () => {
    const id = crypto.randomUUID();
    await expectNotFound(await getVerification(id));
    await expectNotFound(await checkCode(id, "123456"));
    await expectNotFound(await resend(id));
  });
});

describe("concurrent checks", () => {
  it("20 concurrent right codes approve exactly once; the other 19 answer 410 approved", async () => {
    const { created } = await startSms({ maxAttempts: 10 });
    const code = await codeOfSms(created.shipmentId);

    const responses = await Promise.all(Array.from({ length: 20 }, () => checkCode(created.verificationId, code)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array<number>(19).fill(410)]);
    const approved = responses.find((r) => r.status === 200)!;
    expect((await checkAnswerOf(approved)).status).toBe("approved");
    for (const response of responses.filter((r) => r.status === 410)) await expectNotPending(response, "approved");
  });

  it("10 concurrent wrong codes with maxAttempts 5: five denied (attemptsLeft 4..0 once each), five 410 max_attempts", async () => {
    const { created } = await startSms({ maxAttempts: 5 });
    const wrong = wrongCode(await codeOfSms(created.shipmentId));

    const responses = await Promise.all(Array.from({ length: 10 }, () => checkCode(created.verificationId, wrong)));
    const denied = await Promise.all(responses.filter((r) => r.status === 200).map((r) => checkAnswerOf(r)));
    expect(denied.map((a) => a.attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(denied.every((a) => a.status === "denied")).toBe(true);
    const refused = responses.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(5);
    for (const response of refused) await expectNotPending(response, "max_attempts");
  });
});
