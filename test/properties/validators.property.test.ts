// Property-based: generated valid requests are registered; a request with exactly one field made invalid
// is a 400 naming exactly that field; property names in any case are the same request; nothing ever
// answers 5xx.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectReplay, postEmail, postSms, uniqueKey } from "../support/api";

// Mobile ranges of several countries and both prefixes; six digits drawn per request, so the generated
// requests do not all go to a few numbers (the limits allow only a few SMS to one number).
const MOBILE_PREFIXES = ["+4799", "+4741", "+4792", "+447400", "+46701", "+4915123", "004798"];
const mobile = fc.tuple(fc.constantFrom(...MOBILE_PREFIXES), fc.integer({ min: 0, max: 999_999 })).map(([prefix, n]) => `${prefix}${String(n).padStart(6, "0")}`);
const GSM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;!?-+*/()@£$¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿äöñüà";

const gsmText = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...GSM_CHARS), minLength: min, maxLength: max }).filter((s) => s.trim().length > 0);
// Generated values repeat (shrinking, small domains); a key must not, or the second use is a mismatch (the first answer, marked).
const key = fc.constant("replaced-by-a-unique-key");
const withUniqueKey = <T extends { idempotencyId: unknown }>(request: T): T =>
  request.idempotencyId === "replaced-by-a-unique-key" ? { ...request, idempotencyId: uniqueKey("prop") } : request;
const alphanumericSender = fc
  .string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 "), minLength: 1, maxLength: 11 })
  .filter((s) => /[A-Za-z]/.test(s));

const validSms = fc.record({
  idempotencyId: key,
  sendersReference: fc.option(gsmText(0, 255), { nil: undefined }),
  recipientSms: fc.record({
    phoneNumber: mobile,
    // As Altinn's JSON settings read it: a number, or a JSON string of digits.
    timeToLiveInSeconds: fc.integer({ min: 60, max: 172_800 }).chain((ttl) => fc.constantFrom<number | string>(ttl, String(ttl))),
    // Empty or blank means the default sender, as in Altinn; any other string of at most 1,000 characters
    // is registered too (sent as given, or as the default when a provider cannot carry it).
    smsSettings: fc.record({
      sender: fc.option(fc.oneof(alphanumericSender, fc.constantFrom("", "   ", "s".repeat(1000)), fc.string({ maxLength: 40 })), { nil: undefined }),
      body: gsmText(1, 400),
    }),
  }),
});

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const validAddress = fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]$/), label, fc.stringMatching(/^[a-z]{2,6}$/)).filter(([local]) => !local.includes("..")).map(([l, d, t]) => `${l}@${d}.${t}`);

const validEmail = fc.record({
  idempotencyId: key,
  recipientEmail: fc.record({
    emailAddress: validAddress,
    emailSettings: fc.record({
      subject: gsmText(1, 255),
      body: gsmText(1, 2000),
      senderEmailAddress: fc.option(validAddress, { nil: undefined }),
      contentType: fc.option(fc.constantFrom("Plain", "Html", "plain", "HTML", 0, 1), { nil: undefined }),
    }),
  }),
});

/** One field made invalid, with the JSON path the 400 must name. */
const smsBreakers: [string, fc.Arbitrary<unknown>][] = [
  ["idempotencyId", fc.oneof(fc.constant(""), fc.constant("   "), fc.string({ minLength: 1001, maxLength: 1100 }), fc.integer())],
  ["recipientSms.phoneNumber", fc.oneof(fc.stringMatching(/^[1-9][0-9]{7,12}$/), fc.constant("+4799999"), fc.constant("+47800123456"), fc.stringMatching(/^\+47[a-z]{8}$/))],
  ["recipientSms.timeToLiveInSeconds", fc.oneof(fc.integer({ max: 59 }), fc.integer({ min: 172_801 }), fc.double({ min: 61, max: 1000, noInteger: true }), fc.constantFrom(" 120", "120.0", "1e3", "", "+120", "-120"))],
  ["recipientSms.smsSettings.sender", fc.oneof(fc.string({ minLength: 1001, maxLength: 1100 }), fc.integer(), fc.constant("Altinn\ud800"))],
  ["recipientSms.smsSettings.body", fc.oneof(fc.constant(""), fc.constant(" \n "), fc.constant("x".repeat(2449)), fc.constant("ж".repeat(1073)))],
];

function setPath(body: unknown, path: string, value: unknown) {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split(".");
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
  return copy;
}

/** `body` with each property name's letters in the cases `upper` picks, one flag per letter in turn. */
function recased(body: unknown, upper: boolean[]): unknown {
  let i = 0;
  const recase = (name: string) => [...name].map((c) => (upper[i++ % upper.length] ? c.toUpperCase() : c.toLowerCase())).join("");
  const walk = (value: unknown): unknown =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([name, v]) => [recase(name), walk(v)])) : value;
  return walk(body);
}

describe("validators, property-based", () => {
  it("registers every generated valid SMS request", async () => {
    await fc.assert(
      fc.asyncProperty(validSms, async (request) => {
        const response = await postSms(withUniqueKey(request));
        expect(response.status, await response.clone().text()).toBe(201);
      }),
      { numRuns: 60 },
    );
  });

  it("registers every generated valid email request", async () => {
    await fc.assert(
      fc.asyncProperty(validEmail, async (request) => {
        const response = await postEmail(withUniqueKey(request));
        expect(response.status, await response.clone().text()).toBe(201);
      }),
      { numRuns: 60 },
    );
  });

  it("reads property names in any case, as ASP.NET does: the same request as in camelCase", async () => {
    await fc.assert(
      fc.asyncProperty(validSms, fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), async (request, upper) => {
        const camel = withUniqueKey(request);
        const first = await postSms(camel);
        expect(first.status, await first.clone().text()).toBe(201);
        const again = await postSms(recased(camel, upper));
        expectReplay(again, await again.clone().text());
        expect(await again.json()).toEqual(await first.json());
      }),
      { numRuns: 30 },
    );
  });

  it("answers a request with one invalid field with a 400 naming exactly that field", async () => {
    const broken = fc.tuple(validSms, fc.constantFrom(...smsBreakers)).chain(([request, [path, bad]]) => bad.map((value) => ({ path, body: setPath(request, path, value) })));
    await fc.assert(
      fc.asyncProperty(broken, async ({ path, body }) => {
        const response = await postSms(withUniqueKey(body as { idempotencyId: unknown }));
        expect(response.status, JSON.stringify(body).slice(0, 300)).toBe(400);
        const problem = (await response.json()) as { errors: Record<string, string[]> };
        expect(Object.keys(problem.errors), JSON.stringify(problem.errors)).toEqual([path]);
      }),
      { numRuns: 120 },
    );
  });

  it("never answers 5xx, whatever JSON value stands in for the body or any field", async () => {
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const paths = ["", "idempotencyId", "sendersReference", "recipientSms", "recipientSms.phoneNumber", "recipientSms.timeToLiveInSeconds", "recipientSms.smsSettings", "recipientSms.smsSettings.sender", "recipientSms.smsSettings.body"];
    await fc.assert(
      fc.asyncProperty(validSms, fc.constantFrom(...paths), anyJson, async (request, path, value) => {
        const response = await postSms(path === "" ? value : withUniqueKey(setPath(request, path, value) as { idempotencyId: unknown }));
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect(response.headers.get("content-type")).toBe("application/problem+json");
      }),
      { numRuns: 150 },
    );
  }, 90_000);
});
