// The benchmark build: the service exactly as src/index.ts builds it, plus routes and a Durable Object
// that exist only here (never in production, never in wrangler.toml). Used by `npm run bench` and
// `npm run soak` through a configuration generated at run time (scripts/lib/local-service.mjs).
//
//   GET /bench/bare       answers at once: what a request through workerd costs.
//   GET /bench/primitive  one new Durable Object call that does one D1 insert and one queue send:
//                         what the platform alone costs for the parts a registration is made of.
//   GET /bench/order-floor  one new Durable Object call that writes once to its own storage and sends
//                         one queue message: the least any exactly-once registration needs, without D1.
//   GET /bench/floor-queue  how long the primitive's queue messages took from send to consumer
//                         (p50/p99/max ms since the last ?reset=1): the platform's own queue delay.
//   GET /bench/shipments  shipment_id, status, last_update (and the recipient's status) from D1 (the
//                         organisation's shard, or all), optionally ?org=<org>, for dispatch latency and
//                         the soak's final check.
//   GET /bench/registered  when the service answered each 201 (ms since epoch, by shipment id, on the
//                         service's clock, like the simulator's hand-over times); ?reset=1 clears it.
//   GET /bench/d1         D1 write transactions, calls and rows written since the last ?reset=1
//                         (bench/d1-meter.ts); ?delayMs=<n> delays every D1 call by n ms from now on
//                         (BENCH_D1_DELAY_MS at start).
//   GET /bench/meter      Durable Object requests, wall time and rows written per class, queue operations
//                         and Worker invocations since the last ?reset=1 (bench/do-meter.ts), and the
//                         alarms still set (?horizonMs=<n>: how many are due within n ms).
//   GET /bench/report-delay?ms=<n>  the simulator's report delay from now on (SIMULATOR_REPORT_DELAY_MS).
//   GET /bench/outbox     the simulator's outbox as /outbox/messages.json lists it, without the timelines
//                         (each a call to the message's order): where the bench and the soak read the
//                         verifications' codes (scripts/lib/outbox-reader.mjs).
//
// The service's Durable Object classes are exported as metered subclasses (bench/do-meter.ts) and the
// service gets an env whose Durable Object namespaces and queue producers are metered; the bench's own
// routes use the plain env, so what they read is never counted.
import { DurableObject, env as startEnv } from "cloudflare:workers";
import service, * as serviceExports from "../src/index";
import { isLocal } from "../src/config/environment";
import { database, shardNames, shardOf } from "../src/store/shards";
import { readShipmentStatuses } from "../src/store/shipments";
import { simulatorStub } from "../src/providers/simulator/stub";
import { isLocalOnly } from "../src/api/routes/outbox";
import { percentile } from "../scripts/lib/figures.mjs";
import { d1Meter, instrumentD1, resetD1Meter } from "./d1-meter";
import { consumeMetered, meter, meteredClass, meteredNamespace, meteredQueue, pendingAlarms, resetMeter } from "./do-meter";

interface BenchEnv extends Env {
  FLOOR: DurableObjectNamespace<FloorObject>;
  ORDER_FLOOR: DurableObjectNamespace<OrderFloorObject>;
  FLOOR_QUEUE: Queue;
  BENCH_D1_DELAY_MS?: string;
  /** JSON: { durableObjects: { binding: class }, queues: [binding] }, the service's own (scripts/lib/local-service.mjs). */
  BENCH_METER?: string;
}

// ── The metered service ────────────────────────────────────────────────────────────────────────

const metered = (() => {
  try {
    const parsed = JSON.parse((startEnv as BenchEnv).BENCH_METER ?? "{}") as { durableObjects?: Record<string, string>; queues?: string[] };
    return { durableObjects: parsed.durableObjects ?? {}, queues: parsed.queues ?? [] };
  } catch {
    return { durableObjects: {}, queues: [] };
  }
})();

/** The simulator's report delay as set through /bench/report-delay (null: the configured one). */
let reportDelayMs: string | null = null;
const meteredEnvs = new WeakMap<object, Env>();

/** The env the service sees: its Durable Object namespaces and queue producers metered. */
function meteredEnv<E extends Env>(env: E): E {
  const known = meteredEnvs.get(env);
  if (known) return known as E;
  const copy = { ...env } as unknown as Record<string, unknown>;
  for (const [binding, className] of Object.entries(metered.durableObjects)) {
    if (copy[binding]) copy[binding] = meteredNamespace(copy[binding] as object, className);
  }
  for (const binding of metered.queues) if (copy[binding]) copy[binding] = meteredQueue(copy[binding] as object);
  Object.defineProperty(copy, "SIMULATOR_REPORT_DELAY_MS", {
    enumerable: true,
    get: () => reportDelayMs ?? env.SIMULATOR_REPORT_DELAY_MS,
  });
  meteredEnvs.set(env, copy as unknown as Env);
  return copy as unknown as E;
}

export const OrderObject = meteredClass(serviceExports.OrderObject, "OrderObject", meteredEnv);
export const ProviderHealth = meteredClass(serviceExports.ProviderHealth, "ProviderHealth", meteredEnv);
export const ShardDirectory = meteredClass(serviceExports.ShardDirectory, "ShardDirectory", meteredEnv);
export const ShardWriter = meteredClass(serviceExports.ShardWriter, "ShardWriter", meteredEnv);
export const WebhookObject = meteredClass(serviceExports.WebhookObject, "WebhookObject", meteredEnv);
export const LimitsObject = meteredClass(serviceExports.LimitsObject, "LimitsObject", meteredEnv);
export const DeadLetterObject = meteredClass(serviceExports.DeadLetterObject, "DeadLetterObject", meteredEnv);
export const VerificationObject = meteredClass(serviceExports.VerificationObject, "VerificationObject", meteredEnv);
// The simulator stands in for a provider's HTTP API: not counted, but its reports reach the orders
// through metered stubs, and its report delay can be changed.
export const ProviderSimulator = meteredClass(serviceExports.ProviderSimulator, "ProviderSimulator", meteredEnv, false);

// Every D1 call of this isolate (the Worker and all its Durable Objects) is metered from the start.
instrumentD1(startEnv);
d1Meter.delayMs = Math.max(0, Number((startEnv as BenchEnv).BENCH_D1_DELAY_MS) || 0);

// When the service answered each 201, by shipment id (bench only, this isolate's memory).
let registeredAt = new Map<string, number>();

const FLOOR_QUEUE_NAME = "bench-floor"; // the generated config names the same queue

// Created lazily, once per isolate. A flag, not a shared promise: workerd refuses I/O objects
// shared across requests. Concurrent first calls each run the idempotent CREATE, which is harmless.
let floorTableReady = false;

// Send-to-consumer delays of the primitive's queue messages, in this isolate's memory (bench only).
let floorQueueDelays: number[] = [];

export class FloorObject extends DurableObject<BenchEnv> {
  /** One D1 insert and one queue send, nothing else. */
  async touch(): Promise<string> {
    const db = this.env.DB;
    if (!floorTableReady) {
      await db.prepare("CREATE TABLE IF NOT EXISTS bench_floor (id TEXT PRIMARY KEY, at INTEGER NOT NULL)").run();
      floorTableReady = true;
    }
    const id = crypto.randomUUID();
    await db.prepare("INSERT INTO bench_floor (id, at) VALUES (?1, ?2)").bind(id, Date.now()).run();
    await this.env.FLOOR_QUEUE.send({ id, sentAt: Date.now() }, { contentType: "json" });
    return id;
  }
}

export class OrderFloorObject extends DurableObject<BenchEnv> {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS registration (id TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  }

  /** One write to its own storage (durable before the answer leaves) and one queue send, nothing else. */
  async register(): Promise<string> {
    const id = crypto.randomUUID();
    this.ctx.storage.sql.exec("INSERT INTO registration (id, at) VALUES (?, ?)", id, Date.now());
    await this.env.FLOOR_QUEUE.send({ id, sentAt: Date.now() }, { contentType: "json" });
    return id;
  }
}

async function benchRoute(request: Request, env: BenchEnv, path: string): Promise<Response | null> {
  switch (path) {
    case "/bench/bare":
      return new Response("ok");
    case "/bench/primitive": {
      const id = await env.FLOOR.get(env.FLOOR.idFromName(crypto.randomUUID())).touch();
      return Response.json({ id });
    }
    case "/bench/order-floor": {
      const id = await env.ORDER_FLOOR.get(env.ORDER_FLOOR.idFromName(crypto.randomUUID())).register();
      return Response.json({ id });
    }
    case "/bench/registered": {
      const answer = Object.fromEntries(registeredAt);
      if (new URL(request.url).searchParams.get("reset") === "1") registeredAt = new Map();
      return Response.json(answer);
    }
    case "/bench/meter": {
      const params = new URL(request.url).searchParams;
      const horizonMs = Math.max(0, Number(params.get("horizonMs")) || 0);
      const answer = { ...meter, alarms: pendingAlarms(horizonMs) };
      if (params.get("reset") === "1") resetMeter();
      return Response.json(answer);
    }
    case "/bench/report-delay": {
      const ms = new URL(request.url).searchParams.get("ms");
      reportDelayMs = ms === null ? null : String(Math.max(0, Number(ms) || 0));
      return Response.json({ reportDelayMs: reportDelayMs ?? env.SIMULATOR_REPORT_DELAY_MS });
    }
    case "/bench/d1": {
      const params = new URL(request.url).searchParams;
      const answer = { ...d1Meter };
      if (params.get("reset") === "1") resetD1Meter();
      const delay = params.get("delayMs");
      if (delay !== null) d1Meter.delayMs = Math.max(0, Number(delay) || 0);
      return Response.json(answer);
    }
    case "/bench/floor-queue": {
      const delays = floorQueueDelays;
      const answer = { count: delays.length, p50: percentile(delays, 50), p99: percentile(delays, 99), max: percentile(delays, 100) };
      if (new URL(request.url).searchParams.get("reset") === "1") floorQueueDelays = [];
      return Response.json(answer);
    }
    case "/bench/outbox":
      // Message bodies, as /outbox: only on a loopback address, like it.
      if (!isLocalOnly(env, request.url)) return null;
      return Response.json({ messages: await simulatorStub(env).outboxMessages() });
    case "/bench/shipments": {
      // From the organisation's shard, or from every shard.
      const org = new URL(request.url).searchParams.get("org");
      const shards = org === null ? shardNames(env) : [await shardOf(env, org)];
      const rows = await Promise.all(shards.map((shard) => readShipmentStatuses(database(env, shard), org)));
      return Response.json(rows.flat());
    }
    default:
      return null;
  }
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/bench/") && request.method === "GET" && isLocal(env)) {
      const response = await benchRoute(request, env, path);
      if (response) return response;
    }
    // Worker invocations the service is billed for (the simulator's pages stand in for a provider's API).
    if (!path.startsWith("/simulator/") && !path.startsWith("/bench/")) meter.workerRequests++;
    const response = await service.fetch(request, meteredEnv(env), ctx);
    if (response.status === 201 && request.method === "POST") {
      const shipmentId = response.headers.get("location")?.split("/").pop();
      if (shipmentId) registeredAt.set(shipmentId, Date.now());
    }
    return response;
  },
  async queue(batch, env) {
    if (batch.queue === FLOOR_QUEUE_NAME) {
      const now = Date.now();
      for (const message of batch.messages) {
        const sentAt = (message.body as { sentAt?: unknown } | null)?.sentAt;
        if (typeof sentAt === "number" && floorQueueDelays.length < 1_000_000) floorQueueDelays.push(now - sentAt);
      }
      batch.ackAll();
      return;
    }
    meter.workerRequests++;
    return consumeMetered(batch, (b) => service.queue(b, meteredEnv(env)));
  },
} satisfies ExportedHandler<BenchEnv>;
