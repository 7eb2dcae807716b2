// Every rule of the README's Validation table, through the real Worker, on both sides of each boundary.
// A rejection must be a 400 problem+json whose `errors` names exactly the offending field by JSON path,
// with nothing stored and nothing put on a queue.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { BASE, call, emailRequest, expectMismatch, expectReplay, postEmail, postSms, problemOf, smsRequest, tokenFor, uniqueKey, variedEmailAddress, type CallOptions } from "../support/api";
import { rowsForKey } from "../support/shipments";
import { shardNames, shardWriter } from "../../src/store/shards";
import { storedOrder } from "../support/order";
import { spyOnQueue } from "../support/queue";

type Body = Record<string, unknown>;
type Post = (body: unknown, options?: CallOptions) => Promise<Response>;
type OrderBody = { notificationOrderId: string; notification: { shipmentId: string; sendersReference?: string } };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_BODY_BYTES = 256 * 1024;
const REMOVE = Symbol("remove");

const postDeprecated: Post = (body, options) => call("POST", "/future/orders/instant", body, options);

/** The deprecated endpoint's shape: `recipientSms` one level deeper, under `recipient`. */
function deprecatedRequest(overrides: Parameters<typeof smsRequest>[0] = {}) {
  const { recipientSms, ...rest } = smsRequest(overrides);
  return { ...rest, recipient: { recipientSms } };
}

/** A copy of `body` with the dotted `path` set to `value` (or removed, with REMOVE). */
function withField<T extends object>(body: T, path: string, value: unknown): T {
  const copy = structuredClone(body) as Body;
  const keys = path.split(".");
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Body;
  const last = keys[keys.length - 1]!;
  if (value === REMOVE) delete node[last];
  else node[last] = value;
  return copy as T;
}

async function storedShipmentIds(): Promise<string[]> {
  // D1 is written behind: wait until every shard writer has handed what it holds to D1.
  await vi.waitFor(
    async () => {
      let remaining = 0;
      for (const shard of shardNames(env)) remaining += await shardWriter(env, shard).flush();
      expect(remaining, "changes still waiting for D1").toBe(0);
    },
    { timeout: 5_000, interval: 10 },
  );
  return (await env.DB.prepare("SELECT shipment_id FROM shipments").all<{ shipment_id: string }>()).results.map((r) => r.shipment_id);
}

// The SMS and email queue bindings share one prototype: spying on it sees every hand-over to delivery.
// Earlier orders' background work (alarms) may enqueue too, so calls are told apart by shipment id.
let queueSend: MockInstance;
const enqueuedShipmentIds = () => queueSend.mock.calls.map(([message]) => (message as { shipmentId?: string }).shipmentId);
beforeEach(() => {
  queueSend = spyOnQueue(env.SMS_QUEUE);
});
afterEach(() => vi.restoreAllMocks());

/** 201, fresh ids, Location, exactly one shipment stored under the key and one hand-over to delivery. */
async function expectAccepted(post: Post, body: Body): Promise<OrderBody> {
  const response = await post(body);
  expect(response.status, await response.clone().text()).toBe(201);
  const json = (await response.json()) as OrderBody;
  expect(json.notificationOrderId).toMatch(UUID);
  expect(json.notification.shipmentId).toMatch(UUID);
  expect(response.headers.get("location")).toBe(`/notifications/api/v1/future/shipment/${json.notification.shipmentId}`);
  expect((await rowsForKey("ttd", body.idempotencyId as string)).shipments).toBe(1);
  expect(enqueuedShipmentIds()).toContain(json.notification.shipmentId);
  return json;
}

/** A non-validation refusal (413, 415, 400 for the body itself): problem+json, nothing stored or sent. */
async function expectRefused(send: () => Promise<Response>, status: number, idempotencyId?: string) {
  const before = await storedShipmentIds();
  const started = Date.now();
  queueSend.mockClear();
  const response = await send();
  expect(response.status, await response.clone().text()).toBe(status);
  const problem = await problemOf(response);
  expect(problem.status).toBe(status);
  expect(problem.traceId).toBeTruthy();
  if (idempotencyId !== undefined) expect((await rowsForKey("ttd", idempotencyId)).shipments).toBe(0);
  // Nothing stored or sent: a shipment that reached D1 (written behind) or the queue meanwhile must be one
  // an earlier test registered, before this request.
  const after = await storedShipmentIds();
  expect(after).toEqual(expect.arrayContaining(before));
  for (const id of new Set([...after.filter((id) => !before.includes(id)), ...enqueuedShipmentIds().filter((id) => id !== undefined)])) {
    expect((await storedOrder(id)).created_at as number, `shipment ${id} was registered by the refused request`).toBeLessThan(started);
  }
  return problem;
}

/** 400 problem+json whose `errors` has exactly the one JSON-path key, each value a list of messages. */
async function expectRejected(post: Post, body: Body, path: string) {
  const key = typeof body.idempotencyId === "string" ? body.idempotencyId : undefined;
  const problem = await expectRefused(() => post(body), 400, key);
  expect(problem.errors).toBeDefined();
  expect(Object.keys(problem.errors!)).toEqual([path]);
  const messages = problem.errors![path]!;
  expect(Array.isArray(messages)).toBe(true);
  expect(messages.length).toBeGreaterThan(0);
  for (const message of messages) expect(typeof message).toBe("string");
}

/** An email address of exactly `length` characters that is otherwise valid (64-char local part). */
function emailOfLength(length: number): string {
  const local = "a".repeat(64);
  const domainLength = length - local.length - 1; // at least 2 + 1 + 2
  const labels: string[] = [];
  let remaining = domainLength - 3; // leaves ".no"
  while (remaining > 0) {
    const size = Math.min(63, remaining);
    labels.push("b".repeat(size));
    remaining -= size + 1; // the dot before the next label
  }
  const address = `${local}@${labels.join(".")}.no`;
  if (address.length !== length) throw new Error(`emailOfLength(${length}) built ${address.length} characters`);
  return address;
}

/** JSON text of `body` with `marker` replaced by raw bytes (to send invalid UTF-8). */
function bytesWith(body: Body, marker: string, raw: number[]): Uint8Array {
  const [before, after] = JSON.stringify(body).split(marker) as [string, string];
  const head = new TextEncoder().encode(before);
  const tail = new TextEncoder().encode(after);
  const out = new Uint8Array(head.length + raw.length + tail.length);
  out.set(head, 0);
  out.set(raw, head.length);
  out.set(tail, head.length + raw.length);
  return out;
}

/** A valid SMS request padded (with an ignored property) to exactly `bytes` bytes of JSON. */
function smsRequestOfSize(bytes: number): { body: Body; text: string } {
  const body: Body = { ...smsRequest(), padding: "" };
  const overhead = new TextEncoder().encode(JSON.stringify(body)).length;
  body.padding = "x".repeat(bytes - overhead);
  const text = JSON.stringify(body);
  expect(new TextEncoder().encode(text).length).toBe(bytes);
  return { body, text };
}

function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const half = Math.floor(bytes.length / 2);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice(0, half));
      controller.enqueue(bytes.slice(half));
      controller.close();
    },
  });
}

const ENDPOINTS = [
  { name: "POST /future/orders/instant/sms", path: "/future/orders/instant/sms", valid: (): Body => smsRequest() },
  { name: "POST /future/orders/instant/email", path: "/future/orders/instant/email", valid: (): Body => emailRequest() },
  { name: "POST /future/orders/instant (deprecated)", path: "/future/orders/instant", valid: (): Body => deprecatedRequest() },
];

describe.each(ENDPOINTS)("$name — body validation", ({ path, valid }) => {
  const send = (rawBody: BodyInit, headers: Record<string, string> = {}) => call("POST", path, undefined, { rawBody, headers });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"])(
    "rejects Content-Type %s with 415",
    async (contentType) => {
      const body = valid();
      await expectRefused(() => send(JSON.stringify(body), { "Content-Type": contentType }), 415, body.idempotencyId as string);
    },
  );

  it("rejects a JSON body sent without any Content-Type with 415", async () => {
    const body = valid();
    const token = await tokenFor("ttd");
    await expectRefused(
      () => {
        // Bytes, not a string: a string body would get an implicit text/plain Content-Type.
        const request = new Request(`${BASE}${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: new TextEncoder().encode(JSON.stringify(body)) });
        expect(request.headers.has("content-type")).toBe(false);
        return exports.default.fetch(request);
      },
      415,
      body.idempotencyId as string,
    );
  });

  it("accepts application/json with a charset parameter", async () => {
    const body = valid();
    const response = await send(JSON.stringify(body), { "Content-Type": "application/json; charset=utf-8" });
    expect(response.status, await response.clone().text()).toBe(201);
    expect((await rowsForKey("ttd", body.idempotencyId as string)).shipments).toBe(1);
  });

  it("rejects a body one byte over 256 KiB with 413", async () => {
    const body: Body = { ...valid(), padding: "" };
    body.padding = "x".repeat(MAX_BODY_BYTES + 1 - new TextEncoder().encode(JSON.stringify(body)).length);
    const text = JSON.stringify(body);
    expect(new TextEncoder().encode(text).length).toBe(MAX_BODY_BYTES + 1);
    await expectRefused(() => send(text), 413, body.idempotencyId as string);
  });

  it.each([
    ["truncated", '{"idempotencyId": "k", "recipientSms": {'],
    ["single-quoted", "{'idempotencyId': 'k'}"],
    ["trailing comma", '{"idempotencyId": "k",}'],
    ["two documents", '{"idempotencyId": "k"}{"idempotencyId": "k"}'],
    ["empty", ""],
  ])("rejects malformed JSON (%s) with 400", async (_label, text) => {
    const problem = await expectRefused(() => send(text), 400);
    expect(Object.keys(problem.errors ?? {}).length).toBeGreaterThan(0);
  });

  it.each([
    ["an array", (b: Body) => JSON.stringify([b])],
    ["an empty array", () => "[]"],
    ["null", () => "null"],
    ["a string", (b: Body) => JSON.stringify(JSON.stringify(b))],
    ["a number", () => "42"],
    ["a boolean", () => "true"],
  ])("rejects %s as the body with 400", async (_label, make) => {
    const body = valid();
    const problem = await expectRefused(() => send(make(body)), 400, body.idempotencyId as string);
    expect(Object.keys(problem.errors ?? {}).length).toBeGreaterThan(0);
  });
});

describe("POST /future/orders/instant/sms — body size and encoding", () => {
  it("accepts a body of exactly 256 KiB (unknown padding property ignored)", async () => {
    const { body, text } = smsRequestOfSize(MAX_BODY_BYTES);
    const response = await call("POST", "/future/orders/instant/sms", undefined, { rawBody: text });
    expect(response.status, await response.clone().text()).toBe(201);
    expect((await rowsForKey("ttd", body.idempotencyId as string)).shipments).toBe(1);
  });

  it("accepts a chunked body (no Content-Length) within the limit", async () => {
    const body = smsRequest();
    const response = await call("POST", "/future/orders/instant/sms", undefined, { rawBody: chunked(new TextEncoder().encode(JSON.stringify(body))) });
    expect(response.status, await response.clone().text()).toBe(201);
    expect((await rowsForKey("ttd", body.idempotencyId)).shipments).toBe(1);
  });

  it("rejects a chunked body (no Content-Length) over 256 KiB with 413", async () => {
    const { body, text } = smsRequestOfSize(MAX_BODY_BYTES + 1);
    await expectRefused(
      () => call("POST", "/future/orders/instant/sms", undefined, { rawBody: chunked(new TextEncoder().encode(text)) }),
      413,
      body.idempotencyId as string,
    );
  });

  it.each([
    ["a lone 0xFF byte", [0xff]],
    ["a truncated two-byte sequence", [0xc3]],
    ["an overlong encoding", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
  ])("rejects invalid UTF-8 (%s) with 400", async (_label, raw) => {
    const body = withField(smsRequest(), "recipientSms.smsSettings.body", "Your code is @@MARK@@");
    const problem = await expectRefused(
      () => call("POST", "/future/orders/instant/sms", undefined, { rawBody: bytesWith(body, "@@MARK@@", raw) }),
      400,
      body.idempotencyId,
    );
    expect(Object.keys(problem.errors ?? {}).length).toBeGreaterThan(0);
  });

  it("accepts valid multi-byte UTF-8 in the same place", async () => {
    const body = withField(smsRequest(), "recipientSms.smsSettings.body", "Your code is @@MARK@@");
    const response = await call("POST", "/future/orders/instant/sms", undefined, { rawBody: bytesWith(body, "@@MARK@@", [0xc3, 0xa5]) }); // å
    expect(response.status, await response.clone().text()).toBe(201);
  });
});

describe("POST /future/orders/instant/sms — the example of docs/api.md", () => {
  it("registers the contract's SMS example and the manifest shows it", async () => {
    const key = uniqueKey("94e9d0f6");
    const response = await postSms({
      idempotencyId: key,
      sendersReference: "otp-login-1234",
      recipientSms: { phoneNumber: "+4799999999", timeToLiveInSeconds: 120, smsSettings: { sender: "Altinn", body: "Your code is 428516" } },
    });
    expect(response.status).toBe(201);
    const json = (await response.json()) as OrderBody;
    expect(json.notificationOrderId).toMatch(UUID);
    expect(json.notification).toEqual({ shipmentId: expect.stringMatching(UUID), sendersReference: "otp-login-1234" });
    expect(json.notificationOrderId).not.toBe(json.notification.shipmentId);
    expect(response.headers.get("location")).toBe(`/notifications/api/v1/future/shipment/${json.notification.shipmentId}`);

    const shipment = await call("GET", `/future/shipment/${json.notification.shipmentId}`);
    expect(shipment.status).toBe(200);
    expect(await shipment.json()).toMatchObject({
      shipmentId: json.notification.shipmentId,
      sendersReference: "otp-login-1234",
      type: "Instant",
      recipients: [{ type: "SMS", destination: "+4799999999" }],
    });
    expect(await rowsForKey("ttd", key)).toMatchObject({ shipments: 1, recipients: 1 });
  });
});

describe("POST /future/orders/instant/sms — validation", () => {
  describe("idempotencyId", () => {
    it.each([
      ["missing", REMOVE],
      ["empty", ""],
      ["blank (spaces)", "   "],
      ["blank (tabs and newlines)", "\t\n "],
      ["1001 characters", "k".repeat(1001)],
      ["a number", 12345],
      ["null", null],
    ])("rejects an idempotencyId that is %s", async (_label, value) => {
      await expectRejected(postSms, withField(smsRequest(), "idempotencyId", value), "idempotencyId");
    });

    it("accepts an idempotencyId of 1000 characters (as Altinn accepts)", async () => {
      const key = `${uniqueKey()}-`.padEnd(1000, "k");
      expect(key).toHaveLength(1000);
      await expectAccepted(postSms, smsRequest({ key }));
    });

    it("accepts an idempotencyId with surrounding spaces (not blank)", async () => {
      await expectAccepted(postSms, smsRequest({ key: `  ${uniqueKey()}  ` }));
    });

    it("compares idempotencyId exactly: case and surrounding spaces make different keys", async () => {
      const base = smsRequest({ key: uniqueKey("Exact") });
      const first = await expectAccepted(postSms, base);
      for (const variant of [base.idempotencyId.toUpperCase(), base.idempotencyId.toLowerCase(), ` ${base.idempotencyId}`, `${base.idempotencyId} `]) {
        const again = await expectAccepted(postSms, { ...base, idempotencyId: variant });
        expect(again.notification.shipmentId).not.toBe(first.notification.shipmentId);
      }
      const replay = await postSms(base);
      expectReplay(replay);
      expect(await replay.json()).toEqual(first);
    });
  });

  describe("sendersReference", () => {
    it("accepts a request without sendersReference and echoes none", async () => {
      const json = await expectAccepted(postSms, withField(smsRequest(), "sendersReference", REMOVE));
      expect(json.notification).not.toHaveProperty("sendersReference");
    });

    it("accepts a sendersReference of 1000 characters (as Altinn accepts) and echoes it", async () => {
      const reference = "r".repeat(1000);
      const json = await expectAccepted(postSms, withField(smsRequest(), "sendersReference", reference));
      expect(json.notification.sendersReference).toBe(reference);
    });

    it.each([
      ["1001 characters", "r".repeat(1001)],
      ["a number", 1234],
    ])("rejects a sendersReference of %s", async (_label, value) => {
      await expectRejected(postSms, withField(smsRequest(), "sendersReference", value), "sendersReference");
    });
  });

  describe("recipientSms structure", () => {
    it("rejects a request without recipientSms", async () => {
      await expectRejected(postSms, withField(smsRequest(), "recipientSms", REMOVE), "recipientSms");
    });

    it("rejects a request without smsSettings", async () => {
      await expectRejected(postSms, withField(smsRequest(), "recipientSms.smsSettings", REMOVE), "recipientSms.smsSettings");
    });
  });

  describe("phoneNumber", () => {
    it.each([
      ["missing", REMOVE],
      ["empty", ""],
      ["without + or 00 (country code only)", "4799999999"],
      ["without + or 00 (national)", "99999999"],
      ["with a single leading 0", "04799999999"],
      ["only a plus", "+"],
      ["with letters", "+47ABCDEFGH"],
      ["with trailing letters", "+4799999ABC"],
      ["too short for its country code", "+4799999"],
      ["of an unknown country code", "+999123456789"],
      ["a JSON number instead of a string", 4799999999],
    ])("rejects a phoneNumber that is %s", async (_label, value) => {
      await expectRejected(postSms, withField(smsRequest(), "recipientSms.phoneNumber", value), "recipientSms.phoneNumber");
    });

    it.each([
      ["+4799999999", "+4799999999"],
      ["004791234567", "+4791234567"],
      ["00447911123456", "+447911123456"],
      ["+4740000001", "+4740000001"],
    ])("accepts %s and stores it as %s (E.164)", async (input, e164) => {
      const json = await expectAccepted(postSms, smsRequest({ phoneNumber: input }));
      const shipment = await call("GET", `/future/shipment/${json.notification.shipmentId}`);
      expect(shipment.status).toBe(200);
      const manifest = (await shipment.json()) as { recipients: { type: string; destination: string }[] };
      expect(manifest.recipients).toHaveLength(1);
      expect(manifest.recipients[0]).toMatchObject({ type: "SMS", destination: e164 });
    });

    it("treats 00 as + : the same number either way is the same request", async () => {
      const first = smsRequest({ phoneNumber: "+4791234567" });
      const json = await expectAccepted(postSms, first);
      const replay = await postSms({ ...first, recipientSms: { ...first.recipientSms, phoneNumber: "004791234567" } });
      expectReplay(replay);
      expect(await replay.json()).toEqual(json);
    });
  });

  describe("timeToLiveInSeconds", () => {
    it.each([
      ["59 (one below the minimum)", 59],
      ["172801 (one above the maximum)", 172_801],
      ["0", 0],
      ["negative", -120],
      ["a fraction (120.5)", 120.5],
      ["null", null],
      ["missing", REMOVE],
    ])("rejects a timeToLiveInSeconds that is %s", async (_label, value) => {
      await expectRejected(postSms, withField(smsRequest(), "recipientSms.timeToLiveInSeconds", value), "recipientSms.timeToLiveInSeconds");
    });

    it.each([60, 120, 172_800])("accepts a timeToLiveInSeconds of %i", async (ttl) => {
      await expectAccepted(postSms, smsRequest({ ttl }));
    });
  });

  describe("smsSettings.sender", () => {
    it("accepts a request without sender and applies the configured default", async () => {
      const request = withField(smsRequest(), "recipientSms.smsSettings.sender", REMOVE);
      const json = await expectAccepted(postSms, request);
      // The validated request is compared on a repeat: the default sender must make it the same request,
      // and a different sender a different one.
      const withDefault = await postSms(withField(request, "recipientSms.smsSettings.sender", env.DEFAULT_SMS_SENDER));
      expectReplay(withDefault);
      expect(await withDefault.json()).toEqual(json);
      const withOther = await postSms(withField(request, "recipientSms.smsSettings.sender", "Other"));
      expectMismatch(withOther);
      expect(await withOther.json()).toEqual(json);
    });

    it.each([
      ["Altinn"],
      ["A"],
      ["Altinn Test"], // 11 characters with a space
      ["Digdir2024"],
      ["12345"], // digits-only numeric sender
      ["+4799999999"],
      ["123456789012345"], // 15 digits
      ["+123456789012345"],
    ])("accepts the sender %j", async (sender) => {
      await expectAccepted(postSms, withField(smsRequest(), "recipientSms.smsSettings.sender", sender));
    });

    // Any other string of at most 1,000 characters is registered (test/api/orders.sender.test.ts).
    it.each([
      ["1,001 characters", "s".repeat(1001)],
      ["a number", 12345],
    ])("rejects a sender of %s", async (_label, sender) => {
      await expectRejected(postSms, withField(smsRequest(), "recipientSms.smsSettings.sender", sender), "recipientSms.smsSettings.sender");
    });
  });

  describe("smsSettings.body", () => {
    it.each([
      ["missing", REMOVE],
      ["empty", ""],
      ["blank", "  \n\t "],
      ["17 GSM-7 segments (2449 characters)", "a".repeat(2449)],
      ["17 GSM-7 segments of æøå (2449 characters)", "å".repeat(2449)],
      ["2447 GSM-7 characters and one € (2449 septets)", `${"a".repeat(2447)}€`],
      ["over 16 segments with extension characters (1225 × €, 2450 septets)", "€".repeat(1225)],
      ["17 UCS-2 segments (1073 × ж)", "ж".repeat(1073)],
      ["17 UCS-2 segments of emoji (537 surrogate pairs)", "😀".repeat(537)],
      ["2448 characters with one non-GSM character (UCS-2)", `${"a".repeat(2447)}ж`],
      ["a number", 428516],
    ])("rejects a body that is %s", async (_label, body) => {
      await expectRejected(postSms, withField(smsRequest(), "recipientSms.smsSettings.body", body), "recipientSms.smsSettings.body");
    });

    it.each([
      ["one character", "1"],
      ["16 GSM-7 segments (2448 characters)", "a".repeat(2448)],
      ["16 GSM-7 segments of æøå (2448 × å, GSM-7)", "å".repeat(2448)],
      ["2446 GSM-7 characters and one € (2448 septets)", `${"a".repeat(2446)}€`],
      ["16 UCS-2 segments (1072 × ж)", "ж".repeat(1072)],
      // An escape pair or a surrogate pair may not be split across parts (153 and 67 are odd), so the
      // exact ceiling for all-€ or all-emoji bodies is a little below 2448/2 and 1072/2; these stay
      // clear of that detail, which the contract does not pin down.
      ["extension characters only (1216 × €, 2432 septets)", "€".repeat(1216)],
      ["emoji only (528 surrogate pairs, 1056 units)", "😀".repeat(528)],
    ])("accepts a body of %s", async (_label, body) => {
      await expectAccepted(postSms, smsRequest({ body }));
    });
  });

  describe("unknown properties", () => {
    it("ignores unknown properties at every level", async () => {
      const request = smsRequest();
      await expectAccepted(postSms, {
        ...request,
        unknownTopLevel: { nested: true },
        requestedSendTime: "2030-01-01T00:00:00Z",
        recipientSms: {
          ...request.recipientSms,
          unknownInRecipient: 1,
          smsSettings: { ...request.recipientSms.smsSettings, unknownInSettings: "x" },
        },
      });
    });

    it("ignores unknown properties when comparing a repeated request", async () => {
      const request = smsRequest();
      const json = await expectAccepted(postSms, request);
      const replay = await postSms({ ...request, somethingElse: "ignored" });
      expectReplay(replay);
      expect(await replay.json()).toEqual(json);
    });
  });
});

describe("POST /future/orders/instant/email — the example of docs/api.md", () => {
  it("registers the contract's email example and the manifest shows it", async () => {
    const key = uniqueKey("8f2a6a61");
    const response = await postEmail({
      idempotencyId: key,
      sendersReference: "otp-email-1234",
      recipientEmail: {
        emailAddress: "user@example.com",
        emailSettings: { subject: "One-time code", body: "<p>…</p>", senderEmailAddress: "noreply@example.com", contentType: "Html" },
      },
    });
    expect(response.status).toBe(201);
    const json = (await response.json()) as OrderBody;
    expect(json.notificationOrderId).toMatch(UUID);
    expect(json.notification).toEqual({ shipmentId: expect.stringMatching(UUID), sendersReference: "otp-email-1234" });
    expect(response.headers.get("location")).toBe(`/notifications/api/v1/future/shipment/${json.notification.shipmentId}`);

    const shipment = await call("GET", `/future/shipment/${json.notification.shipmentId}`);
    expect(shipment.status).toBe(200);
    expect(await shipment.json()).toMatchObject({
      shipmentId: json.notification.shipmentId,
      sendersReference: "otp-email-1234",
      type: "Instant",
      recipients: [{ type: "Email", destination: "user@example.com" }],
    });
  });
});

describe("POST /future/orders/instant/email — validation", () => {
  const ADDRESS_REJECTIONS: [string, unknown][] = [
    ["empty", ""],
    ["without @", "ola.nordmann.no"],
    ["with two @", "ola@@nordmann.no"],
    ["without a local part", "@nordmann.no"],
    ["without a domain", "ola@"],
    ["with a quoted local part", '"ola nordmann"@nordmann.no'],
    ["with a quoted local part without spaces", '"ola"@nordmann.no'],
    ["with an IPv4 literal", "ola@[192.168.0.1]"],
    ["with an IPv6 literal", "ola@[IPv6:2001:db8::1]"],
    ["with a bare IP address", "ola@192.168.0.1"],
    ["with a 1-letter TLD", "ola@nordmann.n"],
    ["with a numeric TLD", "ola@nordmann.123"],
    ["with a 64-letter TLD", `ola@nordmann.${"n".repeat(64)}`],
    ["without a TLD", "ola@nordmann"],
    ["with a leading dot", ".ola@nordmann.no"],
    ["with a trailing dot in the local part", "ola.@nordmann.no"],
    ["with two dots in a row", "ola..nordmann@nordmann.no"],
    ["with a space", "ola nordmann@nordmann.no"],
    ["with a label starting with a hyphen", "ola@-nordmann.no"],
    ["of 255 characters", emailOfLength(255)],
    ["a number", 42],
  ];

  const ADDRESS_ACCEPTANCES = [
    "ola@nordmann.no",
    "ola.nordmann+otp@sub.nordmann.no",
    "o'brien_x-y@example.com",
    "ola@blåbær.no",
    "OLA@NORDMANN.NO",
    `ola@nordmann.${"n".repeat(63)}`,
    emailOfLength(254),
  ];

  describe("recipientEmail structure", () => {
    it("rejects a request without recipientEmail", async () => {
      await expectRejected(postEmail, withField(emailRequest(), "recipientEmail", REMOVE), "recipientEmail");
    });

    it("rejects a request without emailSettings", async () => {
      await expectRejected(postEmail, withField(emailRequest(), "recipientEmail.emailSettings", REMOVE), "recipientEmail.emailSettings");
    });

    it("rejects an idempotencyId that is blank, under the same key as the SMS endpoint", async () => {
      await expectRejected(postEmail, withField(emailRequest(), "idempotencyId", "   "), "idempotencyId");
    });

    it("rejects a sendersReference of 1001 characters", async () => {
      await expectRejected(postEmail, withField(emailRequest(), "sendersReference", "r".repeat(1001)), "sendersReference");
    });
  });

  describe("emailAddress", () => {
    it("rejects a request without emailAddress", async () => {
      await expectRejected(postEmail, withField(emailRequest(), "recipientEmail.emailAddress", REMOVE), "recipientEmail.emailAddress");
    });

    it.each(ADDRESS_REJECTIONS)("rejects an emailAddress %s", async (_label, address) => {
      await expectRejected(postEmail, withField(emailRequest(), "recipientEmail.emailAddress", address), "recipientEmail.emailAddress");
    });

    it.each(ADDRESS_ACCEPTANCES)("accepts the emailAddress %s", async (address) => {
      const json = await expectAccepted(postEmail, emailRequest({ emailAddress: address }));
      if (address === "ola@nordmann.no") {
        const shipment = await call("GET", `/future/shipment/${json.notification.shipmentId}`);
        expect(await shipment.json()).toMatchObject({ recipients: [{ type: "Email", destination: "ola@nordmann.no" }] });
      }
    });
  });

  describe("emailSettings.subject", () => {
    it.each([
      ["missing", REMOVE],
      ["empty", ""],
      ["blank", "   "],
      ["999 characters", "s".repeat(999)],
      ["containing another control character (VT)", "One-time\u000bcode"],
      ["only a line break (blank once it is a space)", "\r\n"],
      ["a number", 1],
    ])("rejects a subject that is %s", async (_label, subject) => {
      await expectRejected(postEmail, withField(emailRequest(), "recipientEmail.emailSettings.subject", subject), "recipientEmail.emailSettings.subject");
    });

    it.each([
      ["998 characters (RFC 5322's line limit)", "s".repeat(998)],
      ["with æøå and a tab", "Engangskode\tfor blåbær"],
      ["one character", "x"],
    ])("accepts a subject of %s", async (_label, subject) => {
      await expectAccepted(postEmail, withField(emailRequest(), "recipientEmail.emailSettings.subject", subject));
    });
  });

  describe("emailSettings.body", () => {
    it.each([
      ["missing", REMOVE],
      ["empty", ""],
      ["blank", " \r\n\t "],
    ])("rejects an email body that is %s", async (_label, body) => {
      await expectRejected(postEmail, withField(emailRequest(), "recipientEmail.emailSettings.body", body), "recipientEmail.emailSettings.body");
    });

    it("accepts a long multi-line HTML body", async () => {
      await expectAccepted(postEmail, emailRequest({ body: `<p>Your code is 428516</p>\r\n${"<p>æøå</p>\n".repeat(5000)}` }));
    });
  });

  describe("emailSettings.senderEmailAddress", () => {
    it("accepts a request without senderEmailAddress and applies the configured default", async () => {
      const request = withField(emailRequest(), "recipientEmail.emailSettings.senderEmailAddress", REMOVE);
      const json = await expectAccepted(postEmail, request);
      const withDefault = await postEmail(withField(request, "recipientEmail.emailSettings.senderEmailAddress", env.DEFAULT_EMAIL_SENDER));
      expectReplay(withDefault);
      expect(await withDefault.json()).toEqual(json);
      const withOther = await postEmail(withField(request, "recipientEmail.emailSettings.senderEmailAddress", "other@digdir.no"));
      expectMismatch(withOther);
      expect(await withOther.json()).toEqual(json);
    });

    it("accepts a valid senderEmailAddress", async () => {
      await expectAccepted(postEmail, withField(emailRequest(), "recipientEmail.emailSettings.senderEmailAddress", "noreply@digdir.no"));
    });

    it.each(ADDRESS_REJECTIONS)("rejects a senderEmailAddress %s", async (_label, address) => {
      await expectRejected(
        postEmail,
        withField(emailRequest(), "recipientEmail.emailSettings.senderEmailAddress", address),
        "recipientEmail.emailSettings.senderEmailAddress",
      );
    });
  });

  describe("emailSettings.contentType", () => {
    it.each([["Plain"], ["Html"], ["html"], ["PLAIN"], ["hTmL"], [0], [1]])("accepts the contentType %j", async (contentType) => {
      await expectAccepted(postEmail, withField(emailRequest(), "recipientEmail.emailSettings.contentType", contentType));
    });

    it("accepts a request without contentType", async () => {
      await expectAccepted(postEmail, withField(emailRequest(), "recipientEmail.emailSettings.contentType", REMOVE));
    });

    it.each([
      ["Plain (the default when left out)", REMOVE, ["Plain", "plain", 0], ["Html", 1]],
      ["Html", "Html", ["html", "HTML", 1], ["Plain", 0]],
      ["0", 0, ["Plain", "PLAIN"], ["Html", 1]],
    ] as const)(
      "reads contentType %s case-insensitively and as the integers 0 and 1",
      async (_label, first, same, different) => {
        const request = withField(emailRequest(), "recipientEmail.emailSettings.contentType", first);
        const json = await expectAccepted(postEmail, request);
        for (const value of same) {
          const replay = await postEmail(withField(request, "recipientEmail.emailSettings.contentType", value));
          expectReplay(replay, `contentType ${JSON.stringify(value)}`);
          expect(await replay.json()).toEqual(json);
        }
        for (const value of different) {
          const mismatch = await postEmail(withField(request, "recipientEmail.emailSettings.contentType", value));
          expectMismatch(mismatch, `contentType ${JSON.stringify(value)}`);
        }
      },
    );

    it.each([["Markdown"], [2], [-1], [""], ["Text"], [true]])("rejects the contentType %j", async (contentType) => {
      await expectRejected(
        postEmail,
        withField(emailRequest(), "recipientEmail.emailSettings.contentType", contentType),
        "recipientEmail.emailSettings.contentType",
      );
    });
  });

  describe("unknown properties", () => {
    it("ignores unknown properties at every level", async () => {
      const request = emailRequest();
      await expectAccepted(postEmail, {
        ...request,
        unknownTopLevel: [1, 2, 3],
        recipientEmail: {
          ...request.recipientEmail,
          unknownInRecipient: null,
          emailSettings: { ...request.recipientEmail.emailSettings, attachments: [], unknownInSettings: "x" },
        },
      });
    });
  });
});

describe("POST /future/orders/instant (deprecated) — validation", () => {
  it("registers the contract's deprecated example with 201, Deprecation and a successor-version Link", async () => {
    const request = deprecatedRequest({ phoneNumber: "+4799999999" });
    const json = await expectAccepted(postDeprecated, request);
    const response = await postDeprecated(deprecatedRequest());
    expect(response.status).toBe(201);
    expect(response.headers.get("deprecation")).toBeTruthy();
    const link = response.headers.get("link") ?? "";
    expect(link).toContain('rel="successor-version"');
    expect(link).toContain("/future/orders/instant/sms");
    expect(link).toMatch(/<[^>]*\/future\/orders\/instant\/sms>\s*;\s*rel="successor-version"/);

    const shipment = await call("GET", `/future/shipment/${json.notification.shipmentId}`);
    expect(await shipment.json()).toMatchObject({ type: "Instant", recipients: [{ type: "SMS", destination: "+4799999999" }] });
  });

  it.each([
    ["missing recipient", "recipient", REMOVE, "recipient"],
    ["missing recipient.recipientSms", "recipient.recipientSms", REMOVE, "recipient.recipientSms"],
    ["missing phoneNumber", "recipient.recipientSms.phoneNumber", REMOVE, "recipient.recipientSms.phoneNumber"],
    ["a phoneNumber too short for its country", "recipient.recipientSms.phoneNumber", "+4799999", "recipient.recipientSms.phoneNumber"],
    ["timeToLiveInSeconds 59", "recipient.recipientSms.timeToLiveInSeconds", 59, "recipient.recipientSms.timeToLiveInSeconds"],
    ["timeToLiveInSeconds 172801", "recipient.recipientSms.timeToLiveInSeconds", 172_801, "recipient.recipientSms.timeToLiveInSeconds"],
    ["a sender of 1001 characters", "recipient.recipientSms.smsSettings.sender", "s".repeat(1001), "recipient.recipientSms.smsSettings.sender"],
    ["a blank body", "recipient.recipientSms.smsSettings.body", "   ", "recipient.recipientSms.smsSettings.body"],
    ["a body of 17 segments", "recipient.recipientSms.smsSettings.body", "a".repeat(2449), "recipient.recipientSms.smsSettings.body"],
    ["a blank idempotencyId", "idempotencyId", "   ", "idempotencyId"],
    ["a sendersReference of 1001 characters", "sendersReference", "r".repeat(1001), "sendersReference"],
  ])("rejects %s under its recipient.recipientSms path", async (_label, field, value, path) => {
    await expectRejected(postDeprecated, withField(deprecatedRequest(), field, value), path);
  });

  it("rejects the /instant/sms body shape (recipientSms at the top level) and says to use /instant/sms", async () => {
    await expectRejected(postDeprecated, smsRequest(), "recipient");
    const problem = await problemOf(await postDeprecated(smsRequest()));
    expect(problem.detail).toContain("POST /notifications/api/v1/future/orders/instant/sms");
    expect(problem.errors).toEqual({ recipient: ["Required"] });
  });

  it("gives no such hint for other failures", async () => {
    const problem = await problemOf(await postDeprecated(withField(deprecatedRequest(), "recipient.recipientSms.timeToLiveInSeconds", 59)));
    expect(problem.detail).toBe("Validation failed.");
  });

  it.each([
    ["timeToLiveInSeconds 60", "recipient.recipientSms.timeToLiveInSeconds", 60],
    ["timeToLiveInSeconds 172800", "recipient.recipientSms.timeToLiveInSeconds", 172_800],
    ["a 00-prefixed phoneNumber", "recipient.recipientSms.phoneNumber", "004791234567"],
    ["no sender", "recipient.recipientSms.smsSettings.sender", REMOVE],
    ["an unknown property", "recipient.extra", "ignored"],
  ])("accepts %s", async (_label, field, value) => {
    await expectAccepted(postDeprecated, withField(deprecatedRequest(), field, value));
  });
});

describe("a missing required field says Required", () => {
  it.each([
    ["idempotencyId", "idempotencyId"],
    ["recipientSms", "recipientSms"],
    ["recipientSms.phoneNumber", "recipientSms.phoneNumber"],
    ["recipientSms.timeToLiveInSeconds", "recipientSms.timeToLiveInSeconds"],
    ["recipientSms.smsSettings", "recipientSms.smsSettings"],
    ["recipientSms.smsSettings.body", "recipientSms.smsSettings.body"],
  ])("SMS without %s", async (field, path) => {
    const problem = await problemOf(await postSms(withField(smsRequest(), field, REMOVE)));
    expect(problem.errors).toEqual({ [path]: ["Required"] });
  });

  it.each(["recipientEmail.emailAddress", "recipientEmail.emailSettings.subject", "recipientEmail.emailSettings.body"])("email without %s", async (field) => {
    const problem = await problemOf(await postEmail(withField(emailRequest(), field, REMOVE)));
    expect(problem.errors).toEqual({ [field]: ["Required"] });
  });

  it("a required field sent as null (left out) says Required too", async () => {
    const problem = await problemOf(await postSms(withField(smsRequest(), "recipientSms.phoneNumber", null)));
    expect(problem.errors).toEqual({ "recipientSms.phoneNumber": ["Required"] });
  });

  it("a field of the wrong type keeps saying what was expected", async () => {
    const problem = await problemOf(await postSms(withField(smsRequest(), "recipientSms.timeToLiveInSeconds", true)));
    expect(problem.errors!["recipientSms.timeToLiveInSeconds"]).toEqual(["Must be an integer, or a string of the digits 0-9 only."]);
  });
});

// What Altinn accepts is accepted here and handled the same way (each test names the Altinn rule it
// mirrors: its JSON settings, validators and mappers in Altinn/altinn-notifications).
describe("Altinn parity", () => {
  /** `body` with every property name, at every level, rewritten by `rename`. */
  function renamed(body: unknown, rename: (name: string) => string): unknown {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
    return Object.fromEntries(Object.entries(body).map(([name, value]) => [rename(name), renamed(value, rename)]));
  }
  const pascal = (name: string) => name[0]!.toUpperCase() + name.slice(1);

  /** 201 for `variant`, then 200 with the identical body for `same` (the validated requests are equal). */
  async function expectSameRequest(post: Post, variant: unknown, same: unknown[], idempotencyId: string) {
    queueSend.mockClear();
    const first = await post(variant);
    expect(first.status, await first.clone().text()).toBe(201);
    const json = (await first.json()) as OrderBody;
    expect(Object.keys(json)).toEqual(["notificationOrderId", "notification"]);
    expect(json.notification.shipmentId).toMatch(UUID);
    expect(enqueuedShipmentIds()).toContain(json.notification.shipmentId);
    for (const body of same) {
      const replay = await post(body);
      expectReplay(replay, JSON.stringify(body).slice(0, 200));
      expect(await replay.json()).toEqual(json);
    }
    expect((await rowsForKey("ttd", idempotencyId)).shipments).toBe(1);
    return json;
  }

  describe("ASP.NET's web JSON defaults: property names match case-insensitively", () => {
    it.each(ENDPOINTS)("$name takes every property name in PascalCase, and the camelCase request is the same request", async ({ path, valid }) => {
      const post: Post = (body, options) => call("POST", path, body, options);
      const camel = valid();
      const json = await expectSameRequest(post, renamed(camel, pascal), [camel, renamed(camel, (n) => n.toUpperCase())], camel.idempotencyId as string);
      expect(json.notification).toEqual({ shipmentId: expect.stringMatching(UUID), sendersReference: camel.sendersReference });
    });

    it("takes names in any mix of cases (IDEMPOTENCYID, recipientsms, SmsSettings)", async () => {
      const request = smsRequest();
      const mixed = {
        IDEMPOTENCYID: request.idempotencyId,
        sendersreference: request.sendersReference,
        recipientsms: {
          PhoneNumber: request.recipientSms.phoneNumber,
          timetoliveinseconds: request.recipientSms.timeToLiveInSeconds,
          SmsSettings: { SENDER: request.recipientSms.smsSettings.sender, bOdY: request.recipientSms.smsSettings.body },
        },
      };
      await expectSameRequest(postSms, mixed, [request], request.idempotencyId);
    });

    it.each([
      ["idempotencyId at the top level", (b: Body) => ({ ...b, IdempotencyId: b.idempotencyId }), "idempotencyId"],
      ["recipientSms", (b: Body) => ({ ...b, RecipientSms: b.recipientSms }), "recipientSms"],
      [
        "smsSettings.body, nested",
        (b: Body) => withField(b, "recipientSms.smsSettings", { ...(b.recipientSms as { smsSettings: Body }).smsSettings, BODY: "Another code" }),
        "recipientSms.smsSettings.body",
      ],
    ])("refuses two names in one object that differ only by case (%s): 400 at the camelCase path, nothing stored", async (_label, make, path) => {
      await expectRejected(postSms, make(smsRequest()), path);
    });

    it("keys `errors` by the camelCase JSON path whatever case the request used", async () => {
      const body = renamed(withField(smsRequest(), "recipientSms.timeToLiveInSeconds", 59), pascal) as Body;
      const problem = await problemOf(await postSms(body));
      expect(problem.errors).toEqual({ "recipientSms.timeToLiveInSeconds": [`At least 60.`] });
    });

    it("ignores unknown properties whatever their case, beside known ones in another case", async () => {
      const request = smsRequest();
      await expectSameRequest(postSms, { ...(renamed(request, pascal) as Body), Unknown: 1, unknown: 2, UNKNOWN: 3 }, [request], request.idempotencyId);
    });

    it("the deprecated endpoint still tells a PascalCase /instant/sms body (RecipientSms at the top level) to use /instant/sms", async () => {
      const problem = await problemOf(await postDeprecated(renamed(smsRequest(), pascal)));
      expect(problem.errors).toEqual({ recipient: ["Required"] });
      expect(problem.detail).toContain("POST /notifications/api/v1/future/orders/instant/sms");
    });
  });

  describe("Altinn's SMS sender: left out, null, empty or blank means the configured default", () => {
    it.each([["empty", ""], ["blank", "   "]])("takes a %s sender as the default sender (the same request as naming it)", async (_label, sender) => {
      const request = withField(smsRequest(), "recipientSms.smsSettings.sender", sender);
      await expectSameRequest(
        postSms,
        request,
        [withField(request, "recipientSms.smsSettings.sender", env.DEFAULT_SMS_SENDER), withField(request, "recipientSms.smsSettings.sender", null)],
        request.idempotencyId,
      );
      expectMismatch(await postSms(withField(request, "recipientSms.smsSettings.sender", "Other")));
    });
  });

  describe("Altinn's JSON settings read numbers from strings: timeToLiveInSeconds as a string of digits", () => {
    it("reads \"3600\" as 3600 (the same request as the number)", async () => {
      const request = withField(smsRequest(), "recipientSms.timeToLiveInSeconds", "3600");
      await expectSameRequest(postSms, request, [withField(request, "recipientSms.timeToLiveInSeconds", 3600)], request.idempotencyId);
      expectMismatch(await postSms(withField(request, "recipientSms.timeToLiveInSeconds", 3601)));
    });

    it.each([["60"], ["172800"], ["0120"]])("accepts the string %j", async (ttl) => {
      await expectAccepted(postSms, withField(smsRequest(), "recipientSms.timeToLiveInSeconds", ttl));
    });

    it.each([
      ["a leading space", " 3600"],
      ["a trailing space", "3600 "],
      ["a decimal point", "3600.0"],
      ["an exponent", "1e3"],
      ["empty", ""],
      ["a plus sign", "+3600"],
      ["a minus sign", "-60"],
      ["hexadecimal", "0x10"],
      ["full-width digits", "３６００"],
      ["digits below the range", "59"],
      ["digits above the range", "172801"],
      ["more digits than any number holds", "9".repeat(400)],
    ])("refuses a string with %s", async (_label, ttl) => {
      await expectRejected(postSms, withField(smsRequest(), "recipientSms.timeToLiveInSeconds", ttl), "recipientSms.timeToLiveInSeconds");
    });
  });

  describe("Altinn's email address: trimmed, æøå in the local part as in the domain", () => {
    it("ignores surrounding whitespace: stored trimmed, the same request as without it", async () => {
      const address = variedEmailAddress();
      const request = emailRequest({ emailAddress: ` \t${address} \r\n` });
      const json = await expectSameRequest(postEmail, request, [emailRequest({ emailAddress: address, key: request.idempotencyId })], request.idempotencyId);
      const shipment = await call("GET", `/future/shipment/${json.notification.shipmentId}`);
      expect(await shipment.json()).toMatchObject({ recipients: [{ type: "Email", destination: address }] });
    });

    it.each(["øyvind@example.no", "ÆRLIG.Åse@blåbær.no", "kari.bø+otp@sjøåsen.no"])("accepts æøå in the local part: %s", async (address) => {
      await expectAccepted(postEmail, emailRequest({ emailAddress: address }));
    });

    it("trims the sender address the same way", async () => {
      const request = withField(emailRequest(), "recipientEmail.emailSettings.senderEmailAddress", "  noreply@digdir.no ");
      await expectSameRequest(postEmail, request, [withField(request, "recipientEmail.emailSettings.senderEmailAddress", "noreply@digdir.no")], request.idempotencyId);
    });

    it.each([["whitespace only", "   "], ["a space inside", "ola nordmann@example.no"], ["other non-ASCII letters", "jürgen@example.de"]])(
      "still refuses an address of %s",
      async (_label, address) => {
        await expectRejected(postEmail, withField(emailRequest(), "recipientEmail.emailAddress", address), "recipientEmail.emailAddress");
      },
    );
  });

  describe("Altinn accepts CR and LF in a subject: each becomes one space, never a header break", () => {
    it("reads CRLF, LF and CR alike as one space (the same request as the space)", async () => {
      const request = withField(emailRequest(), "recipientEmail.emailSettings.subject", "One-time\r\nBcc: victim@example.com");
      const as = (subject: string) => withField(request, "recipientEmail.emailSettings.subject", subject);
      await expectSameRequest(postEmail, request, [as("One-time\nBcc: victim@example.com"), as("One-time\rBcc: victim@example.com"), as("One-time Bcc: victim@example.com")], request.idempotencyId);
      expectMismatch(await postEmail(as("One-time  Bcc: victim@example.com")));
    });

    it("counts the 998 characters after the line breaks became spaces (999 sent, CRLF counted as one)", async () => {
      const subject = `${"s".repeat(996)}\r\nx`;
      expect(subject).toHaveLength(999);
      await expectAccepted(postEmail, withField(emailRequest(), "recipientEmail.emailSettings.subject", subject));
    });
  });
});
