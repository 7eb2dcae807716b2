// Failover on slow delivery, through the API (SLOW_REPORT_SECONDS=1 in this project's bindings, see
// vitest.config.ts). The simulator's slow mode makes `primary` accept every SMS and report none in time.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expireHealthViews, forgetHealthViews } from "../../src/providers/failover/health-client";
import { healthStub } from "../../src/providers/failover/provider-health";
import { SLOW } from "../../src/providers/failover/slow-delivery";
import type { HandoverStats } from "../../src/simulator/provider-simulator";
import { postSms, smsRequest } from "../support/api";
import { eventually, shipmentIdOf, waitForRecipientStatus } from "../support/shipments";
import { orderState } from "../support/order";
import { uniqueMobile } from "../support/fake-fetch";

const simulator = (method: string, path: string, body?: unknown) =>
  exports.default.fetch(
    new Request(`http://localhost/simulator/${path}`, { method, ...(body !== undefined ? { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {}) }),
  );
const handovers = async () => (await (await simulator("GET", "handovers")).json()) as HandoverStats;

/** Sends one SMS and answers which provider accepted it (the shipment's history names it). */
async function sendOne(): Promise<{ shipmentId: string; provider: string }> {
  const shipmentId = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
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

afterEach(async () => {
  await simulator("POST", "outage", { provider: "primary", seconds: 0 });
  vi.restoreAllMocks();
});

describe("a primary SMS provider that accepts but does not deliver", () => {
  it("is degraded: hand-overs move to the secondary, a probe still reaches the primary, and it recovers; nothing is sent twice", async () => {
    const logged = vi.spyOn(console, "log");
    const outage = await simulator("POST", "outage", { provider: "primary", seconds: 600, mode: "slow", reportDelaySeconds: 600 });
    expect(await outage.json()).toMatchObject({ provider: "primary", mode: "slow", reportDelaySeconds: 600 });

    // The primary is healthy, so it takes them; none is reported within SLOW_REPORT_SECONDS.
    const first = await Promise.all(Array.from({ length: 12 }, () => sendOne()));
    expect(first.map((s) => s.provider)).toEqual(Array(12).fill("primary"));

    // The next hand-over carries the acceptances to ProviderHealth. Moved a few seconds into the past
    // (instead of waiting for SLOW_REPORT_SECONDS), it finds them all overdue: the primary is degraded.
    const sent = [...first];
    await vi.waitFor(
      async () => {
        expireHealthViews();
        sent.push(await sendOne());
        await ageAcceptances(3_000);
        expect((await healthStub(env, "sms").healthReport()).providers[0]).toEqual({ name: "primary", state: "degraded" });
      },
      { timeout: 15_000, interval: 0 },
    );
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
    expect(event).toMatchObject({ provider: "primary", kind: "degraded" });
    expect(event!.aged).toBeGreaterThanOrEqual(10);
    expect(event!.overdue / event!.aged).toBeGreaterThanOrEqual(0.3);
    const line = logged.mock.calls.map(([text]) => String(text)).find((text) => text.includes('"provider_health.degraded"'));
    expect(JSON.parse(line!)).toMatchObject({ provider: "primary", aged: event!.aged, overdue: event!.overdue, slowReportSeconds: 1, windowSeconds: 600 });

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

    forgetHealthViews(); // this isolate's cached verdict is up to a second old
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await sendOne());
    expect(after.map((s) => s.provider)).toEqual(["primary", "primary", "primary"]);
    await waitForRecipientStatus(after[2]!.shipmentId, "SMS_Delivered");

    // Nothing accepted was handed over again, to either provider.
    const stats = await handovers();
    expect(stats.duplicateHandovers).toBe(0);
    expect(stats.handovers).toBe(sent.length + after.length);
    // No recipient in the logs of the rule.
    const healthLines = logged.mock.calls.map(([text]) => String(text)).filter((text) => text.includes("provider_health."));
    expect(healthLines.join("\n")).not.toMatch(/\+47\d{8}/);
  }, 60_000);
});
