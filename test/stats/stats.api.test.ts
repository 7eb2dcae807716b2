// GET /future/stats: counted as shipments change, by the write-behind, exactly once; only the caller's.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { limitsStub } from "../../src/limits/limits-object";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ShipmentState } from "../../src/store/changes";
import { shardWriter } from "../../src/store/shards";
import { call, emailRequest, postEmail, postSms, problemOf, smsRequest } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { syncToD1 } from "../support/order";
import { loseNextQueueMessage } from "../support/queue";
import type { StatsDay } from "../support/stats";

const final = (s: { status: string }) => s.status === "Order_Completed";
const today = () => new Date().toISOString().slice(0, 10);
afterEach(() => vi.restoreAllMocks());

type Day = StatsDay;
interface Stats {
  from: string;
  to: string;
  days: Day[];
  totals: Omit<Day, "date" | "channel">;
}

async function stats(org: string, query = ""): Promise<Stats> {
  const response = await call("GET", `/future/stats${query}`, undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as Stats;
}
const dayOf = (s: Stats, channel: string, date = today()) => s.days.find((d) => d.date === date && d.channel === channel)!;

describe("GET /future/stats", () => {
  it("counts registrations, hand-overs, deliveries and failures by status, per channel and provider", async () => {
    const org = "stats-count";
    const ids = [
      await shipmentIdOf(await postSms(smsRequest(), { org })),
      await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000001" }), { org })), // rejected at hand-over: invalid recipient
      await shipmentIdOf(await postSms(smsRequest({ phoneNumber: "+4740000002" }), { org })), // accepted, then undelivered
      await shipmentIdOf(await postEmail(emailRequest(), { org })),
    ];
    for (const id of ids) await waitForShipment(id, final, { org });
    for (const id of ids) await syncToD1(id);

    const s = await stats(org);
    const sms = dayOf(s, "sms");
    expect(sms).toMatchObject({
      registered: 3,
      handedOver: 2,
      handedOverWithin10s: 2,
      delivered: 1,
      failed: { SMS_Failed_InvalidRecipient: 1, SMS_Failed_Undelivered: 1 },
      pending: 0,
      failedForRecipientBeforeHandOver: 1,
      providers: { primary: { handedOver: 2, delivered: 1 } },
      refused: {},
    });
    expect(sms.handOverP50Ms).toBeGreaterThanOrEqual(0);
    expect(sms.finalP95Ms).toBeGreaterThanOrEqual(sms.handOverP50Ms!);
    expect(dayOf(s, "email")).toMatchObject({ registered: 1, handedOver: 1, delivered: 1, pending: 0, providers: { simulator: { handedOver: 1, delivered: 1 } } });
    expect(s.totals).toMatchObject({ registered: 4, handedOver: 3, delivered: 2, pending: 0 });
    // Default: the last 7 UTC days, each day and channel once, zeros included.
    expect(s.to).toBe(today());
    expect(s.days).toHaveLength(14);
    expect(s.days.filter((d) => d.date !== today()).every((d) => d.registered === 0 && d.handOverP50Ms === null)).toBe(true);
  });

  it("shows a shipment as pending until it is final, and only to its own organisation", async () => {
    const org = "stats-pending";
    loseNextQueueMessage(env.SMS_QUEUE); // the dispatch is lost: it stays new
    const id = await shipmentIdOf(await postSms(smsRequest(), { org }));
    vi.restoreAllMocks();
    await syncToD1(id);
    expect(dayOf(await stats(org), "sms")).toMatchObject({ registered: 1, handedOver: 0, pending: 1, handOverP50Ms: null });
    expect((await stats("stats-someone-else")).totals.registered).toBe(0);
  });

  it("counts each fact once when the writer gets the same changes again, and never a shipment it did not see registered", async () => {
    const org = "stats-replay";
    const createdAt = new Date(Date.now() - 5000).toISOString();
    const at = (ms: number) => new Date(Date.parse(createdAt) + ms).toISOString();
    const base = {
      kind: "state" as const,
      org,
      orderId: crypto.randomUUID(),
      idempotencyId: crypto.randomUUID(),
      orderRef: "ref",
      sendersReference: null,
      channel: "sms" as const,
      destination: "+4799999999",
      createdAt,
      deadline: at(120_000),
      providerRef: null,
    };
    const shipmentId = crypto.randomUUID();
    const registered: ShipmentState = {
      ...base,
      shipmentId,
      version: 2,
      orderStatus: "Order_Processing",
      recipientStatus: "SMS_Sending",
      lastUpdate: at(10),
      completed: false,
      events: [
        { seq: 1, status: "SMS_New", applied: true, source: "registration", detail: null, at: createdAt },
        { seq: 2, status: "SMS_Sending", applied: true, source: "dispatch", detail: "attempt 1 via secondary", at: at(10) },
      ],
    };
    const accepted: ShipmentState = {
      ...registered,
      version: 3,
      recipientStatus: "SMS_Accepted",
      lastUpdate: at(12_000),
      events: [...registered.events, { seq: 3, status: "SMS_Accepted", applied: true, source: "provider secondary", detail: "accepted as X", at: at(12_000) }],
    };
    const delivered: ShipmentState = {
      ...accepted,
      version: 4,
      orderStatus: "Order_Completed",
      recipientStatus: "SMS_Delivered",
      lastUpdate: at(15_000),
      completed: true,
      events: [{ seq: 4, status: "SMS_Delivered", applied: true, source: "simulator report", detail: null, at: at(15_000) }],
    };
    // Registered before statistics existed: its registration never reaches the writer again.
    const old: ShipmentState = { ...delivered, shipmentId: crypto.randomUUID(), orderId: crypto.randomUUID(), idempotencyId: crypto.randomUUID() };
    const writer = shardWriter(env, "DB");
    await writer.append("DB", [registered, registered, accepted]);
    await writer.flush();
    await writer.append("DB", [accepted, delivered, registered, delivered, old]);
    await writer.flush();
    await writer.append("DB", [delivered]);
    await writer.flush();
    expect(dayOf(await stats(org), "sms")).toMatchObject({
      registered: 1,
      handedOver: 1,
      handedOverWithin10s: 0, // 12 s after the 201
      delivered: 1,
      pending: 0,
      providers: { secondary: { handedOver: 1, delivered: 1 } },
    });
    // Latencies from buckets: within 10 % of the true 12 s and 15 s.
    const day = dayOf(await stats(org), "sms");
    expect(Math.abs(day.handOverP50Ms! - 12_000)).toBeLessThanOrEqual(1_200);
    expect(Math.abs(day.finalP95Ms! - 15_000)).toBeLessThanOrEqual(1_500);
  });

  it("answers 400 for a range over 92 days, a bad date or channel, and counts both ends", async () => {
    for (const query of ["?from=2026-01-01&to=2026-04-03", "?from=2026-02-30", "?to=2026-13-01", "?from=2026-03-02&to=2026-03-01", "?channel=fax", "?from=yesterday"]) {
      const response = await call("GET", `/future/stats${query}`);
      expect(response.status, query).toBe(400);
      expect((await problemOf(response)).errors).toBeDefined();
    }
    const s = await stats("stats-range", "?from=2026-01-01&to=2026-04-01&channel=email");
    expect(s.days).toHaveLength(91);
    expect(s.days.every((d) => d.channel === "email")).toBe(true);
    expect((await stats("stats-range", "?from=2025-12-31&to=2026-04-01")).days).toHaveLength(184);
  });

  it("refuses a range of thousands of years at once, by arithmetic, and a year outside 2000-2099", async () => {
    const started = performance.now();
    const response = await call("GET", "/future/stats?from=0000-01-01&to=9999-12-31");
    const elapsed = performance.now() - started;
    expect(response.status).toBe(400);
    expect(elapsed).toBeLessThan(500); // well under a second: no list of 3.6 million days (it took ~3 s)
    expect((await problemOf(response)).errors).toEqual({
      from: ["Must be a day from 2000-01-01 to 2099-12-31."],
      to: ["Must be a day from 2000-01-01 to 2099-12-31."],
    });
    for (const [query, field] of [["?from=1999-12-31&to=2000-01-01", "from"], ["?to=2100-01-01", "to"], ["?from=2000-01-01&to=2099-12-31", "from"]] as const) {
      const refused = await call("GET", `/future/stats${query}`);
      expect(refused.status, query).toBe(400);
      expect(Object.keys((await problemOf(refused)).errors ?? {}), query).toEqual([field]);
    }
    expect((await stats("stats-range", "?to=2000-01-03")).from).toBe("2000-01-01"); // the default stops at 2000
  });

  it("counts the requests the limits refused, by code, once however often the totals are sent", async () => {
    const org = "limits-daily"; // 2 SMS a day (vitest.config.ts)
    for (let i = 0; i < 2; i++) await shipmentIdOf(await postSms(smsRequest(), { org }));
    for (let i = 0; i < 3; i++) expect((await postSms(smsRequest(), { org })).status).toBe(429);
    const limits = limitsStub(env, org);
    expect(await runDurableObjectAlarm(limits)).toBe(true); // sends the totals to the shard writer
    await syncToD1();
    expect(dayOf(await stats(org), "sms").refused).toEqual({ "NOT-10004": 3 });
    // The writer takes the same totals again (a retry after a lost answer): nothing changes.
    await shardWriter(env, "DB").append("DB", [{ kind: "refusals", org, counts: [{ day: today(), channel: "sms", code: "NOT-10004", n: 3 }] }]);
    expect((await postSms(smsRequest(), { org })).status).toBe(429);
    await runDurableObjectAlarm(limits);
    await syncToD1();
    const s = await stats(org);
    expect(dayOf(s, "sms")).toMatchObject({ registered: 2, refused: { "NOT-10004": 4 } });
    expect(s.totals.refused).toEqual({ "NOT-10004": 4 });
  });

  it("keeps rollups 13 months: the writer's first transaction of a UTC day forgets older ones", async () => {
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const insert = env.DB_1.prepare("INSERT INTO stat_days (org, day, channel, metric, n) VALUES ('org-on-shard-1', ?, 'sms', 'registered', 1)");
    await env.DB_1.batch([insert.bind(day(400)), insert.bind(day(390))]);
    await shardWriter(env, "DB_1").append("DB_1", [{ kind: "refusals", org: "org-on-shard-1", counts: [{ day: today(), channel: "sms", code: "NOT-10002", n: 1 }] }]);
    expect(await shardWriter(env, "DB_1").flush()).toBe(0);
    const { results } = await env.DB_1.prepare("SELECT day FROM stat_days WHERE metric = 'registered' ORDER BY day").all<{ day: string }>();
    expect(results.map((r) => r.day)).toEqual([day(390)]);
  });

  it("is described in the OpenAPI document with its query, answer and problems", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, { get?: { operationId: string; parameters: { name: string }[]; responses: Record<string, { description: string }> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const op = doc.paths["/notifications/api/v1/future/stats"]!.get!;
    expect(op.operationId).toBe("getStatistics");
    expect(op.parameters.map((p) => p.name).sort()).toEqual(["channel", "from", "to"]);
    expect(Object.keys(op.responses).sort()).toEqual(["200", "400", "401", "403", "503"]);
    expect(op.responses["400"]!.description).toContain("92 days");
    expect(Object.keys(doc.components.schemas["StatisticsFigures"]!.properties!)).toEqual(
      expect.arrayContaining(["registered", "handedOver", "handedOverWithin10s", "delivered", "failed", "pending", "handOverP50Ms", "finalP95Ms", "providers", "refused", "verifications"]),
    );
    const figures = doc.components.schemas["StatisticsFigures"]!.properties! as Record<string, { description?: string; properties?: Record<string, { description?: string }>; additionalProperties?: { properties: Record<string, unknown> } }>;
    expect(Object.keys(figures["verifications"]!.properties!)).toEqual(["started", "approved", "expired", "maxAttempts"]);
    expect(figures["verifications"]!.description).toContain("started on");
    expect(Object.keys(figures["providers"]!.additionalProperties!.properties)).toEqual(["handedOver", "delivered", "approved"]);
  });

  it("needs the API's token", async () => {
    expect((await call("GET", "/future/stats", undefined, { token: null })).status).toBe(401);
  });
});
