// The verification endpoints' validation (CONTRACT.md, "One-time codes", Validation): each rule refused
// with a 400 problem+json whose `errors` names the field by its JSON path, nothing registered; and the
// boundary just inside each rule accepted, so a refusal is the rule's, not a broken request.
import { describe, expect, it } from "vitest";
import { call, problemOf } from "../support/api";
import { emailVerification, fallbackEmail, getVerification, postEmailVerification, postSmsVerification, smsVerification } from "../support/verifications";

/** Norwegian fixed line (Oslo, 22 xx xx xx), a different one per call. */
const fixedLine = () => `+4722${String(crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000).padStart(6, "0")}`;

/** An Android SMS Retriever hash: 11 characters of base64 (Google's documented example). */
const ANDROID_HASH = "FA+9qCX9VSu";

/** A message (with `{code}`) that is over 140 bytes once a 6-digit code and the hash line are in place, in any count: 170 ASCII characters. */
const LONG_MESSAGE = `Your code is {code}. ${"x".repeat(140)}`;

async function expectFieldRefused(response: Response, fields: string[]) {
  const text = await response.clone().text();
  expect(response.status, text).toBe(400);
  const problem = await problemOf(response);
  expect(problem.status).toBe(400);
  const named = Object.keys(problem.errors ?? {});
  expect(named.some((field) => fields.includes(field)), `errors ${JSON.stringify(problem.errors)} name one of ${fields.join(", ")}`).toBe(true);
  return problem;
}

describe("POST /future/verifications/sms — validation", () => {
  it.each([
    ["no {code} in the message", { message: "Your Altinn code is here." }, ["message"]],
    ["{code} twice in the message", { message: "Code {code}, again {code}." }, ["message"]],
    ["codeLength 3", { codeLength: 3 }, ["codeLength"]],
    ["codeLength 11", { codeLength: 11 }, ["codeLength"]],
    ["maxAttempts 0", { maxAttempts: 0 }, ["maxAttempts"]],
    ["maxAttempts 11", { maxAttempts: 11 }, ["maxAttempts"]],
    ["timeToLiveInSeconds 59", { timeToLiveInSeconds: 59 }, ["timeToLiveInSeconds"]],
    ["timeToLiveInSeconds 3601", { timeToLiveInSeconds: 3601 }, ["timeToLiveInSeconds"]],
    ["both webOtpDomain and androidAppHash", { webOtpDomain: "login.example.no", androidAppHash: ANDROID_HASH }, ["webOtpDomain", "androidAppHash"]],
    ["an androidAppHash that is not 11 characters of base64", { androidAppHash: "short" }, ["androidAppHash"]],
    ["a fixed-line number", { phoneNumber: fixedLine() }, ["phoneNumber"]],
    ["fallbackEmail.afterSeconds 4", { fallbackEmail: fallbackEmail({ afterSeconds: 4 }) }, ["fallbackEmail.afterSeconds"]],
    ["fallbackEmail.afterSeconds 601", { fallbackEmail: fallbackEmail({ afterSeconds: 601 }) }, ["fallbackEmail.afterSeconds"]],
    ["no {code} in fallbackEmail.body", { fallbackEmail: fallbackEmail({ body: "Your code." }) }, ["fallbackEmail.body"]],
    ["an Android message over 140 bytes with its hash line", { message: LONG_MESSAGE, androidAppHash: ANDROID_HASH }, ["message", "androidAppHash"]],
    ["no idempotencyId", { idempotencyId: undefined }, ["idempotencyId"]],
  ])("refuses %s: 400 naming the field", async (_label, overrides, fields) => {
    await expectFieldRefused(await postSmsVerification(smsVerification(overrides)), fields);
  });

  it.each([
    ["codeLength 4", { codeLength: 4 }],
    ["codeLength 10", { codeLength: 10 }],
    ["maxAttempts 1", { maxAttempts: 1 }],
    ["maxAttempts 10", { maxAttempts: 10 }],
    ["timeToLiveInSeconds 60", { timeToLiveInSeconds: 60 }],
    ["timeToLiveInSeconds 3600", { timeToLiveInSeconds: 3600 }],
    ["fallbackEmail.afterSeconds 5", { fallbackEmail: fallbackEmail({ afterSeconds: 5 }) }],
    ["fallbackEmail.afterSeconds 600", { fallbackEmail: fallbackEmail({ afterSeconds: 600 }) }],
    ["the same long message without an Android hash", { message: LONG_MESSAGE }],
  ])("accepts the boundary %s: 201", async (_label, overrides) => {
    const response = await postSmsVerification(smsVerification(overrides));
    expect(response.status, await response.clone().text()).toBe(201);
  });

  it("counts the segments with the code in place: 16 GSM-7 segments (2,448 characters) with a 10-digit code pass, one more is 400", async () => {
    const template = (length: number) => `{code}${"a".repeat(length - 10)}`; // the code's 10 digits + the rest = length
    const fits = await postSmsVerification(smsVerification({ codeLength: 10, message: template(16 * 153) }));
    expect(fits.status, await fits.clone().text()).toBe(201);
    await expectFieldRefused(await postSmsVerification(smsVerification({ codeLength: 10, message: template(16 * 153 + 1) })), ["message"]);
    // ...and with the WebOTP line in place: the message that fitted alone does not any more.
    await expectFieldRefused(await postSmsVerification(smsVerification({ codeLength: 10, message: template(16 * 153), webOtpDomain: "login.example.no" })), ["message", "webOtpDomain"]);
  });

  it("registers nothing for a refused request: the same key with a valid request then answers 201", async () => {
    const refused = smsVerification({ codeLength: 11 });
    expect((await postSmsVerification(refused)).status).toBe(400);
    const valid = smsVerification({ idempotencyId: refused.idempotencyId });
    expect((await postSmsVerification(valid)).status).toBe(201);
  });

  it("answers problem+json for a body that is not JSON, and 415 for another content type", async () => {
    const malformed = await call("POST", "/future/verifications/sms", undefined, { rawBody: "{not json" });
    expect(malformed.status).toBe(400);
    await problemOf(malformed);
    const notJson = await call("POST", "/future/verifications/sms", undefined, { rawBody: "x", headers: { "Content-Type": "text/plain" } });
    expect(notJson.status).toBe(415);
  });
});

describe("POST /future/verifications/email — validation", () => {
  it.each([
    ["no {code} in the body", { body: "<p>Your code.</p>" }, ["body"]],
    ["{code} twice in the body", { body: "<p>{code} {code}</p>" }, ["body"]],
    ["an invalid address", { emailAddress: "not-an-address" }, ["emailAddress"]],
    ["a blank subject", { subject: " " }, ["subject"]],
    ["codeLength 11", { codeLength: 11 }, ["codeLength"]],
    ["timeToLiveInSeconds 3601", { timeToLiveInSeconds: 3601 }, ["timeToLiveInSeconds"]],
  ])("refuses %s: 400 naming the field", async (_label, overrides, fields) => {
    await expectFieldRefused(await postEmailVerification(emailVerification(overrides)), fields);
  });
});

describe("the ids in the path", () => {
  it("answers 404 NOT-20002 for an id that is not a UUID", async () => {
    const response = await getVerification("not-a-uuid");
    expect(response.status).toBe(404);
    expect((await problemOf(response)).code).toBe("NOT-20002");
  });
});
