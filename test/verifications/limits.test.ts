// Verifications and the limits (CONTRACT.md, "Limits" and "One-time codes"): a verification and each of its
// messages count as an SMS (or email) to the recipient; checks count against the request rate; a replay
// counts nothing. The limits-* organisations are configured in vitest.config.ts.
import { describe, expect, it } from "vitest";
import { postSms, problemOf, smsRequest, variedPhoneNumber } from "../support/api";
import { eventually } from "../support/shipments";
import { checkCode, createdOf, expectCodedProblem, postSmsVerification, resend, smsVerification, startSms, viewOf } from "../support/verifications";

async function expectLimited(response: Response, code: string) {
  const problem = await expectCodedProblem(response, 429, code);
  expect(response.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
  return problem;
}

describe("the recipient limit (limits-override: 2 SMS per number per 10 minutes)", () => {
  const org = "limits-override";

  it("counts a verification as an SMS to its number: two verifications, then a third is 429 NOT-10003", async () => {
    const phoneNumber = variedPhoneNumber();
    await createdOf(await postSmsVerification(smsVerification({ phoneNumber }), { org }));
    await createdOf(await postSmsVerification(smsVerification({ phoneNumber }), { org }));
    const third = await postSmsVerification(smsVerification({ phoneNumber }), { org });
    const problem = await expectLimited(third, "NOT-10003");
    expect(JSON.stringify(problem)).not.toContain(phoneNumber.slice(3));
  });

  it("counts verifications and orders together: an order and a verification, then an order is 429", async () => {
    const phoneNumber = variedPhoneNumber();
    expect((await postSms(smsRequest({ phoneNumber }), { org })).status).toBe(201);
    await createdOf(await postSmsVerification(smsVerification({ phoneNumber }), { org }));
    await expectLimited(await postSms(smsRequest({ phoneNumber }), { org }), "NOT-10003");
  });

  it("counts a resend: a verification and one resend, then a second resend is 429 NOT-10003 (not 409) and sends nothing", async () => {
    const phoneNumber = variedPhoneNumber();
    const { created } = await startSms({ phoneNumber }, { org });
    expect((await resend(created.verificationId, undefined, { org })).status).toBe(201);
    await expectLimited(await resend(created.verificationId, undefined, { org }), "NOT-10003");
    expect((await viewOf(created.verificationId, { org })).shipments).toHaveLength(2);
  });

  it("answers a replay 200 after the limit is reached, and a refused start remembers nothing of its key", async () => {
    const phoneNumber = variedPhoneNumber();
    const first = smsVerification({ phoneNumber });
    await createdOf(await postSmsVerification(first, { org }));
    await createdOf(await postSmsVerification(smsVerification({ phoneNumber }), { org }));
    expect((await postSmsVerification(first, { org })).status).toBe(200);

    const refused = smsVerification({ phoneNumber });
    await expectLimited(await postSmsVerification(refused, { org }), "NOT-10003");
    // The key was not remembered: the same key with another number is a first request, not a 422.
    await createdOf(await postSmsVerification({ ...refused, phoneNumber: variedPhoneNumber() }, { org }));
  });

  it("exempts the sandbox recipients", async () => {
    for (let i = 0; i < 3; i++) await createdOf(await postSmsVerification(smsVerification({ phoneNumber: "+4740000003" }), { org }));
  });
});

describe("the organisation's limits", () => {
  it("counts a verification in the daily SMS volume (limits-daily: 2 SMS per day)", async () => {
    const org = "limits-daily";
    await createdOf(await postSmsVerification(smsVerification(), { org }));
    await createdOf(await postSmsVerification(smsVerification(), { org }));
    await expectLimited(await postSmsVerification(smsVerification(), { org }), "NOT-10004");
  });

  it("counts checks against the request rate (limits-rate: 3 requests per minute): approximately, so within seconds", async () => {
    const org = "limits-rate";
    const { created } = await startSms({ maxAttempts: 10 }, { org });
    // The contract allows the count to be approximate (it is summed and handed on behind the answers):
    // keep checking, a little apart, until the rate refuses one; a bounded wait, not an exact count.
    const refusal = await eventually(
      async () => checkCode(created.verificationId, "000000", { org }),
      (response) => response.status === 429,
      { timeoutMs: 8_000, intervalMs: 250, what: "a check refused by the request rate" },
    );
    await expectLimited(refusal, "NOT-10002");
    // The same organisation's rate: a new request is refused as well.
    await expectLimited(await postSmsVerification(smsVerification(), { org }), "NOT-10002");
  });

  it("counts a start as two requests, itself and its first check (limits-rate-verify: 3 a minute)", async () => {
    const org = "limits-rate-verify";
    await startSms({}, { org });
    expect((await postSms(smsRequest({ phoneNumber: variedPhoneNumber() }), { org })).status).toBe(201);
    await expectLimited(await postSms(smsRequest({ phoneNumber: variedPhoneNumber() }), { org }), "NOT-10002");
  });

  it("then counts nothing more for that first check (limits-rate-check: 3 a minute)", async () => {
    const org = "limits-rate-check";
    const { created } = await startSms({}, { org });
    expect((await checkCode(created.verificationId, "000000", { org })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a count handed on behind the answer would be in by now
    expect((await postSms(smsRequest({ phoneNumber: variedPhoneNumber() }), { org })).status).toBe(201);
    await expectLimited(await postSms(smsRequest({ phoneNumber: variedPhoneNumber() }), { org }), "NOT-10002");
  });

  it("refuses a number outside the organisation's countries with 400 naming phoneNumber (limits-countries: SE and DK)", async () => {
    const response = await postSmsVerification(smsVerification({ phoneNumber: variedPhoneNumber() }), { org: "limits-countries" });
    expect(response.status).toBe(400);
    expect(Object.keys((await problemOf(response)).errors ?? {})).toContain("phoneNumber");
  });
});
