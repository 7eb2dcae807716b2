// Locally, SMS_PROVIDERS="primary,secondary" are two simulators. POST /simulator/outage makes one fail
// every call transiently for a while; GET /simulator/handovers counts hand-overs per provider.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { simulatorStub } from "../../src/providers/simulator/stub";
import type { HandoverStats } from "../../src/simulator/provider-simulator";
import { expireHealthViews, forgetHealthViews, handOverOrder } from "../../src/providers/failover/health-client";
import { claimOnRegistration } from "../../src/dispatch/first-attempt";
import { postSms, problemOf, smsRequest } from "../support/api";
import { shipmentIdOf, waitForRecipientStatus } from "../support/shipments";
import { orderState } from "../support/order";
import { uniqueMobile } from "../support/fake-fetch";

const simulator = (method: string, path: string, body?: unknown, contentType = "application/json") =>
  exports.default.fetch(
    new Request(`http://localhost/simulator/${path}`, { method, ...(body !== undefined ? { headers: { "Content-Type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) } : {}) }),
  );

const handovers = async () => (await (await simulator("GET", "handovers")).json()) as HandoverStats;

afterEach(async () => {
  await simulator("POST", "outage", { provider: "primary", seconds: 0 });
});

describe("POST /simulator/outage", () => {
  it("starts an outage of one simulated provider for the given seconds", async () => {
    const response = await simulator("POST", "outage", { provider: "primary", seconds: 30 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { provider: string; until: string };
    expect(body.provider).toBe("primary");
    expect(Date.parse(body.until) - Date.now()).toBeGreaterThan(28_000);
    expect((await handovers()).outages).toEqual({ primary: body.until });
  });

  it.each([
    [{ provider: "twilio", seconds: 30 }, "provider"],
    [{ provider: "primary", seconds: -1 }, "seconds"],
    [{ provider: "primary", seconds: 1.5 }, "seconds"],
    [{ provider: "primary", seconds: 3601 }, "seconds"],
    [{ provider: "primary" }, "seconds"],
    [{ seconds: 30 }, "provider"],
    [{ provider: "primary", seconds: 30, mode: "down" }, "mode"],
    [{ provider: "primary", seconds: 30, mode: "slow", reportDelaySeconds: 0 }, "reportDelaySeconds"],
    [{ provider: "primary", seconds: 30, mode: "slow", reportDelaySeconds: 2.5 }, "reportDelaySeconds"],
    [{ provider: "primary", seconds: 30, mode: "slow", reportDelaySeconds: "600" }, "reportDelaySeconds"],
    [{ provider: "primary", seconds: 30, mode: "slow", reportDelaySeconds: 86_401 }, "reportDelaySeconds"],
    [{ provider: "primary", seconds: 30, mode: "fail", reportDelaySeconds: 600 }, "reportDelaySeconds"],
    [{ provider: "primary", seconds: 30, reportDelaySeconds: 600 }, "reportDelaySeconds"],
  ])("refuses %j with a 400 problem naming %s", async (body, field) => {
    const response = await simulator("POST", "outage", body);
    expect(response.status).toBe(400);
    expect(Object.keys((await problemOf(response)).errors ?? {})).toEqual([field]);
  });

  it("answers the mode: fail by default, slow with its report delay", async () => {
    expect(await (await simulator("POST", "outage", { provider: "secondary", seconds: 0 })).json()).toMatchObject({ provider: "secondary", mode: "fail" });
    const slow = await simulator("POST", "outage", { provider: "secondary", seconds: 0, mode: "slow" });
    expect(await slow.json()).toMatchObject({ provider: "secondary", mode: "slow", reportDelaySeconds: 600 });
  });

  it("refuses a body that is not JSON (415) or not well-formed (400)", async () => {
    expect((await simulator("POST", "outage", "provider=primary", "text/plain")).status).toBe(415);
    expect((await simulator("POST", "outage", "{", "application/json")).status).toBe(400);
  });
});

describe("an outage of the primary SMS provider", () => {
  it("delivers every SMS through the secondary, each handed over once, and the history names it", async () => {
    expect((await simulator("POST", "outage", { provider: "primary", seconds: 30 })).status).toBe(200);
    const before = await handovers();
    const ids = await Promise.all(Array.from({ length: 20 }, async () => shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })))));
    for (const id of ids) await waitForRecipientStatus(id, "SMS_Delivered", 15_000);

    const after = await handovers();
    expect(after.duplicateHandovers).toBe(0);
    expect(after.handovers - before.handovers).toBe(20);
    expect((after.providers.secondary?.handovers ?? 0) - (before.providers.secondary?.handovers ?? 0)).toBe(20);
    expect(after.providers.primary?.handovers ?? 0).toBe(before.providers.primary?.handovers ?? 0);
    const { events } = await orderState(ids[0]!);
    expect(events.find((e) => e.status === "SMS_Accepted")).toMatchObject({ applied: 1, source: "provider secondary" });

    // Once the outage is over the primary takes messages again (its breaker, if it opened, probes its way back).
    expect((await simulator("POST", "outage", { provider: "primary", seconds: 0 })).status).toBe(200);
    expect((await handovers()).outages).toEqual({});
  });
});

describe("a slow outage of the primary SMS provider", () => {
  it("accepts every SMS, and its delivery report comes only reportDelaySeconds later", async () => {
    // A healthy primary (the outage test above may have opened its circuit).
    await runInDurableObject(env.PROVIDER_HEALTH.get(env.PROVIDER_HEALTH.idFromName("sms")), (_o, state) => state.storage.sql.exec("DELETE FROM breakers"));
    forgetHealthViews();
    const response = await simulator("POST", "outage", { provider: "primary", seconds: 60, mode: "slow", reportDelaySeconds: 300 });
    expect(response.status).toBe(200);
    const sentAt = Date.now();
    const id = await shipmentIdOf(await postSms(smsRequest({ phoneNumber: uniqueMobile() })));
    await waitForRecipientStatus(id, "SMS_Accepted");
    const { events } = await orderState(id);
    expect(events.find((e) => e.status === "SMS_Accepted")).toMatchObject({ applied: 1, source: "provider primary" });
    // Its report waits in the simulator, due in five minutes, not now.
    const due = await runInDurableObject(simulatorStub(env), (_o, state) =>
      state.storage.sql.exec<{ due: number; report: string }>("SELECT due, report FROM reports").toArray().find((r) => r.report.includes(id)),
    );
    expect(due!.due - sentAt).toBeGreaterThanOrEqual(299_000);
    expect(due!.due - sentAt).toBeLessThan(310_000);
    expect(JSON.parse(due!.report)).toMatchObject({ provider: "primary", channel: "sms", status: "SMS_Delivered" });
  });
});

describe("the simulator honours our idempotency key", () => {
  it("answers a hand-over it already took as before, without taking it twice", async () => {
    const message = { channel: "sms" as const, shipmentId: crypto.randomUUID(), orderRef: "x", to: uniqueMobile(), from: "Altinn", validitySeconds: 60 };
    const before = await handovers();
    const first = await simulatorStub(env).send(message, "primary");
    const again = await simulatorStub(env).send(message, "primary");
    expect(first).toMatchObject({ kind: "accepted", status: "SMS_Accepted" });
    expect(again).toEqual(first);
    expect((await handovers()).handovers - before.handovers).toBe(1);
  });
});

describe("the claim on registration (src/dispatch/first-attempt.ts, claimOnRegistration)", () => {
  it("takes the providers from a verdict fetched within the last second, and asks first when there is none", async () => {
    forgetHealthViews();
    expect(claimOnRegistration(env, "sms")).toBeNull(); // two SMS providers and no verdict yet
    expect(await handOverOrder(env, "sms", ["primary", "secondary"])).toEqual(["primary", "secondary"]); // asks ProviderHealth
    const known = claimOnRegistration(env, "sms");
    expect(known?.choice).toEqual({ name: "primary", idempotent: false }); // another may take over under this claim
    expect(known?.candidates.map(([name]) => name)).toEqual(["primary", "secondary"]);
    expireHealthViews();
    expect(claimOnRegistration(env, "sms")).toBeNull(); // stale: the attempt asks first
  });

  it("needs no verdict for a channel with one provider", () => {
    forgetHealthViews();
    expect(claimOnRegistration(env, "email")?.choice).toEqual({ name: "simulator", idempotent: true });
  });
});
