// The counting itself, with the clock in the test's hand: the organisation's LimitsObject (real SQLite)
// is called with an explicit `now`, and the rules are the ones a registration builds.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CONTRACT_DEFAULTS, type LimitSettings } from "../../src/limits/config";
import { rulesFor } from "../../src/limits/check";
import { limitsStub } from "../../src/limits/limits-object";
import { decide, incrementsFor, type Rule } from "../../src/limits/windows";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
// 2026-05-04T10:00:00.400Z: inside a second, so slot rounding is exercised.
const T0 = Date.UTC(2026, 4, 4, 10, 0, 0, 400);

let orgs = 0;
/** A fresh organisation: its own counters. */
const freshOrg = () => `counters-${++orgs}-${crypto.randomUUID()}`;

const smsRules = (settings: LimitSettings, now: number, recipient = "sms:recipient-a") => rulesFor(settings, "sms", recipient, now);

async function reserveMany(org: string, times: number, now: number, settings = CONTRACT_DEFAULTS, recipient?: string) {
  const results = [];
  for (let i = 0; i < times; i++) results.push(await limitsStub(env, org).reserve(smsRules(settings, now, recipient), now));
  return results;
}

describe("SMS to one number: 5 per 10 minutes, 20 per 24 hours", () => {
  it("lets the 5th through, refuses the 6th until the oldest count leaves the window, then lets it through", async () => {
    const org = freshOrg();
    const five = await reserveMany(org, 5, T0);
    expect(five.every((d) => d.ok)).toBe(true);

    const sixth = await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, T0 + SECOND), T0 + SECOND);
    expect(sixth).toMatchObject({ ok: false, rule: { kind: "recipient", description: "5 SMS per 10 minutes to one phone number" } });
    // Counted in whole seconds and never early: the counts of 10:00:00.4 leave at 10:10:01.0.
    expect(sixth.ok ? 0 : sixth.retryAfterSeconds).toBe(600);

    const justBefore = T0 + 10 * MINUTE + 599; // 10:10:00.999
    const stillRefused = await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, justBefore), justBefore);
    expect(stillRefused).toMatchObject({ ok: false, retryAfterSeconds: 1 });

    const after = T0 + 10 * MINUTE + 600; // 10:10:01.000
    expect(await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, after), after)).toEqual({ ok: true });
  });

  it("refuses the 21st in 24 hours with the wait of the 24-hour window, though the 10-minute window has room", async () => {
    const org = freshOrg();
    for (let batch = 0; batch < 4; batch++) {
      const results = await reserveMany(org, 5, T0 + batch * 11 * MINUTE);
      expect(results.every((d) => d.ok)).toBe(true);
    }
    const now = T0 + 50 * MINUTE;
    const refused = await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, now), now);
    expect(refused).toMatchObject({ ok: false, rule: { kind: "recipient", description: "20 SMS per 24 hours to one phone number" } });
    // The first batch (10:00:00.4, slot ending 10:00:01) leaves the 24-hour window at 10:00:01 the next day.
    expect(refused.ok ? 0 : refused.retryAfterSeconds).toBe(Math.ceil((DAY - 50 * MINUTE + 600) / SECOND)); // 83,400.6 s
    const nextDay = T0 + DAY + 600;
    expect(await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, nextDay), nextDay)).toEqual({ ok: true });
  });

  it("counts each number on its own", async () => {
    const org = freshOrg();
    await reserveMany(org, 5, T0, CONTRACT_DEFAULTS, "sms:a");
    expect(await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, T0, "sms:b"), T0)).toEqual({ ok: true });
    expect((await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, T0, "sms:a"), T0)).ok).toBe(false);
  });

  it("counts nothing for a refused request: the refusals do not push the wait further out", async () => {
    const org = freshOrg();
    await reserveMany(org, 5, T0);
    for (let i = 1; i <= 30; i++) {
      const now = T0 + i * 10 * SECOND;
      expect((await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, now), now)).ok).toBe(false);
    }
    const after = T0 + 10 * MINUTE + 600;
    expect(await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, after), after)).toEqual({ ok: true });
  });
});

describe("emails to one address: 10 per 10 minutes", () => {
  it("lets the 10th through and refuses the 11th", async () => {
    const org = freshOrg();
    const rules = (now: number) => rulesFor(CONTRACT_DEFAULTS, "email", "email:someone", now);
    for (let i = 0; i < 10; i++) expect((await limitsStub(env, org).reserve(rules(T0), T0)).ok).toBe(true);
    expect(await limitsStub(env, org).reserve(rules(T0), T0)).toMatchObject({
      ok: false,
      retryAfterSeconds: 601,
      rule: { description: "10 emails per 10 minutes to one email address" },
    });
  });
});

describe("requests per organisation: 3,000 per minute", () => {
  it("refuses the 3,001st within a minute with the seconds until the oldest leaves", async () => {
    const org = freshOrg();
    const settings = { ...CONTRACT_DEFAULTS, requestsPerMinute: 4 };
    // Different recipients, so only the request rate can refuse.
    for (let i = 0; i < 4; i++) expect((await limitsStub(env, org).reserve(smsRules(settings, T0 + i * 10 * SECOND, `sms:r${i}`), T0 + i * 10 * SECOND)).ok).toBe(true);
    const now = T0 + 45 * SECOND;
    const refused = await limitsStub(env, org).reserve(smsRules(settings, now, "sms:r9"), now);
    expect(refused).toMatchObject({ ok: false, rule: { kind: "requests", description: "4 requests per minute for this organisation" } });
    // The first request (slot 10:00:00) leaves the window at 10:01:01.0; now is 10:00:45.4.
    expect(refused.ok ? 0 : refused.retryAfterSeconds).toBe(16);
    expect((await limitsStub(env, org).reserve(smsRules(settings, T0 + 61 * SECOND, "sms:r9"), T0 + 61 * SECOND)).ok).toBe(true);
  });

  it("names the contract's default in words", () => {
    expect(rulesFor(CONTRACT_DEFAULTS, "sms", null, T0).map((r) => r.description)).toEqual([
      "3,000 requests per minute for this organisation",
      "250,000 SMS per UTC day for this organisation",
    ]);
  });
});

describe("daily volume per organisation and UTC day", () => {
  it("refuses until the next UTC midnight, then counts afresh; SMS and email are counted apart", async () => {
    const org = freshOrg();
    const settings = { ...CONTRACT_DEFAULTS, smsPerDay: 3, emailsPerDay: 3 };
    const lateEvening = Date.UTC(2026, 4, 4, 23, 59, 0, 0);
    for (let i = 0; i < 3; i++) expect((await limitsStub(env, org).reserve(smsRules(settings, lateEvening, `sms:d${i}`), lateEvening)).ok).toBe(true);
    const refused = await limitsStub(env, org).reserve(smsRules(settings, lateEvening + 500, "sms:d9"), lateEvening + 500);
    expect(refused).toMatchObject({ ok: false, retryAfterSeconds: 60, rule: { kind: "daily", description: "3 SMS per UTC day for this organisation" } });
    expect((await limitsStub(env, org).reserve(rulesFor(settings, "email", "email:x", lateEvening), lateEvening)).ok).toBe(true);
    const midnight = Date.UTC(2026, 4, 5);
    expect((await limitsStub(env, org).reserve(smsRules(settings, midnight, "sms:d9"), midnight)).ok).toBe(true);
  });
});

describe("the decision", () => {
  it("answers the rule that keeps the request out longest", () => {
    const sliding = (key: string, seconds: number, max: number): Rule => ({ kind: "recipient", key, max, window: { kind: "sliding", seconds }, description: key });
    const rules = [sliding("short", 60, 1), sliding("long", 3600, 1)];
    const slots = new Map([
      ["short", [{ slot: T0 / 1000, count: 1 }]],
      ["long", [{ slot: T0 / 1000, count: 1 }]],
    ]);
    expect(decide(rules, slots, T0)).toMatchObject({ ok: false, rule: { key: "long" } });
  });

  it("adds one count per key and slot, kept for the longest of the key's windows", () => {
    const increments = incrementsFor(smsRules(CONTRACT_DEFAULTS, T0), T0);
    expect(increments.find((i) => i.key === "sms:recipient-a")).toEqual({ key: "sms:recipient-a", slot: Math.floor(T0 / 1000), count: 1, expiresAt: (Math.floor(T0 / 1000) + 1 + 86_400) * 1000 });
    expect(increments.filter((i) => i.key === "sms:recipient-a")).toHaveLength(1);
  });

  it("a rule's weight counts that many (a verification's start pays for its first check): refused when they do not all fit", () => {
    const rule = { kind: "requests" as const, key: "requests", max: 3, window: { kind: "sliding" as const, seconds: 60 }, description: "3 requests per minute" };
    const slots = new Map([["requests", [{ slot: Math.floor(T0 / 1000), count: 2 }]]]);
    expect(decide([rule], slots, T0)).toEqual({ ok: true });
    expect(decide([{ ...rule, weight: 2 }], slots, T0)).toMatchObject({ ok: false, retryAfterSeconds: 61 });
    expect(incrementsFor([{ ...rule, weight: 2 }], T0)).toEqual([{ key: "requests", slot: Math.floor(T0 / 1000), count: 2, expiresAt: (Math.floor(T0 / 1000) + 61) * 1000 }]);
  });
});

describe("storage", () => {
  it("deletes counters whose windows are over", async () => {
    const org = freshOrg();
    await reserveMany(org, 3, T0);
    const later = T0 + DAY + MINUTE;
    await limitsStub(env, org).reserve(smsRules(CONTRACT_DEFAULTS, later, "sms:other"), later);
    const keys = await runInDurableObject(limitsStub(env, org), (_instance, state) =>
      state.storage.sql.exec<{ key: string }>("SELECT DISTINCT key FROM counters").toArray().map((r) => r.key),
    );
    expect(keys).not.toContain("sms:recipient-a");
    expect(keys).toContain("sms:other");
  });

  it("the alarm deletes expired counters of an organisation that went quiet", async () => {
    const org = freshOrg();
    const past = Date.now() - 2 * DAY;
    await reserveMany(org, 1, past);
    const left = await runInDurableObject(limitsStub(env, org), async (instance, state) => {
      await instance.alarm();
      return state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM counters").one().n;
    });
    expect(left).toBe(0);
  });
});
