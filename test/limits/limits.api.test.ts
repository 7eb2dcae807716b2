// The limits through the real API: concurrency, the replay rule, per-organisation independence and
// overrides (vitest.config.ts sets the limits-* organisations), countries, sandbox exemption, and no
// recipient in any answer or log.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkLimits } from "../../src/limits/check";
import { idempotencyMismatchFor, limitsFor, LimitsConfigError } from "../../src/limits/config";
import { limitsStub } from "../../src/limits/limits-object";
import { simulatorStub } from "../../src/providers/simulator/stub";
import { toSmsOrder } from "../../src/orders/order";
import { call, emailRequest, expectReplay, postEmail, postSms, problemOf, smsRequest, uniqueKey, variedPhoneNumber } from "../support/api";
import { rowsForKey, waitForShipment, shipmentIdOf } from "../support/shipments";

afterEach(() => vi.restoreAllMocks());

/** Moves every stored count of the organisation by `seconds` (negative = into the past), as the clock would. */
async function shiftCounters(org: string, seconds: number) {
  await runInDurableObject(limitsStub(env, org), (_object, state) => {
    const sql = state.storage.sql;
    const rows = sql.exec<{ key: string; slot: number; count: number; expires_at: number }>("SELECT key, slot, count, expires_at FROM counters").toArray();
    sql.exec("DELETE FROM counters"); // rewritten whole, so no shifted slot meets one not yet shifted
    for (const r of rows) sql.exec("INSERT INTO counters (key, slot, count, expires_at) VALUES (?, ?, ?, ?)", r.key, r.slot + seconds, r.count, r.expires_at + seconds * 1000);
  });
}

/** Every line the Worker logs from now on. */
function captureLogs(): string[] {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

/** The national digits of an E.164 number: what must not show up anywhere, in any format. */
const digitsOf = (e164: string) => e164.slice(3);

// A coded problem's title is the code's own (as Altinn titles its problems).
const LIMIT_TITLES: Record<string, string> = {
  "NOT-10002": "Request rate limit reached",
  "NOT-10003": "Recipient limit reached",
  "NOT-10004": "Daily volume limit reached",
};

async function expectLimited(response: Response, code: string) {
  expect(response.status).toBe(429);
  const problem = await problemOf(response);
  expect(problem).toMatchObject({ status: 429, code, title: LIMIT_TITLES[code] });
  const retryAfter = response.headers.get("retry-after");
  expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
  return { problem, retryAfter: Number(retryAfter) };
}

describe("20 concurrent new requests to one number", () => {
  it("answer exactly 5 × 201 and 15 × 429, and only the 5 reach the provider", async () => {
    const org = "limits-concurrency";
    const phoneNumber = variedPhoneNumber();
    const logs = captureLogs();
    const before = (await simulatorStub(env).stats()).handovers;

    const requests = Array.from({ length: 20 }, () => smsRequest({ phoneNumber }));
    const responses = await Promise.all(requests.map((request) => postSms(request, { org })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);

    const bodies = await Promise.all(responses.map((r) => r.clone().text()));
    for (const [i, response] of responses.entries()) {
      if (response.status !== 429) continue;
      const { problem, retryAfter } = await expectLimited(response, "NOT-10003");
      expect(problem.detail).toContain("5 SMS per 10 minutes to one phone number");
      expect(retryAfter).toBeGreaterThanOrEqual(595);
      expect(retryAfter).toBeLessThanOrEqual(601);
      // Refused: nothing registered under its key.
      expect(await rowsForKey(org, requests[i]!.idempotencyId)).toEqual({ shipments: 0, recipients: 0, events: 0 });
    }

    const ids = await Promise.all(responses.filter((r) => r.status === 201).map((r) => shipmentIdOf(r)));
    await Promise.all(ids.map((id) => waitForShipment(id, (s) => s.recipients[0]?.status === "SMS_Delivered", { org, timeoutMs: 10_000 })));
    const stats = await simulatorStub(env).stats();
    expect(ids.every((id) => stats.times[id] !== undefined)).toBe(true);
    expect(stats.handovers - before).toBe(5);

    for (const text of [...bodies, ...logs]) expect(text).not.toContain(digitsOf(phoneNumber));
    expect(logs.some((line) => line.includes("limits.refused"))).toBe(true);
  });
});

describe("the replay rule", () => {
  it("answers a replay of a registered request 200 with the identical body after the limit is reached", async () => {
    const org = "limits-override"; // 2 SMS per 10 minutes to one number
    const phoneNumber = variedPhoneNumber();
    const first = smsRequest({ phoneNumber });
    const firstResponse = await postSms(first, { org });
    expect(firstResponse.status).toBe(201);
    expect((await postSms(smsRequest({ phoneNumber }), { org })).status).toBe(201);
    await expectLimited(await postSms(smsRequest({ phoneNumber }), { org }), "NOT-10003");

    const replay = await postSms(first, { org });
    expectReplay(replay);
    expect(await replay.text()).toBe(await firstResponse.text());
    // Replays count against nothing: still exactly at the limit, not over it.
    const again = await expectLimited(await postSms(smsRequest({ phoneNumber }), { org }), "NOT-10003");
    expect(again.retryAfter).toBeGreaterThan(590);
  });

  it("does not remember a refused request's key: the same key registers once the window is over", async () => {
    const org = "limits-short"; // 1 SMS per 2 seconds to one number
    const phoneNumber = variedPhoneNumber();
    expect((await postSms(smsRequest({ phoneNumber }), { org })).status).toBe(201);
    const refused = smsRequest({ phoneNumber });
    const { retryAfter } = await expectLimited(await postSms(refused, { org }), "NOT-10003");
    expect(retryAfter).toBeGreaterThanOrEqual(2);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect(await rowsForKey(org, refused.idempotencyId)).toEqual({ shipments: 0, recipients: 0, events: 0 });

    await shiftCounters(org, -retryAfter); // the window is over, as it would be after Retry-After
    const later = await postSms(refused, { org });
    expect(later.status).toBe(201);
    expect(await rowsForKey(org, refused.idempotencyId)).toMatchObject({ shipments: 1, recipients: 1 });
  });

  it("lets a refused key carry a different request at once (it was never stored, so no 422)", async () => {
    const org = "limits-override";
    const phoneNumber = variedPhoneNumber();
    for (let i = 0; i < 2; i++) expect((await postSms(smsRequest({ phoneNumber }), { org })).status).toBe(201);
    const key = uniqueKey("refused");
    await expectLimited(await postSms(smsRequest({ phoneNumber, key }), { org }), "NOT-10003");
    expect((await postSms(smsRequest({ phoneNumber: variedPhoneNumber(), key }), { org })).status).toBe(201);
  });
});

describe("organisations", () => {
  it("count apart: one organisation's limit leaves another's requests to the same number alone", async () => {
    const phoneNumber = variedPhoneNumber();
    for (let i = 0; i < 2; i++) expect((await postSms(smsRequest({ phoneNumber }), { org: "limits-override" })).status).toBe(201);
    await expectLimited(await postSms(smsRequest({ phoneNumber }), { org: "limits-override" }), "NOT-10003");
    expect((await postSms(smsRequest({ phoneNumber }), { org: "limits-independent" })).status).toBe(201);
  });

  it("take their overrides: 2 SMS per number where overridden, the deployment's 5 elsewhere", async () => {
    const phoneNumber = variedPhoneNumber();
    const overridden = [];
    const deployment = [];
    for (let i = 0; i < 5; i++) {
      overridden.push((await postSms(smsRequest({ phoneNumber }), { org: "limits-override" })).status);
      deployment.push((await postSms(smsRequest({ phoneNumber }), { org: "limits-default" })).status);
    }
    expect(overridden).toEqual([201, 201, 429, 429, 429]);
    expect(deployment).toEqual([201, 201, 201, 201, 201]);
  });

  it("with limits turned off count nothing", async () => {
    const phoneNumber = variedPhoneNumber();
    for (let i = 0; i < 7; i++) expect((await postSms(smsRequest({ phoneNumber }), { org: "limits-off" })).status).toBe(201);
  });
});

describe("emails to one address", () => {
  it("refuse the 4th under a limit of 3, counting user+tag as the same mailbox", async () => {
    const org = "limits-override"; // 3 emails per 10 minutes to one address
    const local = `mail.${crypto.randomUUID().slice(0, 8)}`;
    for (const address of [`${local}@example.com`, `${local}+a@example.com`, `${local.toUpperCase()}@EXAMPLE.com`]) {
      expect((await postEmail(emailRequest({ emailAddress: address }), { org })).status).toBe(201);
    }
    const logs = captureLogs();
    const response = await postEmail(emailRequest({ emailAddress: `${local}+b@example.com` }), { org });
    const { problem } = await expectLimited(response, "NOT-10003");
    expect(problem.detail).toContain("3 emails per 10 minutes to one email address");
    expect(JSON.stringify(problem)).not.toContain(local);
    expect(logs.join("\n")).not.toContain(local);
  });
});

describe("request rate and daily volume", () => {
  it("refuse the 4th request in a minute under a rate of 3, with NOT-10002 and the seconds until the oldest leaves", async () => {
    const org = "limits-rate";
    for (let i = 0; i < 3; i++) expect((await postSms(smsRequest(), { org })).status).toBe(201);
    const { problem, retryAfter } = await expectLimited(await postSms(smsRequest(), { org }), "NOT-10002");
    expect(problem.detail).toContain("3 requests per minute for this organisation");
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(61);
    // Email requests count against the same rate.
    await expectLimited(await postEmail(emailRequest(), { org }), "NOT-10002");
  });

  it("refuse beyond the daily volume with NOT-10004 until the next UTC midnight; email is counted apart", async () => {
    const org = "limits-daily"; // 2 SMS and 2 emails per UTC day
    for (let i = 0; i < 2; i++) expect((await postSms(smsRequest(), { org })).status).toBe(201);
    const before = Date.now();
    const { problem, retryAfter } = await expectLimited(await postSms(smsRequest(), { org }), "NOT-10004");
    expect(problem.detail).toContain("2 SMS per UTC day for this organisation");
    const untilMidnight = (Math.floor(before / 86_400_000) + 1) * 86_400_000 - before;
    expect(Math.abs(retryAfter - untilMidnight / 1000)).toBeLessThanOrEqual(2);
    expect((await postEmail(emailRequest(), { org })).status).toBe(201);
  });
});

describe("SMS countries", () => {
  it("refuse a number outside the organisation's list with 400 naming the country, and remember nothing", async () => {
    const org = "limits-countries"; // SE and DK only
    const request = smsRequest({ phoneNumber: variedPhoneNumber() });
    const response = await postSms(request, { org });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors?.["recipientSms.phoneNumber"]).toEqual(["SMS to Norway (NO) is not allowed for this organisation."]);
    expect(JSON.stringify(problem)).not.toContain(digitsOf(request.recipientSms.phoneNumber));

    // The key was not remembered: the same key carries an allowed (Swedish) number at once.
    const swedish = { ...request, recipientSms: { ...request.recipientSms, phoneNumber: "+46701234567" } };
    expect((await postSms(swedish, { org })).status).toBe(201);
  });

  it("name the deprecated endpoint's own field", async () => {
    const { recipientSms, ...rest } = smsRequest({ phoneNumber: "+4541234567" });
    const allowed = await call("POST", "/future/orders/instant", { ...rest, recipient: { recipientSms } }, { org: "limits-countries" });
    expect(allowed.status).toBe(201);
    const { recipientSms: norwegian, ...other } = smsRequest();
    const refused = await call("POST", "/future/orders/instant", { ...other, recipient: { recipientSms: norwegian } }, { org: "limits-countries" });
    expect(refused.status).toBe(400);
    expect((await problemOf(refused)).errors).toEqual({ "recipient.recipientSms.phoneNumber": ["SMS to Norway (NO) is not allowed for this organisation."] });
  });

  it("allow every country by default", async () => {
    expect((await postSms(smsRequest({ phoneNumber: "+447400123456" }), { org: "limits-default" })).status).toBe(201);
  });
});

describe("sandbox recipients", () => {
  it("are exempt from the recipient limits while the simulator is the provider", async () => {
    const org = "limits-sandbox";
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await postSms(smsRequest({ phoneNumber: "+4740000002" }), { org })).status);
    for (let i = 0; i < 11; i++) statuses.push((await postEmail(emailRequest({ emailAddress: "spam@sandbox.example" }), { org })).status);
    expect(statuses.every((s) => s === 201)).toBe(true);
  });

  it("are not exempt when a real provider could receive them", async () => {
    const order = toSmsOrder(smsRequest({ phoneNumber: "+4740000006" }), { smsSender: "Altinn", emailSender: "noreply@example.com" });
    const realProvider = { ...env, SMS_PROVIDERS: "primary,twilio" }; // a simulator first, a real one behind it
    const org = `limits-sandbox-real-${crypto.randomUUID()}`;
    const now = Date.now();
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push((await checkLimits(realProvider, org, order, now)).kind);
    expect(verdicts).toEqual(["ok", "ok", "ok", "ok", "ok", "limited"]);
  });
});

describe("configuration", () => {
  it("rejects an invalid setting, naming it", () => {
    const bad = (limits: unknown, organisations: unknown = {}) => () => limitsFor({ LIMITS: limits as object, LIMITS_ORGANISATIONS: organisations as object }, "x");
    expect(bad({ smsPerNumber: [{ max: 0, seconds: 600 }] })).toThrow(/LIMITS\.smsPerNumber\.0\.max/);
    expect(bad({ smsCountries: ["UK"] })).toThrow(/LIMITS\.smsCountries\.0: must be "\*" or an ISO 3166/);
    expect(bad({ requestsPerMinut: 10 })).toThrow(LimitsConfigError);
    expect(bad({}, { x: { smsPerDay: "lots" } })).toThrow(/LIMITS_ORGANISATIONS\.x\.smsPerDay/);
    expect(bad("{not json")).toThrow(/LIMITS is not valid JSON/);
  });

  it("takes JSON strings too, and lets an organisation's field override the deployment's", () => {
    const settings = limitsFor({ LIMITS: '{"smsPerDay": 10}' as unknown as object, LIMITS_ORGANISATIONS: '{"x": {"smsCountries": ["NO"]}}' as unknown as object }, "x");
    expect(settings).toMatchObject({ smsPerDay: 10, smsCountries: ["NO"], requestsPerMinute: 3000 });
  });

  it("refuses to register (503, nothing stored) when the configuration is invalid, and says why in the log", async () => {
    const logs = captureLogs();
    const order = toSmsOrder(smsRequest(), { smsSender: "Altinn", emailSender: "noreply@example.com" });
    const verdict = await checkLimits({ ...env, LIMITS: { smsPerDay: -1 } }, "ttd", order, Date.now());
    expect(verdict).toEqual({ kind: "unavailable" });
    expect(logs.join("\n")).toContain("LIMITS.smsPerDay");
  });

  it("refuses to register when LIMITS_KEY is missing, rather than count recipients unkeyed", async () => {
    const logs = captureLogs();
    const order = toSmsOrder(smsRequest(), { smsSender: "Altinn", emailSender: "noreply@example.com" });
    expect(await checkLimits({ ...env, LIMITS_KEY: undefined }, "ttd", order, Date.now())).toEqual({ kind: "unavailable" });
    expect(logs.join("\n")).toContain("LIMITS_KEY is not configured");
  });

  it.each([
    ["unset: the first answer, marked", undefined, {}, "replay"],
    ["empty: the same", "", {}, "replay"],
    ["the deployment's reject", "reject", {}, "reject"],
    ["the deployment's replay", "replay", {}, "replay"],
    ["an organisation's reject over the deployment's replay", "replay", { x: { idempotencyMismatch: "reject" } }, "reject"],
    ["an organisation's replay over the deployment's reject", "reject", { x: { idempotencyMismatch: "replay" } }, "replay"],
    ["another organisation's override does not apply", "reject", { y: { idempotencyMismatch: "replay" } }, "reject"],
    ["an override of limits only leaves it to the deployment", "reject", { x: { smsPerDay: 5 } }, "reject"],
  ])("idempotencyMismatch: %s", (_label, deployment, organisations, expected) => {
    const config = { IDEMPOTENCY_MISMATCH: deployment as string, LIMITS: {}, LIMITS_ORGANISATIONS: organisations };
    expect(idempotencyMismatchFor(config, "x")).toBe(expected);
  });

  it("idempotencyMismatch: rejects a value that is neither replay nor reject, naming the setting, and keeps it out of the limits", () => {
    const mismatchFor = (deployment: string, organisations: unknown = {}) => () =>
      idempotencyMismatchFor({ IDEMPOTENCY_MISMATCH: deployment, LIMITS: {}, LIMITS_ORGANISATIONS: organisations as object }, "x");
    expect(mismatchFor("strict")).toThrow(/IDEMPOTENCY_MISMATCH: must be "replay" or "reject"/);
    expect(mismatchFor("replay", { x: { idempotencyMismatch: "strict" } })).toThrow(/LIMITS_ORGANISATIONS\.x\.idempotencyMismatch/);
    // Validated with the rest of LIMITS_ORGANISATIONS: a bad value refuses registrations like any bad limit.
    expect(() => limitsFor({ LIMITS: {}, LIMITS_ORGANISATIONS: { x: { idempotencyMismatch: true } } }, "x")).toThrow(LimitsConfigError);
    expect(() => limitsFor({ LIMITS: { idempotencyMismatch: "reject" } as object, LIMITS_ORGANISATIONS: {} }, "x")).toThrow(/LIMITS: Unrecognized key/);
    expect(limitsFor({ LIMITS: {}, LIMITS_ORGANISATIONS: { x: { idempotencyMismatch: "reject" } } }, "x")).not.toHaveProperty("idempotencyMismatch");
  });

  it("wrangler.toml's local configuration is valid and is the contract's", () => {
    expect(idempotencyMismatchFor(env, "limits-default")).toBe("replay");
    expect(limitsFor(env, "limits-default")).toEqual({
      enabled: true,
      requestsPerMinute: 3000,
      smsPerNumber: [{ max: 5, seconds: 600 }, { max: 20, seconds: 86_400 }],
      emailsPerAddress: [{ max: 10, seconds: 600 }, { max: 100, seconds: 86_400 }],
      smsPerDay: 250_000,
      emailsPerDay: 250_000,
      smsCountries: ["*"],
    });
  });
});

describe("OpenAPI", () => {
  it("documents 429 with Retry-After on the order routes", async () => {
    const document = (await (await exports.default.fetch(new Request("http://localhost/openapi.json"))).json()) as {
      paths: Record<string, { post?: { responses: Record<string, { headers?: Record<string, unknown> }> } }>;
    };
    for (const path of ["/future/orders/instant/sms", "/future/orders/instant/email", "/future/orders/instant"]) {
      const responses = document.paths[`/notifications/api/v1${path}`]!.post!.responses;
      expect(responses["429"]?.headers).toHaveProperty("Retry-After");
    }
  });
});
