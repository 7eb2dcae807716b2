// A corpus of hostile input against the running Worker: every answer is a 4xx problem+json (or, where the
// input is in fact a valid message, a 201), never a 5xx, never an echo of a secret, and the tables stay whole.
import { env, exports } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { BASE, call, emailRequest, smsRequest, tokenFor } from "../support/api";

const SECRET_CODE = "Your code is 918273";
const sms = () => smsRequest({ body: SECRET_CODE });
const email = () => emailRequest({ body: SECRET_CODE });

async function send(method: string, path: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  const token = await tokenFor("ttd");
  return exports.default.fetch(
    new Request(`${BASE}${path}`, { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers }, ...(body !== null ? { body } : {}) }),
  );
}

/** The invariant for any hostile request: a problem+json 4xx (or 201 when `mayAccept`), nothing secret in it. */
async function expectHandled(response: Response, { mayAccept = false } = {}) {
  const text = await response.text();
  if (mayAccept && (response.status === 201 || response.status === 200)) return;
  expect(response.status, text).toBeGreaterThanOrEqual(400);
  expect(response.status, text).toBeLessThan(500);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("cache-control")).toBe("no-store");
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(problem.status).toBe(response.status);
  expect(text).not.toContain("918273");
  expect(text).not.toContain(JSON.parse(env.TEST_SIGNING_JWK).d);
  expect(text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
}

async function registeredId(response: Response): Promise<string> {
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { notification: { shipmentId: string } }).notification.shipmentId;
}

const d1Has = async (shipmentId: string) =>
  (await env.DB.prepare("SELECT 1 FROM shipments WHERE shipment_id = ?").bind(shipmentId).first()) !== null;

async function d1Counts() {
  const row = await env.DB.prepare("SELECT (SELECT COUNT(*) FROM shipments) AS shipments, (SELECT COUNT(*) FROM feed) AS feed").first<{ shipments: number; feed: number }>();
  return row!;
}

/** Every string-valued path of a request, for field-by-field mutation. */
function stringPaths(value: unknown, prefix = ""): string[] {
  if (typeof value === "string") return [prefix];
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => stringPaths(v, prefix ? `${prefix}.${k}` : k));
  return [];
}

function withValue<T>(body: T, path: string, v: unknown): T {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split(".");
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys[keys.length - 1]!] = v;
  return copy as T;
}

const BODY_FIELDS = new Set(["recipientSms.smsSettings.body", "recipientEmail.emailSettings.body"]);
// A subject's CR and LF are read as spaces (Altinn accepts them; a mail header cannot carry them).
const SUBJECT_FIELD = "recipientEmail.emailSettings.subject";
// Any SMS sender of at most 1,000 characters is registered, as Altinn does; one no provider can carry
// (a control character, say) is never sent: the default goes instead, and the answer says so.
const SENDER_FIELD = "recipientSms.smsSettings.sender";

afterAll(async () => {
  // SQL metacharacters went through every field: the schema is intact and still answers.
  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>();
  expect(tables.results.map((t) => t.name)).toEqual(expect.arrayContaining(["feed", "recipients", "shipments", "status_events"]));
});

describe("hostile JSON", () => {
  const valid = JSON.stringify(sms());
  it.each(Array.from({ length: 24 }, (_, i) => Math.floor(((i + 1) * valid.length) / 25)))("answers a body truncated to %i bytes with 400", async (n) => {
    const response = await send("POST", "/future/orders/instant/sms", valid.slice(0, n));
    expect(response.status).toBe(400);
    await expectHandled(response);
  });

  it.each([
    ["empty body", ""],
    ["whitespace", "   "],
    ["a bare number", "42"],
    ["NaN", '{"idempotencyId": NaN}'],
    ["a trailing comma", '{"idempotencyId":"a",}'],
    ["single quotes", "{'idempotencyId':'a'}"],
    ["a comment", '{"idempotencyId":"a" /* x */}'],
    ["deeply nested arrays", "[".repeat(100_000) + "]".repeat(100_000)],
    ["deeply nested objects in an unknown field", `{"x":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`],
  ])("answers %s with a 4xx", async (_name, body) => {
    await expectHandled(await send("POST", "/future/orders/instant/sms", body));
  });

  it("accepts a UTF-8 byte order mark before the JSON (RFC 8259 lets parsers ignore it)", async () => {
    const response = await send("POST", "/future/orders/instant/sms", `\uFEFF${JSON.stringify(sms())}`);
    expect(response.status).toBe(201);
  });

  it.each([
    ["1e309 (Infinity)", 1e309],
    ["a huge integer", 1e300],
    ["a negative number", -120],
    ["beyond safe integers", 9007199254740993],
    ["a fraction", 120.5],
  ])("answers a TTL of %s with 400", async (_name, ttl) => {
    const body = JSON.stringify(sms()).replace('"timeToLiveInSeconds":120', `"timeToLiveInSeconds":${ttl === 1e309 ? "1e309" : ttl}`);
    const response = await send("POST", "/future/orders/instant/sms", body);
    expect(response.status).toBe(400);
    await expectHandled(response);
  });

  it.each([
    ["__proto__ at the top", (b: string) => b.replace("{", '{"__proto__":{"idempotencyId":"polluted","recipientSms":null},')],
    ["constructor at the top", (b: string) => b.replace("{", '{"constructor":{"prototype":{"x":1}},')],
    ["__proto__ in recipientSms", (b: string) => b.replace('"recipientSms":{', '"recipientSms":{"__proto__":{"timeToLiveInSeconds":1},')],
  ])("is not confused by %s", async (_name, mutate) => {
    const response = await send("POST", "/future/orders/instant/sms", mutate(JSON.stringify(sms())));
    await expectHandled(response, { mayAccept: true });
    expect(({} as Record<string, unknown>).idempotencyId).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("rejects contentType %s", async (contentType) => {
    const response = await send("POST", "/future/orders/instant/email", JSON.stringify(withValue(email(), "recipientEmail.emailSettings.contentType", contentType)));
    expect(response.status).toBe(400);
    await expectHandled(response);
  });
});

describe("hostile values in every string field", () => {
  const requests = [
    ["sms", "/future/orders/instant/sms", sms],
    ["email", "/future/orders/instant/email", email],
  ] as const;

  const cases = requests.flatMap(([channel, path, make]) => stringPaths(make()).map((field) => [channel, field, path, make] as const));

  it.each(cases)("%s %s: wrong types are a 400", async (_channel, field, path, make) => {
    for (const value of [42, true, null, [], {}, ["a"]]) {
      const response = await send("POST", path, JSON.stringify(withValue(make(), field, value)));
      // null means "left out" for optional fields, so an optional field may still be accepted.
      await expectHandled(response, { mayAccept: value === null });
    }
  });

  it.each(cases)("%s %s: CR/LF and control characters", async (_channel, field, path, make) => {
    for (const value of ["a\r\nb", "line\nInjected-Header: x", "nul\u0000byte", "bell\u0007", "del\u007f", "c1\u0085"]) {
      const response = await send("POST", path, JSON.stringify(withValue(make(), field, value)));
      if (field === SENDER_FIELD) {
        expect(response.status).toBe(201);
        expect(response.headers.get("Sender-Replaced")).toBe("true");
        continue;
      }
      const legitimateInBody =
        (BODY_FIELDS.has(field) && /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/.test(value)) ||
        (field === SUBJECT_FIELD && /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/.test(value));
      if (legitimateInBody) expect([200, 201]).toContain(response.status);
      else expect(response.status).toBe(400);
      await expectHandled(response, { mayAccept: legitimateInBody });
    }
  });

  it.each(cases)("%s %s: lone surrogates and oversized values", async (_channel, field, path, make) => {
    const loneSurrogate = JSON.stringify(withValue(make(), field, "x")).replace('"x"', '"\\ud800x"');
    await expectHandled(await send("POST", path, loneSurrogate));
    const oversized = await send("POST", path, JSON.stringify(withValue(make(), field, "x".repeat(300 * 1024))));
    expect(oversized.status).toBe(413);
    await expectHandled(oversized);
  });

  it.each(cases)("%s %s: SQL metacharacters never reach SQL as code", async (_channel, field, path, make) => {
    // A shipment already in D1 before the hostile values arrive; none of them may remove or change it.
    const earlier = await registeredId(await send("POST", path, JSON.stringify(make())));
    await vi.waitFor(async () => expect(await d1Has(earlier)).toBe(true), { timeout: 5_000, interval: 20 });
    const before = await d1Counts();

    const accepted: string[] = [];
    for (const value of ["' OR '1'='1", "'); DROP TABLE shipments; --", '" OR 1=1 --', "\\'; DELETE FROM feed; --", "%' --"]) {
      const response = await send("POST", path, JSON.stringify(withValue(make(), field, value)));
      if (response.status === 201) accepted.push(await registeredId(response));
      else await expectHandled(response, { mayAccept: true });
    }
    // Each accepted one is stored as data (its row reaches D1), and nothing was deleted meanwhile.
    await vi.waitFor(async () => expect(await Promise.all(accepted.map(d1Has))).not.toContain(false), { timeout: 5_000, interval: 20 });
    expect(await d1Has(earlier)).toBe(true);
    const after = await d1Counts();
    expect(after.shipments).toBeGreaterThanOrEqual(before.shipments + accepted.length);
    expect(after.feed).toBeGreaterThanOrEqual(before.feed);
  });
});

describe("hostile requests", () => {
  it.each([
    ["text/plain"],
    ["application/x-www-form-urlencoded"],
    ["multipart/form-data; boundary=x"],
    ["application/jsonx"],
    ["json"],
    ["application/xml"],
    [""],
  ])("answers Content-Type %j with 415", async (contentType) => {
    const response = await send("POST", "/future/orders/instant/sms", JSON.stringify(sms()), { "Content-Type": contentType });
    expect(response.status).toBe(415);
    await expectHandled(response);
  });

  it.each([
    ["PUT", "/future/orders/instant/sms"],
    ["PATCH", "/future/orders/instant/email"],
    ["DELETE", "/future/orders/instant"],
    ["GET", "/future/orders/instant/sms"],
    ["POST", `/future/shipment/${crypto.randomUUID()}`],
    ["POST", "/future/shipment/feed"],
  ])("answers %s %s with 405", async (method, path) => {
    const response = await send(method, path, method === "GET" ? null : JSON.stringify(sms()));
    expect(response.status).toBe(405);
    await expectHandled(response);
  });

  it.each([
    "..%2F..%2Fhealth",
    "%2e%2e",
    "..",
    "%00",
    "x".repeat(5000),
    "00000000-0000-0000-0000-000000000000%00",
    "' OR 1=1 --",
    "%27%20OR%201%3D1",
    "ＡＢＣ",
    "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c2",
    "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c21-x",
  ])("answers shipment id %s with 404 NOT-00003 or another 4xx", async (id) => {
    const response = await call("GET", `/future/shipment/${id}`);
    await expectHandled(response);
  });

  it("never lets a shipment id reach another organisation's data, whatever its case", async () => {
    const response = await call("POST", "/future/orders/instant/sms", sms(), { org: "owner-org" });
    const { notification } = (await response.json()) as { notification: { shipmentId: string } };
    for (const id of [notification.shipmentId, notification.shipmentId.toUpperCase()]) {
      const foreign = await call("GET", `/future/shipment/${id}`, undefined, { org: "other-org" });
      expect(foreign.status).toBe(404);
      await expectHandled(foreign);
    }
  });

  it.each([
    ["Bearer"],
    ["Bearer "],
    ["Bearer a.b"],
    ["Bearer a.b.c.d"],
    ["Bearer " + "A".repeat(20_000)],
    ["bearer\teyJ.eyJ.x"],
    ["Basic " + btoa("user:pass")],
  ])("answers Authorization %s with 401", async (authorization) => {
    const response = await exports.default.fetch(
      new Request(`${BASE}/future/orders/instant/sms`, { method: "POST", headers: { Authorization: authorization.slice(0, 20_100), "Content-Type": "application/json" }, body: JSON.stringify(sms()) }),
    );
    expect(response.status).toBe(401);
    await expectHandled(response);
  });
});
