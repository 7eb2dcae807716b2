// The request fingerprint an order keeps for its whole retention: keyed under a secret outside the order's
// storage (so the stored row confirms no guessed one-time code), while orders an earlier version stored
// with an unkeyed fingerprint keep replaying, are keyed on access, and are keyed by the operator's sweep.
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { contentKeyId, sealContent } from "../../src/orders/content-cipher";
import { compareFingerprint, keyedFingerprint, saltedDigest, schemeOf } from "../../src/orders/fingerprint";
import { parseCursor } from "../../src/orders/fingerprint-sweep";
import { toSmsOrder, type SmsOrder } from "../../src/orders/order";
import { orderStubForShipment, shipmentIdFor } from "../../src/orders/order-key";
import { database, shardNames } from "../../src/store/shards";
import { expectReplay, postSms, smsRequest, uniqueKey } from "../support/api";
import { storedOrder, syncToD1 } from "../support/order";
import { PREVIOUS_ORDER_SCHEMA } from "../support/previous-version";
import { shipmentIdOf } from "../support/shipments";

type SmsRequest = ReturnType<typeof smsRequest>;

/** The fingerprint as versions before v1 computed and stored it (frozen here on purpose). */
async function previousFingerprint(order: SmsOrder, salt: string): Promise<string> {
  const canonical = JSON.stringify(["sms", order.idempotencyId, order.sendersReference ?? null, order.phoneNumber, order.timeToLiveInSeconds, order.sender, order.body]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${salt}\u0000${canonical}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const smsOrderOf = (request: SmsRequest) => toSmsOrder(request, { smsSender: env.DEFAULT_SMS_SENDER, emailSender: env.DEFAULT_EMAIL_SENDER });

interface PreviousOrder {
  org: string;
  request: SmsRequest;
  shipmentId: string;
  response: unknown;
  /** The unkeyed fingerprint the previous version stored. */
  unkeyed: string;
}

/**
 * Registers `request` exactly as the previous version did (its schema, its INSERTs, its unkeyed salted
 * SHA-256 fingerprint), where the key leads (the shipment id of (org, idempotencyId)), and lets D1 learn of it.
 */
async function orderStoredByPreviousVersion(request: SmsRequest, org = "ttd"): Promise<PreviousOrder> {
  const order = smsOrderOf(request);
  const shipmentId = await shipmentIdFor(org, request.idempotencyId);
  const salt = crypto.randomUUID();
  const unkeyed = await previousFingerprint(order, salt);
  const response = { notificationOrderId: crypto.randomUUID(), notification: { shipmentId, sendersReference: request.sendersReference } };
  const sealed = await sealContent(env.CONTENT_KEY, shipmentId, order.body);
  const now = Date.now();
  await runInDurableObject(orderStubForShipment(env, shipmentId), (_instance, state) => {
    const sql = state.storage.sql;
    sql.exec(PREVIOUS_ORDER_SCHEMA);
    sql.exec(
      `INSERT INTO shipment (id, org, shipment_id, order_id, idempotency_id, senders_reference, channel, destination, sender, content_type,
         fingerprint, salt, response, created_at, deadline, status, last_update, handover, dispatch_at, enqueued)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, 1)`,
      org, shipmentId, response.notificationOrderId, order.idempotencyId, order.sendersReference ?? null, "sms", order.phoneNumber, order.sender, null,
      unkeyed, salt, JSON.stringify(response), now, now + order.timeToLiveInSeconds * 1000, "SMS_New", now, now,
    );
    sql.exec("INSERT INTO content (id, body, subject) VALUES (1, ?, NULL)", sealed);
    sql.exec("INSERT INTO events (status, applied, source, detail, at) VALUES ('SMS_New', 1, 'registration', NULL, ?)", now);
    sql.exec("UPDATE shipment SET change_seq = change_seq + 1 WHERE id = 1");
  });
  await syncToD1(shipmentId);
  return { org, request, shipmentId, response, unkeyed };
}

const storedFingerprint = async (shipmentId: string) => (await storedOrder(shipmentId)).fingerprint as string;

/** The same key with another code: a different request. */
const differentRequest = (request: SmsRequest): SmsRequest => ({ ...request, recipientSms: { ...request.recipientSms, smsSettings: { ...request.recipientSms.smsSettings, body: "Your code is 000000" } } });

/** Replays `previous` through the API (200 and the first answer) and checks that a different request is not taken for it. */
async function expectReplaysAndTellsApart(previous: PreviousOrder) {
  const replay = await postSms(previous.request, { org: previous.org });
  expectReplay(replay);
  expect(await replay.json()).toEqual(previous.response);
  const stub = orderStubForShipment(env, previous.shipmentId);
  expect(await stub.register(previous.org, smsOrderOf(differentRequest(previous.request)))).toEqual({ kind: "conflict", response: previous.response });
}

const OPERATOR_TOKEN = "operator-token-of-the-tests-0123456789abcdef";

/**
 * One page of the sweep through the Worker, as the operator's script calls it: with `token` as the bearer
 * (null: none), and OPERATOR_TOKEN configured as `configured` (null: not configured).
 */
async function sweepCall(query: string, options: { token?: string | null; configured?: string | null } = {}): Promise<Response> {
  const token = options.token === undefined ? OPERATOR_TOKEN : options.token;
  const configured = options.configured === undefined ? OPERATOR_TOKEN : (options.configured ?? undefined);
  const request = new Request(`http://localhost/operator/fingerprint-sweep${query}`, { method: "POST", headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return (worker.fetch as ExportedHandlerFetchHandler<Env>)(request as Request<unknown, IncomingRequestCfProperties>, { ...env, OPERATOR_TOKEN: configured }, createExecutionContext());
}

interface Totals {
  scanned: number;
  wrapped: number;
  alreadyKeyed: number;
  missing: number;
  failed: number;
}

/** Runs the sweep from `cursor` to its end (or for `pages` pages), summing the pages. */
async function sweep(limit: number, { cursor = "", pages = Infinity } = {}): Promise<Totals & { next: string | null; pages: number }> {
  const totals = { scanned: 0, wrapped: 0, alreadyKeyed: 0, missing: 0, failed: 0, next: cursor as string | null, pages: 0 };
  while (totals.next !== null && totals.pages < pages) {
    const response = await sweepCall(`?limit=${limit}${totals.next ? `&cursor=${encodeURIComponent(totals.next)}` : ""}`);
    expect(response.status, await response.clone().text()).toBe(200);
    const page = (await response.json()) as Totals & { next: string | null };
    for (const key of ["scanned", "wrapped", "alreadyKeyed", "missing", "failed"] as const) totals[key] += page[key];
    totals.next = page.next;
    totals.pages++;
    if (totals.next === null) break;
  }
  return totals;
}

async function shipmentsD1Knows(): Promise<number> {
  let n = 0;
  for (const shard of shardNames(env)) n += (await database(env, shard).prepare("SELECT COUNT(*) AS n FROM shipments").first<{ n: number }>())!.n;
  return n;
}

describe("the stored fingerprint", () => {
  it("confirms no guessed code without the key: a brute force of the stored row over every 4-digit code finds nothing", async () => {
    const code = String(1000 + Math.floor(Math.random() * 9000));
    const request = smsRequest({ body: `Your code is ${code}` });
    const shipmentId = await shipmentIdOf(await postSms(request));
    await syncToD1(shipmentId); // so the sweep's test below finds D1 settled
    const row = await storedOrder(shipmentId);
    const stored = row.fingerprint as string;
    const salt = row.salt as string;
    expect(stored).not.toContain(code);

    const candidates = Array.from({ length: 10_000 }, (_, n) => String(n).padStart(4, "0"));
    const guessed = (candidate: string) => smsOrderOf({ ...request, recipientSms: { ...request.recipientSms, smsSettings: { ...request.recipientSms.smsSettings, body: `Your code is ${candidate}` } } });
    const digests = await Promise.all(candidates.map((candidate) => previousFingerprint(guessed(candidate), salt)));
    // Without the key: the salted SHA-256 of every candidate, with the salt stored beside it, matches nothing.
    expect(digests.filter((digest) => digest === stored)).toEqual([]);
    // With the key the same search finds the code, and only it: the search itself can tell.
    const keyed = await Promise.all(digests.map((digest) => keyedFingerprint(env.CONTENT_KEY, digest)));
    expect(candidates.filter((_, n) => keyed[n] === stored)).toEqual([code]);
  });

  it("of a new order is the keyed (v2, with its key id) form of the request's salted digest, and an identical request replays", async () => {
    const request = smsRequest();
    const first = await postSms(request);
    const shipmentId = await shipmentIdOf(first.clone());
    await syncToD1(shipmentId);
    const row = await storedOrder(shipmentId);
    const digest = await saltedDigest(smsOrderOf(request), row.salt as string);
    expect(digest).toBe(await previousFingerprint(smsOrderOf(request), row.salt as string)); // the digest earlier versions stored, unchanged
    expect(row.fingerprint).toBe(await keyedFingerprint(env.CONTENT_KEY, digest));
    expect(schemeOf(row.fingerprint as string)).toBe("keyed");
    const replay = await postSms(request);
    expectReplay(replay);
    const firstAnswer = await first.json();
    expect(await replay.json()).toEqual(firstAnswer);
    expect(await orderStubForShipment(env, shipmentId).register("ttd", smsOrderOf(differentRequest(request)))).toEqual({ kind: "conflict", response: firstAnswer });
  });

  it("stored unkeyed by the previous version still replays, and is keyed in place on that access (the HMAC of the old digest)", async () => {
    const previous = await orderStoredByPreviousVersion(smsRequest());
    expect(await storedFingerprint(previous.shipmentId)).toBe(previous.unkeyed);
    await expectReplaysAndTellsApart(previous);
    expect(await storedFingerprint(previous.shipmentId)).toBe(await keyedFingerprint(env.CONTENT_KEY, previous.unkeyed));
    await expectReplaysAndTellsApart(previous); // and again, now keyed
  });

  it("is compared by its scheme; one this version does not know is never the same request, nor replaced", async () => {
    const keys = { current: env.CONTENT_KEY, previous: [] };
    const order = smsOrderOf(smsRequest());
    const salt = crypto.randomUUID();
    const unkeyed = await previousFingerprint(order, salt);
    const keyed = await keyedFingerprint(env.CONTENT_KEY, unkeyed);
    expect(keyed).toMatch(new RegExp(`^v2:${await contentKeyId(env.CONTENT_KEY)}:[0-9a-f]{64}$`));
    const other = smsOrderOf(smsRequest());
    expect(await compareFingerprint(keys, { fingerprint: unkeyed, salt }, order)).toEqual({ same: true, replacement: keyed });
    expect(await compareFingerprint(keys, { fingerprint: unkeyed, salt }, other)).toEqual({ same: false, replacement: keyed });
    expect(await compareFingerprint(keys, { fingerprint: keyed, salt }, order)).toEqual({ same: true, replacement: null });
    expect(await compareFingerprint(keys, { fingerprint: keyed, salt }, other)).toEqual({ same: false, replacement: null });
    expect(await compareFingerprint(keys, { fingerprint: `v3:${unkeyed}`, salt }, order)).toEqual({ same: false, replacement: null });
    // Another CONTENT_KEY keys differently: the key, not the scheme, is what the stored value depends on.
    const otherKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    expect(await keyedFingerprint(otherKey, unkeyed)).not.toBe(keyed);
    await expect(keyedFingerprint(undefined, unkeyed)).rejects.toThrow(/CONTENT_KEY/);
  });

  it("across a rotation: a value under a previous key (v2 by its key id, v1 by trying each key) matches and is re-keyed; a dropped key's never matches", async () => {
    const newKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const [a, b, unrelated] = [newKey(), newKey(), newKey()];
    const order = smsOrderOf(smsRequest());
    const other = smsOrderOf(smsRequest());
    const salt = crypto.randomUUID();
    const digest = await saltedDigest(order, salt);
    const underA = await keyedFingerprint(a, digest);
    const v1UnderA = `v1:${underA.split(":")[2]}`;
    const underB = await keyedFingerprint(b, digest);
    const rotated = { current: b, previous: [unrelated, a] };
    const cases: [string, string, { current: string; previous: string[] }, typeof order, unknown][] = [
      ["v2 under the previous key", underA, rotated, order, { same: true, replacement: underB }],
      ["v2 under the previous key, another request", underA, rotated, other, { same: false, replacement: null }],
      ["v2 under the current key", underB, rotated, order, { same: true, replacement: null }],
      ["v2 under a dropped key", underA, { current: b, previous: [unrelated] }, order, { same: false, replacement: null, unknownKeyId: await contentKeyId(a) }],
      ["v1 under the current key", v1UnderA, { current: a, previous: [] }, order, { same: true, replacement: underA }],
      ["v1 under a previous key", v1UnderA, rotated, order, { same: true, replacement: underB }],
      ["v1 under a previous key, another request", v1UnderA, rotated, other, { same: false, replacement: null }],
      ["v1 under a dropped key", v1UnderA, { current: b, previous: [unrelated] }, order, { same: false, replacement: null }],
    ];
    for (const [name, fingerprint, keys, request, expected] of cases) {
      expect(await compareFingerprint(keys, { fingerprint, salt }, request), name).toEqual(expected);
    }
  });
});

describe("the fingerprint sweep (POST /operator/fingerprint-sweep)", () => {
  it("exists only with OPERATOR_TOKEN configured, and only for its bearer", async () => {
    expect((await sweepCall("", { configured: null })).status).toBe(404);
    expect((await sweepCall("", { configured: null, token: null })).status).toBe(404); // not even asked for a token
    expect((await sweepCall("", { configured: "too-short" })).status).toBe(404);
    const missing = await sweepCall("", { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get("WWW-Authenticate")).toBe("Bearer");
    expect((await sweepCall("", { token: `${OPERATOR_TOKEN}x` })).status).toBe(401);
    const organisationToken = await sweepCall("", { token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln" });
    expect(organisationToken.status).toBe(401);
    expect((await sweepCall("?cursor=NOPE:abc")).status).toBe(400);
    expect((await sweepCall("?limit=0")).status).toBe(400);
    expect((await sweepCall("?limit=501")).status).toBe(400);
    expect(parseCursor(undefined, ["DB", "DB_1"])).toEqual({ shard: "DB", after: "" });
    expect(parseCursor("DB_1:0a1b-2c", ["DB", "DB_1"])).toEqual({ shard: "DB_1", after: "0a1b-2c" });
    expect(parseCursor("DB_1:'; DROP TABLE shipments", ["DB", "DB_1"])).toBeNull();
  });

  it("keys every unkeyed order D1 knows, on every shard, resumably and once; each keeps replaying and tells a different request apart", async () => {
    const previous = [
      await orderStoredByPreviousVersion(smsRequest()),
      await orderStoredByPreviousVersion(smsRequest()),
      await orderStoredByPreviousVersion(smsRequest()),
      await orderStoredByPreviousVersion(smsRequest(), "org-on-shard-1"), // on the second shard
    ];
    // A new order (keyed already), and a shipment D1 knows whose order object holds nothing.
    await syncToD1(await shipmentIdOf(await postSms(smsRequest())));
    const gone = await shipmentIdFor("ttd", uniqueKey("gone"));
    await env.DB.prepare(
      `INSERT INTO shipments (shipment_id, order_id, org, idempotency_id, order_ref, channel, status, created_at, deadline, last_update)
       VALUES (?1, ?2, 'ttd', ?1, '0', 'sms', 'Order_Completed', '2026-01-01T00:00:00Z', '2026-01-01T00:02:00Z', '2026-01-01T00:00:05Z')`,
    ).bind(gone, crypto.randomUUID()).run();
    const known = await shipmentsD1Knows();
    // Orders of this file's earlier tests are in D1 too: each is keyed already (new, or replayed above).

    // Two pages, then the sweep "stops"; it goes on from the cursor it was given, and does each order once.
    const started = await sweep(2, { pages: 2 });
    expect(started.next).not.toBeNull();
    expect(started.scanned).toBe(4);
    const rest = await sweep(2, { cursor: started.next! });
    expect(rest.next).toBeNull();
    const total = { scanned: started.scanned + rest.scanned, wrapped: started.wrapped + rest.wrapped, alreadyKeyed: started.alreadyKeyed + rest.alreadyKeyed, missing: started.missing + rest.missing, failed: started.failed + rest.failed };
    expect(total).toEqual({ scanned: known, wrapped: previous.length, alreadyKeyed: known - previous.length - 1, missing: 1, failed: 0 });

    for (const order of previous) {
      expect(await storedFingerprint(order.shipmentId)).toBe(await keyedFingerprint(env.CONTENT_KEY, order.unkeyed));
      await expectReplaysAndTellsApart(order);
    }

    // Idempotent: a second sweep (larger pages) changes nothing and counts the same orders.
    expect(await sweep(500)).toMatchObject({ scanned: known, wrapped: 0, alreadyKeyed: known - 1, missing: 1, failed: 0, next: null });
  });
});
