// What the one place that makes Durable Objects (src/config/durable-objects.ts) does with
// DATA_JURISDICTION: unset, the plain namespace; "eu" where workerd cannot place objects in a jurisdiction
// (it throws "not implemented"): locally the plain namespace with one warning per isolate, anywhere
// else 503 NOT-00004 (and a retried queue message) with a log line saying why, never a silent fallback.
// The tests run in order: the first one must see this isolate before any fallback warned.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dataJurisdiction, objectByName } from "../../src/config/durable-objects";
import worker from "../../src/index";
import { BASE, postSms, smsRequest, tokenFor } from "../support/api";
import { readShipmentAs, shipmentIdOf } from "../support/shipments";

afterEach(() => vi.restoreAllMocks());

/** A namespace that records what is asked of it; its jurisdiction() answers a recording sub-namespace. */
function recordingNamespace(name: string, calls: string[]): DurableObjectNamespace {
  const namespace = {
    idFromName: (n: string) => (calls.push(`${name}.idFromName(${n})`), { toString: () => `${name}:${n}` }),
    idFromString: (s: string) => (calls.push(`${name}.idFromString(${s})`), { toString: () => s }),
    get: (id: { toString(): string }) => (calls.push(`${name}.get(${id.toString()})`), { stub: `${name}:${id.toString()}` }),
    jurisdiction: (j: string) => (calls.push(`${name}.jurisdiction(${j})`), recordingNamespace(`${name}/${j}`, calls)),
  };
  return namespace as unknown as DurableObjectNamespace;
}

const fallbackWarnings = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.flat().filter((line) => String(line).includes("data_jurisdiction.local_fallback"));
const logLines = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.flat().map(String).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);

async function fetchAs(bindings: Partial<Record<keyof Env, unknown>>, method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${await tokenFor("ttd")}`, ...(body ? { "Content-Type": "application/json" } : {}) } };
  if (body) init.body = JSON.stringify(body);
  return (worker.fetch as ExportedHandlerFetchHandler<Env>)(new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>, { ...env, ...bindings } as Env, createExecutionContext());
}

describe("DATA_JURISDICTION", () => {
  it("unset or empty: the plain namespace, no jurisdiction asked for, no warning", () => {
    const warnings = vi.spyOn(console, "warn");
    for (const value of [undefined, ""]) {
      const calls: string[] = [];
      const stub = objectByName({ ...env, DATA_JURISDICTION: value, ORDERS: recordingNamespace("ORDERS", calls) } as Env, "ORDERS", "shipment:a");
      expect(stub).toEqual({ stub: "ORDERS:ORDERS:shipment:a" });
      expect(calls).toEqual(["ORDERS.idFromName(shipment:a)", "ORDERS.get(ORDERS:shipment:a)"]);
    }
    expect(fallbackWarnings(warnings)).toEqual([]);
  });

  it('"eu": ids and stubs from jurisdiction("eu"), nothing from the plain namespace', () => {
    const calls: string[] = [];
    const stub = objectByName({ ...env, ENVIRONMENT: "production", WEBHOOKS: recordingNamespace("WEBHOOKS", calls) } as Env, "WEBHOOKS", "ttd");
    expect(stub).toEqual({ stub: "WEBHOOKS/eu:WEBHOOKS/eu:ttd" });
    expect(calls).toEqual(["WEBHOOKS.jurisdiction(eu)", "WEBHOOKS/eu.idFromName(ttd)", "WEBHOOKS/eu.get(WEBHOOKS/eu:ttd)"]);
  });

  it('locally, "eu" where workerd cannot: the plain namespace, with exactly one warning for the isolate', async () => {
    expect(() => env.ORDERS.jurisdiction("eu")).toThrow(/not implemented/i); // the premise: workerd has no jurisdictions
    const warnings = vi.spyOn(console, "warn");
    const shipmentId = await shipmentIdOf(await postSms(smsRequest()));
    expect((await readShipmentAs("ttd", shipmentId)).shipmentId).toBe(shipmentId);
    expect(await readShipmentAs("ttd", shipmentId)).toBeTruthy();
    const lines = fallbackWarnings(warnings);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(String(lines[0]))).toMatchObject({ event: "data_jurisdiction.local_fallback", level: "warn", jurisdiction: "eu" });
  });

  it('in production, "eu" that cannot be honoured answers 503 NOT-00004 and logs why; nothing is made', async () => {
    const errors = vi.spyOn(console, "error");
    const production = { ENVIRONMENT: "production" };
    const answers = [
      await fetchAs(production, "GET", `/future/shipment/${crypto.randomUUID()}`),
      await fetchAs(production, "PUT", "/future/webhook", { url: "https://receiver.test/residency" }),
      await fetchAs(production, "POST", "/future/orders/instant/sms", smsRequest()),
    ];
    for (const response of answers) {
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: "NOT-00004", status: 503 });
    }
    const unavailable = logLines(errors).filter((l) => l.event === "data_jurisdiction.unavailable");
    expect(unavailable.length).toBeGreaterThanOrEqual(3);
    expect(unavailable[0]).toMatchObject({ binding: "ORDERS", jurisdiction: "eu" });
    expect(String(unavailable[0]!.error)).toMatch(/not implemented/i);
  });

  it("in production, a queue message whose object cannot be made in the jurisdiction is retried, not handled outside it", async () => {
    vi.spyOn(console, "error");
    const orderRef = env.ORDERS.newUniqueId().toString();
    const batch = createMessageBatch("sms-dispatch", [{ id: "residency-prod", timestamp: new Date(), attempts: 1, body: { orderRef, shipmentId: crypto.randomUUID(), channel: "sms" } }]);
    const ctx = createExecutionContext();
    await (worker.queue as ExportedHandlerQueueHandler<Env>)(batch, { ...env, ENVIRONMENT: "production" } as Env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["residency-prod"]);
  });

  it("any other value is refused, locally too: 503 NOT-00004 and a log line naming it", async () => {
    const errors = vi.spyOn(console, "error");
    const response = await fetchAs({ DATA_JURISDICTION: "EU" }, "GET", `/future/shipment/${crypto.randomUUID()}`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: "NOT-00004" });
    expect(logLines(errors).find((l) => l.event === "data_jurisdiction.invalid")).toMatchObject({ binding: "ORDERS", error: expect.stringContaining('"EU"') });
  });

  it.each([
    [undefined, undefined],
    ["", undefined],
    ["eu", "eu"],
  ])("dataJurisdiction(%j) is %j", (value, expected) => {
    expect(dataJurisdiction({ DATA_JURISDICTION: value } as Env)).toBe(expected);
  });

  it.each(["EU", "us", "fedramp", " eu", "eu,fedramp"])("dataJurisdiction(%j) is refused, naming the value", (value) => {
    expect(() => dataJurisdiction({ DATA_JURISDICTION: value } as Env)).toThrow(JSON.stringify(value));
  });
});
