// The verification requests' validation, through the schemas as the routes use them: a valid request and
// its defaults, then each rule's refusal, on its field's path, with its message.
import { describe, expect, it } from "vitest";
import type { z } from "@hono/zod-openapi";
import {
  CheckSchema,
  EmailVerificationSchema,
  ResendSchema,
  SmsVerificationSchema,
} from "../../../src/verifications/schemas";

/** Validation failures keyed by JSON path, as the 400 problem's `errors` (src/api/problem.ts). */
function errorsOf(schema: z.ZodType, input: unknown): Record<string, string[]> {
  const result = schema.safeParse(input);
  if (result.success) return {};
  const errors: Record<string, string[]> = {};
  for (const issue of result.error.issues) (errors[issue.path.map(String).join(".") || "$"] ??= []).push(issue.message);
  return errors;
}

const SMS = { idempotencyId: "login-1", phoneNumber: "+4799999999", message: "Your code is {code}." };
const EMAIL = { idempotencyId: "login-1", emailAddress: "user@example.com", subject: "Your code", body: "<p>Your code is {code}.</p>" };
const FALLBACK = { emailAddress: "user@example.com", subject: "Your code", body: "Your code is {code}." };
const HASH = "FA+9qCX9VSu";

describe("SmsVerificationSchema: valid", () => {
  it("takes the minimal request and fills in the defaults", () => {
    expect(SmsVerificationSchema.parse(SMS)).toEqual({ ...SMS, timeToLiveInSeconds: 300, codeLength: 6, maxAttempts: 5 });
  });

  it("reads null as left out, so the defaults apply", () => {
    const parsed = SmsVerificationSchema.parse({
      ...SMS,
      sendersReference: null,
      timeToLiveInSeconds: null,
      sender: null,
      codeLength: null,
      maxAttempts: null,
      webOtpDomain: null,
      androidAppHash: null,
      fallbackEmail: null,
    });
    expect(parsed).toMatchObject({ timeToLiveInSeconds: 300, codeLength: 6, maxAttempts: 5 });
    expect(parsed.webOtpDomain).toBeUndefined();
    expect(parsed.androidAppHash).toBeUndefined();
    expect(parsed.fallbackEmail).toBeUndefined();
  });

  it("takes the contract's example, lower-cases the WebOTP domain and fills in the fallback's afterSeconds", () => {
    const parsed = SmsVerificationSchema.parse({
      ...SMS,
      sendersReference: "login-1234",
      timeToLiveInSeconds: "3600",
      sender: "Altinn",
      message: "Your Altinn code is {code}. It expires in 5 minutes.",
      codeLength: 10,
      maxAttempts: 1,
      webOtpDomain: "Login.Example.NO",
      fallbackEmail: { ...FALLBACK, contentType: "html" },
    });
    expect(parsed).toMatchObject({
      timeToLiveInSeconds: 3600,
      codeLength: 10,
      maxAttempts: 1,
      webOtpDomain: "login.example.no",
      fallbackEmail: { ...FALLBACK, contentType: "html", afterSeconds: 30 },
    });
  });

  it.each([
    ["the smallest", { codeLength: 4, maxAttempts: 1, timeToLiveInSeconds: 60, fallbackEmail: { ...FALLBACK, afterSeconds: 5 } }],
    ["the largest", { codeLength: 10, maxAttempts: 10, timeToLiveInSeconds: 3600, fallbackEmail: { ...FALLBACK, afterSeconds: 600 } }],
    ["an Android app hash", { androidAppHash: HASH }],
    ["a WebOTP domain with digits, hyphens and an xn-- label", { webOtpDomain: "xn--bcher-kva.login-2.example.no" }],
    ["a default sender (blank)", { sender: "  " }],
  ])("takes %s", (_, patch) => {
    expect(errorsOf(SmsVerificationSchema, { ...SMS, ...patch })).toEqual({});
  });
});

describe("SmsVerificationSchema: refusals, each on its field", () => {
  const long = (n: number) => `${"x".repeat(n)}{code}`;
  // name                                          patch                                                              path                    message (a part of it)
  const REFUSALS: [string, Record<string, unknown>, string, string][] = [
    ["no {code} in the message",                    { message: "Your code is 1234." },                                  "message",              "Must contain {code} where the code goes."],
    ["{code} twice in the message",                 { message: "{code} {code}" },                                        "message",              "only once (it is there 2 times)"],
    ["a blank message",                             { message: "   " },                                                  "message",              "Must not be blank."],
    ["a control character in the message",          { message: "Code {code}\u0007" },                                     "message",              "control characters"],
    ["17 segments with the code in place",          { message: long(16 * 153 - 6 + 1) },                                 "message",              "At most 16 SMS segments, counted with the 6-digit code in place (this needs 17)"],
    ["17 segments with a 10-digit code in place",   { message: long(16 * 153 - 10 + 1), codeLength: 10 },                 "message",              "the 10-digit code in place"],
    ["17 segments with the WebOTP line in place",   { message: long(16 * 153 - 6 - 14), webOtpDomain: "a.example" },     "message",              "the 6-digit code and the WebOTP line in place"],
    ["over 140 bytes with the Android hash",        { message: long(143), androidAppHash: HASH },                        "message",              "must fit in Android's 140 bytes, one SMS: this is 161 GSM-7 characters (160 fit)"],
    ["over 140 bytes in UCS-2 with the hash",       { message: `${"ç".repeat(53)}{code}`, androidAppHash: HASH },        "message",              "this is 71 UCS-2 units (70 fit)"],
    ["both formats (1 of 2)",                       { webOtpDomain: "a.example", androidAppHash: HASH },                  "webOtpDomain",         "Give webOtpDomain or androidAppHash, not both"],
    ["both formats (2 of 2)",                       { webOtpDomain: "a.example", androidAppHash: HASH },                  "androidAppHash",       "Give webOtpDomain or androidAppHash, not both"],
    ["a fixed-line number",                         { phoneNumber: "+4722000000" },                                       "phoneNumber",          "A fixed-line number cannot receive SMS."],
    ["a toll-free number",                          { phoneNumber: "+4780012345" },                                       "phoneNumber",          "A toll-free number cannot receive SMS."],
    ["a number without a country code",             { phoneNumber: "99999999" },                                          "phoneNumber",          "Must start with + or 00"],
    ["codeLength 3",                                { codeLength: 3 },                                                    "codeLength",           "At least 4."],
    ["codeLength 11",                               { codeLength: 11 },                                                   "codeLength",           "At most 10."],
    ["codeLength 6.5",                              { codeLength: 6.5 },                                                  "codeLength",           "Must be an integer."],
    ["codeLength as a string",                      { codeLength: "6" },                                                  "codeLength",           "Must be an integer."],
    ["maxAttempts 0",                               { maxAttempts: 0 },                                                   "maxAttempts",          "At least 1."],
    ["maxAttempts 11",                              { maxAttempts: 11 },                                                  "maxAttempts",          "At most 10."],
    ["timeToLiveInSeconds 59",                      { timeToLiveInSeconds: 59 },                                          "timeToLiveInSeconds",  "At least 60."],
    ["timeToLiveInSeconds 3601",                    { timeToLiveInSeconds: 3601 },                                        "timeToLiveInSeconds",  "At most 3600."],
    ["timeToLiveInSeconds \"3601\"",                { timeToLiveInSeconds: "3601" },                                      "timeToLiveInSeconds",  "At most 3600."],
    ["timeToLiveInSeconds \"+300\"",                { timeToLiveInSeconds: "+300" },                                      "timeToLiveInSeconds",  "Must be an integer, or a string of the digits 0-9 only."],
    ["a WebOTP domain without a dot",               { webOtpDomain: "localhost" },                                        "webOtpDomain",         "Must be a host name"],
    ["a WebOTP domain with a scheme",               { webOtpDomain: "https://login.example.no" },                         "webOtpDomain",         "Must be a host name"],
    ["a WebOTP domain with a trailing dot",         { webOtpDomain: "login.example.no." },                                "webOtpDomain",         "Must be a host name"],
    ["a WebOTP domain with a space",                { webOtpDomain: "login .example.no" },                                "webOtpDomain",         "Must be a host name"],
    ["a WebOTP label starting with a hyphen",       { webOtpDomain: "-login.example.no" },                                "webOtpDomain",         "Must be a host name"],
    ["a WebOTP label of 64 characters",             { webOtpDomain: `${"a".repeat(64)}.example.no` },                     "webOtpDomain",         "Must be a host name"],
    ["a WebOTP domain of 254 characters",           { webOtpDomain: `${"a.".repeat(125)}abcd` },                          "webOtpDomain",         "Must be a host name"],
    ["a WebOTP domain that is an IPv4 address",     { webOtpDomain: "192.168.1.1" },                                      "webOtpDomain",         "Must be a host name"],
    ["a WebOTP domain with the Kelvin sign",        { webOtpDomain: "\u212Aode.example.no" },                             "webOtpDomain",         "Must be a host name"],
    ["a WebOTP domain with a non-ASCII letter",     { webOtpDomain: "bøker.example.no" },                                 "webOtpDomain",         "Must be a host name"],
    ["an Android hash of 10 characters",            { androidAppHash: "FA+9qCX9VS" },                                     "androidAppHash",       "Must be 11 characters of base64"],
    ["an Android hash of 12 characters",            { androidAppHash: "FA+9qCX9VSuu" },                                   "androidAppHash",       "Must be 11 characters of base64"],
    ["an Android hash with a padding =",            { androidAppHash: "FA+9qCX9VS=" },                                    "androidAppHash",       "Must be 11 characters of base64"],
    ["an Android hash in URL-safe base64",          { androidAppHash: "FA-9qCX9VS_" },                                    "androidAppHash",       "Must be 11 characters of base64"],
    ["no {code} in the fallback's body",            { fallbackEmail: { ...FALLBACK, body: "Your code." } },               "fallbackEmail.body",   "Must contain {code} where the code goes."],
    ["{code} twice in the fallback's body",         { fallbackEmail: { ...FALLBACK, body: "{code}{code}" } },             "fallbackEmail.body",   "only once"],
    ["{code} in the fallback's subject",            { fallbackEmail: { ...FALLBACK, subject: "Code {code}" } },           "fallbackEmail.subject","The code may be only in the body."],
    ["the fallback's afterSeconds 4",               { fallbackEmail: { ...FALLBACK, afterSeconds: 4 } },                  "fallbackEmail.afterSeconds", "At least 5."],
    ["the fallback's afterSeconds 601",             { fallbackEmail: { ...FALLBACK, afterSeconds: 601 } },                "fallbackEmail.afterSeconds", "At most 600."],
    ["the fallback's address",                      { fallbackEmail: { ...FALLBACK, emailAddress: "not-an-address" } },   "fallbackEmail.emailAddress", "Not a valid email address."],
    ["the fallback's content type",                 { fallbackEmail: { ...FALLBACK, contentType: "rtf" } },               "fallbackEmail.contentType", "Must be Plain or Html"],
    ["the fallback without a subject",              { fallbackEmail: { emailAddress: "a@example.com", body: "{code}" } }, "fallbackEmail.subject","Required"],
    ["no idempotencyId",                            { idempotencyId: undefined },                                          "idempotencyId",        "Required"],
    ["no phoneNumber",                              { phoneNumber: null },                                                 "phoneNumber",          "Required"],
    ["no message",                                  { message: undefined },                                                "message",              "Required"],
  ];

  it.each(REFUSALS)("%s", (_, patch, path, message) => {
    const errors = errorsOf(SmsVerificationSchema, { ...SMS, ...patch });
    expect(errors[path]?.join(" ")).toContain(message);
  });

  it("refuses on the message's path only: 16 segments with the code and WebOTP line in place pass", () => {
    // 16 × 153 septets exactly: the template's {code} becomes 6 digits, and "\n@a.example #000000" adds 19.
    const template = `${"x".repeat(16 * 153 - 6 - 19)}{code}`;
    expect(errorsOf(SmsVerificationSchema, { ...SMS, message: template, webOtpDomain: "a.example" })).toEqual({});
    expect(Object.keys(errorsOf(SmsVerificationSchema, { ...SMS, message: `x${template}`, webOtpDomain: "a.example" }))).toEqual(["message"]);
  });

  it("160 GSM-7 characters with the code and the hash line pass with androidAppHash, 161 do not", () => {
    expect(errorsOf(SmsVerificationSchema, { ...SMS, message: `${"x".repeat(142)}{code}`, androidAppHash: HASH })).toEqual({});
    expect(Object.keys(errorsOf(SmsVerificationSchema, { ...SMS, message: `${"x".repeat(143)}{code}`, androidAppHash: HASH }))).toEqual(["message"]);
  });

  it("counts a 10-digit code where {code} (6 characters) was: a template that fits with 6 digits can be too long with 10", () => {
    const template = `${"x".repeat(16 * 153 - 6)}{code}`;
    expect(errorsOf(SmsVerificationSchema, { ...SMS, message: template })).toEqual({});
    expect(Object.keys(errorsOf(SmsVerificationSchema, { ...SMS, message: template, codeLength: 10 }))).toEqual(["message"]);
  });
});

describe("EmailVerificationSchema", () => {
  it("takes the minimal request and fills in the defaults", () => {
    expect(EmailVerificationSchema.parse(EMAIL)).toEqual({ ...EMAIL, timeToLiveInSeconds: 300, codeLength: 6, maxAttempts: 5 });
  });

  it("takes the email order's optional fields, and trims the addresses as orders do", () => {
    const parsed = EmailVerificationSchema.parse({
      ...EMAIL,
      emailAddress: " user@example.com ",
      senderEmailAddress: "noreply@altinn.example",
      contentType: 1,
      sendersReference: "ref",
      timeToLiveInSeconds: "120",
      codeLength: 8,
      maxAttempts: 3,
    });
    expect(parsed).toMatchObject({ emailAddress: "user@example.com", senderEmailAddress: "noreply@altinn.example", contentType: 1, timeToLiveInSeconds: 120, codeLength: 8, maxAttempts: 3 });
  });

  it("reads each CR or LF in the subject as a space, as orders do", () => {
    expect(EmailVerificationSchema.parse({ ...EMAIL, subject: "Your\r\ncode" }).subject).toBe("Your code");
  });

  const REFUSALS: [string, Record<string, unknown>, string, string][] = [
    ["no {code} in the body",         { body: "<p>Hello</p>" },                  "body",               "Must contain {code} where the code goes."],
    ["{code} twice in the body",      { body: "{code} {code}" },                 "body",               "only once"],
    ["{code} in the subject",         { subject: "Your code: {code}" },          "subject",            "The code may be only in the body."],
    ["an invalid address",            { emailAddress: "user@" },                 "emailAddress",       "Not a valid email address."],
    ["an invalid sender address",     { senderEmailAddress: "noreply" },         "senderEmailAddress", "Not a valid email address."],
    ["an unknown content type",       { contentType: "markdown" },               "contentType",        "Must be Plain or Html"],
    ["codeLength 3",                  { codeLength: 3 },                         "codeLength",         "At least 4."],
    ["maxAttempts 11",                { maxAttempts: 11 },                       "maxAttempts",        "At most 10."],
    ["timeToLiveInSeconds 7200",      { timeToLiveInSeconds: 7200 },             "timeToLiveInSeconds","At most 3600."],
    ["no subject",                    { subject: undefined },                    "subject",            "Required"],
  ];
  it.each(REFUSALS)("refuses %s", (_, patch, path, message) => {
    expect(errorsOf(EmailVerificationSchema, { ...EMAIL, ...patch })[path]?.join(" ")).toContain(message);
  });
});

describe("CheckSchema and ResendSchema", () => {
  it.each([
    [{ code: "428516" }, {}],
    [{ code: "x".repeat(64) }, {}],
    [{ code: "" }, { code: ["Must not be empty."] }],
    [{ code: "1".repeat(65) }, { code: ["At most 64 characters."] }],
    [{ code: 428516 }, { code: ["Invalid input: expected string, received number"] }],
    [{}, { code: ["Required"] }],
  ])("check %j → %j", (input, errors) => {
    expect(errorsOf(CheckSchema, input)).toEqual(errors);
  });

  it.each([
    [{ idempotencyId: "resend-1" }, {}],
    [{ idempotencyId: " " }, { idempotencyId: ["Must not be blank."] }],
    [{}, { idempotencyId: ["Required"] }],
  ])("resend %j → %j", (input, errors) => {
    expect(errorsOf(ResendSchema, input)).toEqual(errors);
  });
});
