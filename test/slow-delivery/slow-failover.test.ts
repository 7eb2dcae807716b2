// Failover on slow delivery, through the API (SLOW_REPORT_SECONDS=1 in this project's bindings, see
// vitest.config.ts; SLOW_MIN_ORGANISATIONS is wrangler.toml's 3). The simulator's slow mode makes
// `primary` accept every SMS and report none in time.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expireHealthViews, forgetHealthViews, handOverOrder } from "../../src/providers/failover/health-client";
import { createHealthTables, healthStub, type DeliveryNote } from "../../src/providers/failover/provider-health";
import { SLOW } from "../../src/providers/failover/slow-delivery";
import type { HandoverStats } from "../../src/simulator/provider-simulator";
import type { Performance } from "../../src/stats/performance";
import { postSms, smsRequest } from "../support/api";
import { eventually, shipmentIdOf, waitForRecipientStatus } from "../support/shipments";
import { orderState } from "../support/order";
import { uniqueMobile } from "../support/fake-fetch";

const simulator = (method: string, path: string, body?: unknown) =>
  exports.default.fetch(
    new Request(`http://localhost/simulator/${path}`, { method, ...(body !== undefined ? { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {}) }),
  );
const handovers = async () => (await (await simulator("GET", "handovers")).json()) as HandoverStats;

/** Sends one SMS as `org` and answers which provider accepted it (the shipment's history names it). */
async function sendOne(org = "ttd", phoneNumber = uniqueMobile()): Promise<{ shipmentId: string; provider: string }> {
  const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber }), { org }));
  const acceptedIn = (state: Awaited<ReturnType<typeof orderState>>) => state.events.filter((e) => e.status === "SMS_Accepted" && e.applied);
  const state = await eventually(() => orderState(shipmentId), (s) => acceptedIn(s).length > 0, { timeoutMs: 10_000, what: `shipment ${shipmentId} accepted` });
  const accepted = acceptedIn(state);
  expect(accepted).toHaveLength(1);
  return { shipmentId, provider: accepted[0]!.source.replace(/^provider /, "") };
}

/** Moves every acceptance ProviderHealth holds `ms` into the past, as if that much time had gone by. */
async function ageAcceptances(ms: number) {
  await runInDurableObject(healthStub(env, "sms"), (_instance, state) => {
    state.storage.sql.exec("UPDATE deliveries SET accepted_at = accepted_at - ? WHERE accepted_at IS NOT NULL", ms);
  });
}

/** The acceptances ProviderHealth holds (provider, organisation, sandbox). */
const storedAcceptances = () =>
  runInDurableObject(healthStub(env, "sms"), (_instance, state) =>
    state.storage.sql
      .exec<{ provider: string; organisation: string | null; sandbox: number }>("SELECT * FROM deliveries WHERE accepted_at IS NOT NULL")
      .toArray(),
  );

/** Sends this isolate's noted acceptances to ProviderHealth (a verdict refresh carries them) until it holds `count`. */
async function flushAcceptances(count: number) {
  return eventually(
    async () => {
      expireHealthViews();
      await handOverOrder(env, "sms", ["primary", "secondary"]);
      return storedAcceptances();
    },
    (rows) => rows.length >= count,
    { timeoutMs: 10_000, intervalMs: 50, what: `${count} acceptances in ProviderHealth` },
  );
}

/** Sends `perOrganisation` SMS for each organisation, all at once; every one must go to `provider`. */
async function sendFrom(organisations: string[], perOrganisation: number, provider: string, phoneNumber?: () => string) {
  const sent = await Promise.all(organisations.flatMap((org) => Array.from({ length: perOrganisation }, () => sendOne(org, phoneNumber?.()))));
  expect(sent.map((s) => s.provider)).toEqual(Array(sent.length).fill(provider));
  return sent;
}

// Each test starts from a ProviderHealth that knows nothing (the file's tests share its storage).
beforeEach(async () => {
  await runInDurableObject(healthStub(env, "sms"), (_instance, state) => {
    for (const table of ["breakers", "deliveries", "degraded", "slow_events"]) state.storage.sql.exec(`DELETE FROM ${table}`);
  });
  forgetHealthViews();
});

afterEach(async () => {
  await simulator("POST", "outage", { provider: "primary", seconds: 0 });
  vi.restoreAllMocks();
});

describe("one organisation cannot move the rule for everyone", () => {
  it("twelve SMS of one organisation never reported leave the primary healthy; another organisation's next SMS goes to it", async () => {
    await simulator("POST", "outage", { provider: "primary", seconds: 600, mode: "slow", reportDelaySeconds: 600 });
    await sendFrom(["slow-lone-org"], 12, "primary");
    const stored = await flushAcceptances(12);
    // All twelve aged and overdue (SLOW_REPORT_SECONDS=1; moved 3 s into the past): 12 aged, 100 %
    // overdue, but one organisation counts, and a degrade needs SLOW_MIN_ORGANISATIONS (3).
    await ageAcceptances(3_000);
    const report = await healthStub(env, "sms").healthReport();
    expect(report.providers).toEqual([
      { name: "primary", state: "healthy" },
      { name: "secondary", state: "healthy" },
    ]);
    expect(report.events).toEqual([]);

    forgetHealthViews();
    vi.spyOn(Math, "random").mockReturnValue(0.99); // no probe draw: the verdict alone decides
    expect((await sendOne("slow-other-org")).provider).toBe("primary");
    // The notes carried the organisation.
    expect(stored.map((r) => [r.organisation, r.sandbox])).toEqual(Array(12).fill(["slow-lone-org", 0]));
  }, 60_000);

  it("never counts the sandbox recipients: three organisations' SMS to the never-reported one leave the primary healthy", async () => {
    // +4740000003: the simulator accepts it and never reports it, with no outage at all.
    await sendFrom(["sandbox-a", "sandbox-b", "sandbox-c"], 4, "primary", () => "+4740000003");
    const stored = await flushAcceptances(12);
    await ageAcceptances(3_000);
    const report = await healthStub(env, "sms").healthReport();
    expect(report.providers[0]).toEqual({ name: "primary", state: "healthy" });
    expect(report.events).toEqual([]);
    // The notes said so (and named each organisation).
    expect(stored.every((r) => r.sandbox === 1)).toBe(true);
    expect(new Set(stored.map((r) => r.organisation))).toEqual(new Set(["sandbox-a", "sandbox-b", "sandbox-c"]));
  }, 60_000);
});

describe("hand-over notes of an earlier version (a rolling deploy)", () => {
  const at = () => Date.now() - 3_000; // aged (SLOW_REPORT_SECONDS=1), never reported: overdue
  const oldNote = (): DeliveryNote => ({ kind: "accepted", provider: "primary", shipmentId: crypto.randomUUID(), at: at() });

  it("counts notes without an organisation as one unknown organisation", async () => {
    const health = healthStub(env, "sms");
    await health.exchange([], Array.from({ length: 12 }, oldNote));
    expect((await health.healthReport()).providers[0]).toEqual({ name: "primary", state: "healthy" });

    // Two known organisations with enough overdue of their own, beside the unknown one: three count.
    const known = (organisation: string): DeliveryNote => ({ ...oldNote(), organisation, sandbox: false });
    await health.exchange([], [known("rolling-a"), known("rolling-a"), known("rolling-b"), known("rolling-b")]);
    const report = await health.healthReport();
    expect(report.providers[0]).toEqual({ name: "primary", state: "degraded" });
    expect(report.events).toMatchObject([{ provider: "primary", kind: "degraded", aged: 16, overdue: 16, organisations: 3 }]);
  });

  it("brings an earlier version's tables up to date, keeping their rows", async () => {
    const stub = env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName("earlier-version-tables"));
    const report = await runInDurableObject(stub, async (instance, state) => {
      const sql = state.storage.sql;
      // The tables as the previous version made them, with a row each.
      sql.exec("DROP TABLE deliveries; DROP TABLE slow_events;");
      sql.exec(`
        CREATE TABLE deliveries (provider TEXT NOT NULL, shipment_id TEXT NOT NULL, accepted_at INTEGER, reported_at INTEGER, PRIMARY KEY (provider, shipment_id));
        CREATE TABLE slow_events (id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL, aged INTEGER NOT NULL, overdue INTEGER NOT NULL);
      `);
      sql.exec("INSERT INTO deliveries (provider, shipment_id, accepted_at) VALUES ('primary', 'old-1', ?)", at());
      sql.exec("INSERT INTO slow_events (provider, kind, at, aged, overdue) VALUES ('primary', 'degraded', ?, 12, 12)", Date.now() - 60_000);
      createHealthTables(sql);
      createHealthTables(sql); // and again, as each start of the object does
      expect(sql.exec("SELECT organisation, sandbox FROM deliveries WHERE shipment_id = 'old-1'").toArray()).toEqual([{ organisation: null, sandbox: 0 }]);
      // An acceptance noted again with its organisation fills it in (an earlier row is never sandbox-less by mistake).
      await instance.exchange([], [{ kind: "accepted", provider: "primary", shipmentId: "old-1", at: at(), organisation: "rolling-c", sandbox: false }]);
      expect(sql.exec("SELECT organisation, sandbox FROM deliveries WHERE shipment_id = 'old-1'").toArray()).toEqual([{ organisation: "rolling-c", sandbox: 0 }]);
      return instance.healthReport();
    });
    expect(report.events).toMatchObject([{ provider: "primary", kind: "degraded", aged: 12, overdue: 12, organisations: null }]);
  });
});

describe("a primary SMS provider that accepts but does not deliver", () => {
  it("is degraded when three organisations count: hand-overs move to the secondary, a probe still reaches the primary, and it recovers; nothing is sent twice", async () => {
    const logged = vi.spyOn(console, "log");
    const before = await handovers(); // the simulator counts the file's earlier tests' hand-overs too
    const outage = await simulator("POST", "outage", { provider: "primary", seconds: 600, mode: "slow", reportDelaySeconds: 600 });
    expect(await outage.json()).toMatchObject({ provider: "primary", mode: "slow", reportDelaySeconds: 600 });

    // The primary is healthy, so it takes them: four SMS from each of three organisations; none is
    // reported within SLOW_REPORT_SECONDS.
    const first = await sendFrom(["slow-org-a", "slow-org-b", "slow-org-c"], 4, "primary");

    // A verdict refresh carries the acceptances to ProviderHealth. Moved a few seconds into the past
    // (instead of waiting for SLOW_REPORT_SECONDS), it finds them all overdue, and each organisation
    // counts (4 of 4 overdue): the primary is degraded.
    const sent = [...first];
    await flushAcceptances(12);
    await ageAcceptances(3_000);
    expect((await healthStub(env, "sms").healthReport()).providers[0]).toEqual({ name: "primary", state: "degraded" });
    // New hand-overs go to the secondary (but for a probe now and then: retried until one is not).
    expireHealthViews();
    await vi.waitFor(
      async () => {
        const next = await sendOne();
        sent.push(next);
        expect(next.provider).toBe("secondary");
      },
      { timeout: 15_000, interval: 0 },
    );
    const degraded = await healthStub(env, "sms").healthReport();
    expect(degraded.providers).toEqual([
      { name: "primary", state: "degraded" },
      { name: "secondary", state: "healthy" },
    ]);
    const [event] = degraded.events;
    expect(degraded.events).toHaveLength(1);
    expect(event).toMatchObject({ provider: "primary", kind: "degraded", aged: 12, overdue: 12, organisations: 3 });
    const line = logged.mock.calls.map(([text]) => String(text)).find((text) => text.includes('"provider_health.degraded"'));
    expect(JSON.parse(line!)).toMatchObject({ provider: "primary", aged: 12, overdue: 12, organisations: 3, minOrganisations: 3, slowReportSeconds: 1, windowSeconds: 600 });

    // A share of hand-overs (SLOW.probeRate) still goes to the primary first, as a probe: a draw under
    // that rate makes this one a probe without waiting for chance.
    const draws = vi.spyOn(Math, "random").mockReturnValue(SLOW.probeRate / 2);
    const probe = await sendOne();
    draws.mockRestore();
    sent.push(probe);
    expect(probe.provider).toBe("primary");

    // The outage ends. Ten minutes on (the stored acceptance times moved back by the window), fewer
    // than 10 aged hand-overs remain: the primary is healthy again and takes the hand-overs.
    expect((await simulator("POST", "outage", { provider: "primary", seconds: 0 })).status).toBe(200);
    await runInDurableObject(healthStub(env, "sms"), (_instance, state) => {
      state.storage.sql.exec("UPDATE deliveries SET accepted_at = accepted_at - 600000, reported_at = reported_at - 600000");
    });
    const recovered = await healthStub(env, "sms").healthReport();
    expect(recovered.providers).toEqual([
      { name: "primary", state: "healthy" },
      { name: "secondary", state: "healthy" },
    ]);
    expect(recovered.events.map((e) => [e.provider, e.kind])).toEqual([
      ["primary", "degraded"],
      ["primary", "recovered"],
    ]);
    expect(recovered.events[1]!.aged).toBeLessThan(10);
    expect(logged.mock.calls.some(([text]) => String(text).includes('"provider_health.recovered"'))).toBe(true);

    // The performance page shows both, with their figures (the share overdue, the organisations that
    // counted) and no organisation named.
    const performance = await exports.default.fetch(new Request("http://localhost/performance.json"));
    const primaryEvents = ((await performance.json()) as Performance).smsProviders.find((p) => p.name === "primary")!.events;
    expect(primaryEvents.flatMap((e) => e.changes)).toMatchObject([
      { kind: "degraded", overduePercent: 100, organisations: 3 },
      { kind: "recovered", overduePercent: 0, organisations: 0 },
    ]);
    const page = await (await exports.default.fetch(new Request("http://localhost/performance"))).text();
    expect(page).toMatch(/1 degraded, 1 recovered \(degraded \d\d:\d\d UTC, 100 % overdue, 3 organisations; recovered \d\d:\d\d UTC, 0 % overdue, 0 organisations\)/);
    expect(page + JSON.stringify(primaryEvents)).not.toMatch(/slow-org-/);

    forgetHealthViews(); // this isolate's cached verdict is up to a second old
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await sendOne());
    expect(after.map((s) => s.provider)).toEqual(["primary", "primary", "primary"]);
    await waitForRecipientStatus(after[2]!.shipmentId, "SMS_Delivered");

    // Nothing accepted was handed over again, to either provider.
    const stats = await handovers();
    expect(stats.duplicateHandovers).toBe(0);
    expect(stats.handovers - before.handovers).toBe(sent.length + after.length);
    // No recipient in the logs of the rule.
    const healthLines = logged.mock.calls.map(([text]) => String(text)).filter((text) => text.includes("provider_health."));
    expect(healthLines.join("\n")).not.toMatch(/\+47\d{8}/);
  }, 60_000);
});
