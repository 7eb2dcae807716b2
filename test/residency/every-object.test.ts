// Data residency, DATA_JURISDICTION = "eu" (this project's setting): every Durable Object id and stub,
// in the Worker and inside the objects, comes from `namespace.jurisdiction("eu")`, never from the plain
// namespace. workerd cannot place objects in a jurisdiction, so a recording one stands in: the
// namespaces' shared prototype answers `jurisdiction()` with a sub-namespace that records what is made
// through it (on the plain namespace's own methods, so the objects are real), and every direct use of a
// plain namespace is recorded too.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { call, postSms, smsRequest } from "../support/api";
import { subscribe } from "../support/callbacks";
import { fakeReceiver } from "../support/fake-receiver";
import { shipmentIdOf, waitForShipment } from "../support/shipments";

const BINDINGS = ["ORDERS", "SIMULATOR", "SHARD_WRITER", "SHARD_DIRECTORY", "PROVIDER_HEALTH", "WEBHOOKS", "LIMIT_COUNTERS", "DEAD_LETTERS"] as const;
const METHODS = ["idFromName", "idFromString", "newUniqueId", "get", "getByName"] as const;
type Method = (typeof METHODS)[number];

const prototype = Object.getPrototypeOf(env.ORDERS) as Record<Method | "jurisdiction", (...args: unknown[]) => unknown>;
const plain = Object.fromEntries(METHODS.map((m) => [m, prototype[m]!])) as Record<Method, (...args: unknown[]) => unknown>;

/** Which binding a namespace object is (the Worker's and the objects' env hold the same ones), else "other". */
const bindingOf = (namespace: unknown) => BINDINGS.find((b) => env[b] === namespace) ?? "other";

function recordNamespaces() {
  const jurisdictions: { binding: string; jurisdiction: unknown; made: Method[] }[] = [];
  const plainUses: { binding: string; method: Method }[] = [];
  for (const method of METHODS) {
    vi.spyOn(prototype, method).mockImplementation(function (this: unknown, ...args: unknown[]) {
      plainUses.push({ binding: bindingOf(this), method });
      return plain[method].apply(this, args);
    });
  }
  vi.spyOn(prototype, "jurisdiction").mockImplementation(function (this: unknown, jurisdiction: unknown) {
    const base = this;
    const record = { binding: bindingOf(base), jurisdiction, made: [] as Method[] };
    jurisdictions.push(record);
    return Object.fromEntries(
      METHODS.map((method) => [
        method,
        (...args: unknown[]) => {
          record.made.push(method);
          return plain[method].apply(base, args);
        },
      ]),
    );
  });
  return { jurisdictions, plainUses };
}

afterEach(() => vi.restoreAllMocks());

it("registration, dispatch (the first attempt and a queue message), report, read, status callback, statistics and a dead letter make every object in the jurisdiction", async () => {
  const org = `residency${crypto.randomUUID().slice(0, 8)}`;
  const receiver = fakeReceiver();
  const warnings = vi.spyOn(console, "warn");
  const { jurisdictions, plainUses } = recordNamespaces();

  await subscribe(org, receiver.url("/residency"), "final");
  const shipmentId = await shipmentIdOf(await postSms(smsRequest(), { org }));
  await waitForShipment(shipmentId, (s) => s.recipients?.[0]?.status === "SMS_Delivered", { org });
  await vi.waitFor(() => expect(receiver.at("/residency").length).toBeGreaterThanOrEqual(1), { timeout: 8_000, interval: 20 });

  // A redelivered dispatch message (the order reached by the id its message carries): nothing to do, acked.
  const orderRef = (plain.idFromName.call(env.ORDERS, `shipment:${shipmentId}`) as DurableObjectId).toString();
  const batch = createMessageBatch("sms-dispatch", [{ id: "residency-1", timestamp: new Date(), attempts: 2, body: { orderRef, shipmentId, channel: "sms" } }]);
  const ctx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Env>)(batch, env, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["residency-1"]);

  expect((await call("GET", "/future/stats?channel=sms", undefined, { org })).status).toBe(200);

  // A dead letter of the dispatch queue: kept by the deployment's dead-letter object.
  const dead = createMessageBatch("sms-dispatch-dlq", [{ id: "residency-dead-1", timestamp: new Date(), attempts: 1, body: { orderRef, shipmentId, channel: "sms" } }]);
  const deadCtx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Env>)(dead, env, deadCtx);
  expect((await getQueueResult(dead, deadCtx)).explicitAcks).toEqual(["residency-dead-1"]);

  const used = (binding: string) => jurisdictions.filter((j) => j.binding === binding);
  for (const binding of BINDINGS) {
    expect(used(binding).length, `${binding} through jurisdiction()`).toBeGreaterThan(0);
    expect(used(binding).every((j) => j.jurisdiction === "eu"), binding).toBe(true);
  }
  expect(jurisdictions.filter((j) => j.binding === "other")).toEqual([]);
  expect(used("ORDERS").flatMap((j) => j.made)).toContain("idFromString"); // the queue message's reference
  expect(plainUses).toEqual([]);
  expect(warnings.mock.calls.flat().join("\n")).not.toContain("data_jurisdiction");
});
