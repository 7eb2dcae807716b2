// Bench only: counts what Cloudflare bills per shipment, without touching the service's classes.
//
// - Durable Object requests: every call through a stub (RPC method or fetch) of a metered namespace,
//   counted on the caller's side (a call an object makes to its own methods is not a request), and
//   every alarm invocation, counted by a subclass of the object's class. The wall time each object is
//   busy with them (overlapping calls to one object counted once, as Cloudflare bills duration).
// - Rows written to each object's SQLite storage (each statement's cursor.rowsWritten; each setAlarm
//   is one row written, as billed), and the alarms each object has set and not yet seen fire.
// - Queue operations: each message written (send, sendBatch), read (delivered to the consumer) and
//   deleted (acknowledged), per 64 KB.
// - Worker invocations: HTTP requests and queue consumer batches.
//
// A stub's properties are RPC paths (stub.m.apply would call a remote "m.apply"), so functions taken
// from stubs, namespaces and queues are called with Reflect.apply, never .apply or .bind.
//
// Locally every Durable Object of the Worker runs in the Worker's isolate (workerd keeps one isolate
// per script), so these module-level counters see them all; bench/worker.ts reads them at /bench/meter.

export interface ClassMeter {
  /** Stub calls (RPC methods and fetch) received. */
  calls: number;
  alarms: number;
  /** Wall time the class's objects were busy with those calls and alarms (overlaps of one object once). */
  wallMs: number;
  /** Rows written to the objects' SQLite storage, setAlarm included. */
  rowsWritten: number;
}

export interface Meter {
  classes: Record<string, ClassMeter>;
  queue: { writes: number; reads: number; deletes: number };
  workerRequests: number;
}

export const meter: Meter = { classes: {}, queue: { writes: 0, reads: 0, deletes: 0 }, workerRequests: 0 };

export function resetMeter() {
  meter.classes = {};
  meter.queue = { writes: 0, reads: 0, deletes: 0 };
  meter.workerRequests = 0;
  for (const [key, busy] of active) if (busy.n > 0) active.set(key, { ...busy, since: Date.now() });
}

function classMeter(name: string): ClassMeter {
  return (meter.classes[name] ??= { calls: 0, alarms: 0, wallMs: 0, rowsWritten: 0 });
}

// ── Wall time, per object: from its first active call to its last one ending ──────────────────

const active = new Map<string, { n: number; since: number }>();

function enter(key: string) {
  const busy = active.get(key);
  if (busy && busy.n > 0) busy.n++;
  else active.set(key, { n: 1, since: Date.now() });
}

function leave(key: string, className: string) {
  const busy = active.get(key);
  if (!busy) return;
  busy.n--;
  if (busy.n > 0) return;
  classMeter(className).wallMs += Date.now() - busy.since;
  active.delete(key);
}

async function busy<T>(className: string, key: string, work: () => T | Promise<T>): Promise<T> {
  enter(key);
  try {
    return await work();
  } finally {
    leave(key, className);
  }
}

// ── Alarms each object has set and not yet seen fire ─────────────────────────────────────────

const alarms = new Map<string, { className: string; at: number }>();

/** Alarms of metered classes still set: those due within `horizonMs` from now, and those later. */
export function pendingAlarms(horizonMs: number, now = Date.now()): { due: number; later: number; byClass: Record<string, number> } {
  let due = 0;
  let later = 0;
  const byClass: Record<string, number> = {};
  for (const { className, at } of alarms.values()) {
    if (at <= now + horizonMs) due++;
    else later++;
    byClass[className] = (byClass[className] ?? 0) + 1;
  }
  return { due, later, byClass };
}

// ── Stubs: each call is one Durable Object request ───────────────────────────────────────────

/** The namespace, whose stubs count every call as a request of `className`. */
export function meteredNamespace<T extends object>(namespace: T, className: string): T {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName" || prop === "getExisting") {
        return (...args: unknown[]) => meteredStub(Reflect.apply(value, target, args) as object, className);
      }
      return (...args: unknown[]) => Reflect.apply(value, target, args);
    },
  });
}

function meteredStub<T extends object>(stub: T, className: string): T {
  const key = `${className}:${String((stub as { id?: unknown }).id)}`;
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      // `then` must stay what it is (a stub is not a promise); ids and names are plain values.
      if (typeof prop !== "string" || prop === "then" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        classMeter(className).calls++;
        return busy(className, key, () => Reflect.apply(value, target, args));
      };
    },
  });
}

// ── Queue producers: each message written, per 64 KB ─────────────────────────────────────────

/** Operations a message of `bytes` costs per write, read or delete (64 KB each, about 100 bytes of metadata). */
export function queueOpsFor(bytes: number): number {
  return Math.max(1, Math.ceil((bytes + 100) / 64_000));
}

function messageBytes(body: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(body) ?? "").length;
  } catch {
    return 0;
  }
}

export function meteredQueue<T extends object>(queue: T): T {
  return new Proxy(queue, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      const call = (...args: unknown[]) => Reflect.apply(value, target, args);
      if (prop === "send") {
        return (body: unknown, ...rest: unknown[]) => {
          meter.queue.writes += queueOpsFor(messageBytes(body));
          return call(body, ...rest);
        };
      }
      if (prop === "sendBatch") {
        return (messages: Iterable<{ body: unknown }>, ...rest: unknown[]) => {
          const list = [...messages];
          for (const m of list) meter.queue.writes += queueOpsFor(messageBytes(m.body));
          return call(list, ...rest);
        };
      }
      return call;
    },
  });
}

/**
 * The batch as the consumer sees it, counting each message read, and each one deleted: acknowledged,
 * or left to the implicit acknowledgement of a consumer that returns without retrying it.
 */
export async function consumeMetered<B extends MessageBatch>(batch: B, consume: (batch: B) => Promise<unknown>): Promise<void> {
  const retried = new Set<Message>();
  let retryAll = false;
  const sizes = new Map<Message, number>();
  for (const m of batch.messages) {
    const ops = queueOpsFor(messageBytes(m.body));
    sizes.set(m, ops);
    meter.queue.reads += ops;
  }
  const messages = batch.messages.map(
    (m) =>
      new Proxy(m, {
        get(target, prop) {
          const value = Reflect.get(target, prop) as unknown;
          if (typeof value !== "function") return value;
          if (prop === "retry") retried.add(target);
          return (...args: unknown[]) => Reflect.apply(value, target, args);
        },
      }),
  );
  const view = new Proxy(batch, {
    get(target, prop) {
      if (prop === "messages") return messages;
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "retryAll") retryAll = true;
      return (...args: unknown[]) => Reflect.apply(value, target, args);
    },
  });
  await consume(view);
  if (retryAll) return;
  for (const m of batch.messages) if (!retried.has(m)) meter.queue.deletes += sizes.get(m) ?? 1;
}

// ── The objects themselves: alarms, rows written, alarms set ─────────────────────────────────

type SqlLike = { exec: (...args: unknown[]) => { rowsWritten?: number } };
type StorageLike = { sql?: SqlLike; setAlarm: (...args: unknown[]) => Promise<void>; deleteAlarm: (...args: unknown[]) => Promise<void> };

/** Meters one object's storage: rows written by its SQL, and its alarm as it sets and clears it. */
export function meterStorage(ctx: DurableObjectState, className: string, counted: boolean): DurableObjectState {
  const storage = ctx.storage as unknown as StorageLike;
  const key = `${className}:${ctx.id.toString()}`;
  const sql = storage.sql;
  if (sql && counted) {
    const exec = sql.exec.bind(sql);
    sql.exec = (...args: unknown[]) => {
      const cursor = exec(...args);
      // A statement that writes has run by now (a cursor is stepped once at exec); its rows are counted.
      classMeter(className).rowsWritten += cursor.rowsWritten ?? 0;
      return cursor;
    };
  }
  const setAlarm = storage.setAlarm.bind(storage);
  const deleteAlarm = storage.deleteAlarm.bind(storage);
  storage.setAlarm = async (at: unknown, ...rest: unknown[]) => {
    await setAlarm(at, ...rest);
    if (!counted) return;
    classMeter(className).rowsWritten++;
    alarms.set(key, { className, at: at instanceof Date ? at.getTime() : Number(at) });
  };
  storage.deleteAlarm = async (...args: unknown[]) => {
    await deleteAlarm(...args);
    alarms.delete(key);
  };
  return ctx;
}

type DurableObjectClass = abstract new (...args: any[]) => { alarm?(info?: AlarmInvocationInfo): void | Promise<void> };

/**
 * A subclass of a Durable Object class that meters its objects: alarms (each one a request, and its
 * wall time), rows written, and the env it gets (its stubs and queues metered, as the Worker's are).
 * `counted: false` (the simulator, which stands in for a provider) only meters the env it gets.
 */
export function meteredClass<C extends DurableObjectClass>(Base: C, className: string, wrapEnv: (env: Env) => Env, counted = true): C {
  // @ts-expect-error: a mixin over an abstract class of unknown constructor arguments
  class Metered extends Base {
    constructor(ctx: DurableObjectState, env: Env) {
      super(meterStorage(ctx, className, counted), wrapEnv(env));
    }
  }
  const baseAlarm = (Base.prototype as { alarm?: (info?: AlarmInvocationInfo) => Promise<void> }).alarm;
  if (typeof baseAlarm === "function") {
    Object.defineProperty(Metered.prototype, "alarm", {
      configurable: true,
      writable: true,
      value: async function (this: { ctx: DurableObjectState }, info?: AlarmInvocationInfo) {
        const key = `${className}:${this.ctx.id.toString()}`;
        alarms.delete(key); // it has fired; a new one is noted if the alarm sets one
        if (!counted) return baseAlarm.call(this, info);
        classMeter(className).alarms++;
        return busy(className, key, () => baseAlarm.call(this, info));
      },
    });
  }
  Object.defineProperty(Metered, "name", { value: className });
  return Metered as unknown as C;
}
