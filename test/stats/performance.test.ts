// The public performance page and its JSON: the whole deployment, no organisation named, cached for a
// minute, the last figures (marked stale) while D1 is down, and off when PERFORMANCE_PAGE = "off".
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newApp } from "../../src/api/app";
import type { Performance } from "../../src/stats/performance";
import { postEmail, postSms, smsRequest, emailRequest } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { syncToD1 } from "../support/order";
import type { VerificationChange } from "../../src/store/changes";
import { shardWriter } from "../../src/store/shards";

const app = newApp();
const get = (path: string, bindings: Partial<Env> = {}) => app.fetch(new Request(`http://localhost${path}`), { ...env, ...bindings }, createExecutionContext());
const today = () => new Date().toISOString().slice(0, 10);
const final = (s: { status: string }) => s.status === "Order_Completed";
const ORGS = ["perf-org-alpha", "perf-org-beta"];

async function sendAndSettle(org: string, kind: "sms" | "email", phoneNumber?: string) {
  const id = await shipmentIdOf(await (kind === "sms" ? postSms(smsRequest(phoneNumber ? { phoneNumber } : {}), { org }) : postEmail(emailRequest(), { org })));
  await waitForShipment(id, final, { org });
  await syncToD1(id);
}

async function figures(): Promise<Performance> {
  const response = await get("/performance.json");
  expect(response.status).toBe(200);
  return (await response.json()) as Performance;
}
const todays = (p: Performance, channel: "sms" | "email") => p.days.find((d) => d.date === today() && d.channel === channel)!;

afterEach(() => vi.useRealTimers());

describe("GET /performance.json and /performance", () => {
  it("adds up every organisation's last 30 days, names none, and keeps the figures for a minute", async () => {
    await sendAndSettle(ORGS[0]!, "sms");
    await sendAndSettle(ORGS[1]!, "sms", "+4740000001"); // rejected for the recipient: out of the 10 s share's denominator
    await sendAndSettle(ORGS[1]!, "email");

    const p = await figures();
    expect(p.stale).toBe(false);
    expect(p.days).toHaveLength(60);
    expect(p.objective.handedOverWithin10sPercent).toBe(99.9);
    expect(todays(p, "sms")).toMatchObject({ registered: 2, handedOver: 1, delivered: 1, failed: 1, pending: 0, handedOverWithin10sPercent: 100, deliveredPercent: 50 });
    expect(todays(p, "email")).toMatchObject({ registered: 1, delivered: 1, handedOverWithin10sPercent: 100 });
    expect(p.totals.sms.providerSharePercent).toEqual({ primary: 100 });
    expect(p.smsProviders.map((s) => s.name)).toEqual(["primary", "secondary"]);
    expect(p.smsProviders.every((s) => s.state === "healthy")).toBe(true);
    for (const org of ORGS) expect(JSON.stringify(p)).not.toContain(org);

    // Within the minute the same figures, however many requests come.
    await sendAndSettle(ORGS[0]!, "sms");
    expect(await figures()).toEqual(p);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
    const later = await figures();
    expect(later.generatedAt > p.generatedAt).toBe(true);
    expect(todays(later, "sms").registered).toBe(3);
  });

  it("serves the last figures, marked stale, while D1 cannot be read", async () => {
    const before = await figures();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 300_000 });
    for (const db of [env.DB, env.DB_1]) await db.exec("ALTER TABLE stat_days RENAME TO stat_days_offline");
    try {
      const stale = await figures();
      expect(stale).toEqual({ ...before, stale: true });
      const page = await get("/performance");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("newer ones cannot be read just now");
    } finally {
      for (const db of [env.DB, env.DB_1]) await db.exec("ALTER TABLE stat_days_offline RENAME TO stat_days");
    }
    expect((await figures()).stale).toBe(false);
  });

  it("draws each chart with its figures in a table beside it, under a strict policy and without script", async () => {
    const response = await get("/performance");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    for (const id of ["messages", "within-10s", "delivery", "sms-conversion", "providers", "provider-states", "provider-outages", "dead-letters"]) expect(html).toContain(`<section id="${id}">`);
    expect(html.match(/<svg [^>]*aria-hidden="true"/g)?.length).toBe(5);
    expect(html.match(/<table>/g)?.length).toBe(8);
    expect(html).toContain("objective 99.9 %");
    expect(html).toContain(`<th scope="row">${today()}</th>`);
    expect(html).not.toContain("<script");
    for (const org of ORGS) expect(html).not.toContain(org);
  });

  it("does not exist when PERFORMANCE_PAGE is off, and takes its objective from SLO_HANDOVER_10S", async () => {
    for (const path of ["/performance", "/performance.json"]) expect((await get(path, { PERFORMANCE_PAGE: "off" })).status).toBe(404);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 900_000 });
    const response = await get("/performance.json", { SLO_HANDOVER_10S: "99.5" });
    expect(((await response.json()) as Performance).objective.handedOverWithin10sPercent).toBe(99.5);
  });

  it("shows the SMS conversion per day (approved of started) with its counts, and none where no verification started", async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const change = (org: string, verificationId: string, event: VerificationChange["event"], channel: "sms" | "email" = "sms"): VerificationChange => ({
      kind: "verification", org, verificationId, channel, day: today(), event, at: new Date().toISOString(), ...(event === "approved" ? { provider: "primary" } : {}),
    });
    const ids = Array.from({ length: 5 }, () => crypto.randomUUID());
    // Four SMS verifications on two shards (three approved, one expired), an email one, and a repeat.
    const onShard0 = [...ids.slice(0, 3).map((id) => change(ORGS[0]!, id, "started")), ...ids.slice(0, 2).map((id) => change(ORGS[0]!, id, "approved")), change(ORGS[0]!, ids[2]!, "expired")];
    const onShard1 = [change("org-on-shard-1", ids[3]!, "started"), change("org-on-shard-1", ids[3]!, "approved"), change("org-on-shard-1", ids[3]!, "approved")];
    const email = [change(ORGS[0]!, ids[4]!, "started", "email")];
    for (const [shard, changes] of [["DB", [...onShard0, ...email]], ["DB_1", onShard1]] as const) {
      await shardWriter(env, shard).append(shard, [...changes]);
      expect(await shardWriter(env, shard).flush()).toBe(0);
    }
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3_600_000 }); // past every earlier test's figures
    const p = await figures();
    expect(todays(p, "sms")).toMatchObject({ verifications: { started: 4, approved: 3, expired: 1, maxAttempts: 0 }, verificationConversionPercent: 75 });
    expect(todays(p, "email")).toMatchObject({ verifications: { started: 1, approved: 0 }, verificationConversionPercent: 0 });
    expect(p.days.find((d) => d.date === yesterday && d.channel === "sms")).toMatchObject({ verifications: { started: 0 }, verificationConversionPercent: null });
    expect(p.totals.sms).toMatchObject({ verifications: { started: 4, approved: 3 }, verificationConversionPercent: 75 });
    expect(p.totals.sms.providers.primary).toMatchObject({ approved: 3 });

    const html = await (await get("/performance")).text();
    const section = html.slice(html.indexOf('<section id="sms-conversion">'), html.indexOf("</section>", html.indexOf('<section id="sms-conversion">')));
    expect(section).toContain("<svg ");
    expect(section).toContain("<polyline ");
    expect(section).toContain(`<th scope="row">${today()}</th><td>4</td><td>3</td><td>1</td><td>0</td><td>75 %</td>`);
    expect(section).toContain(`<th scope="row">${yesterday}</th><td>0</td><td>0</td><td>0</td><td>0</td><td>–</td>`);
    expect(section).not.toContain("0 %<");
    expect(html).toContain("SMS codes approved<strong>75 %</strong>of 4 started");
  });
});
