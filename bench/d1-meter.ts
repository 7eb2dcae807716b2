// Bench only: counts D1 write transactions and can delay every D1 call (a primary in another region).
// It instruments the D1 classes themselves (their prototypes), so every D1 binding (DB, DB_1, …) and
// every caller (the Worker, each Durable Object, the queue consumers) is covered, whatever their names.

export interface D1Meter {
  /** Write transactions since the last reset: each batch() with a write, each write outside a batch. */
  transactions: number;
  /** D1 calls (statements run outside a batch, batches, exec) since the last reset. */
  calls: number;
  /** Rows written since the last reset, as D1 itself reports them (meta.rows_written of each result). */
  rowsWritten: number;
  /** Added before every D1 call, in ms. */
  delayMs: number;
}

export const d1Meter: D1Meter = { transactions: 0, calls: 0, rowsWritten: 0, delayMs: 0 };

/** Rows written by what a D1 call returned: one result's meta, or each result of a batch. */
export function rowsWrittenOf(result: unknown): number {
  if (Array.isArray(result)) return result.reduce((sum: number, r) => sum + rowsWrittenOf(r), 0);
  const n = (result as { meta?: { rows_written?: unknown } } | null)?.meta?.rows_written;
  return typeof n === "number" ? n : 0;
}

const WRITE = /\b(INSERT|UPDATE|DELETE|REPLACE|UPSERT|CREATE|DROP|ALTER)\b/i;

/** Whether an SQL text writes (a statement that only reads never names one of these keywords). */
export function isWriteSql(sql: unknown): boolean {
  return typeof sql === "string" && WRITE.test(sql);
}

/** The SQL of a prepared statement (workerd keeps it in `statement`); unknown counts as a write. */
function sqlOf(statement: unknown): string {
  const sql = (statement as { statement?: unknown } | null)?.statement;
  return typeof sql === "string" ? sql : "INSERT";
}

/**
 * A value that looks like a D1 binding: prepare, batch and exec, and no fetch (a service binding's RPC
 * stub answers every property name with a function, fetch included).
 */
export function looksLikeD1(value: unknown): value is D1Database {
  const v = value as (Partial<D1Database> & { fetch?: unknown }) | null;
  return (
    typeof v === "object" && v !== null &&
    typeof v.prepare === "function" && typeof v.batch === "function" && typeof v.exec === "function" && typeof v.fetch !== "function"
  );
}

type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;
const patched = new Map<object, Map<string, Method>>();
// A database's batch() may hand its statements on to its session's batch(): that is still one call.
const batching = new WeakSet<object>();

/** Replaces `proto[name]` with a version that waits, counts, then calls the original (once per prototype). */
function wrap(proto: object, name: string, writes: (self: unknown, args: unknown[]) => boolean) {
  const originals = patched.get(proto) ?? new Map<string, Method>();
  patched.set(proto, originals);
  const original = (proto as Record<string, unknown>)[name];
  if (typeof original !== "function" || originals.has(name)) return;
  originals.set(name, original as Method);
  Object.defineProperty(proto, name, {
    configurable: true,
    writable: true,
    value: async function (this: unknown, ...args: unknown[]) {
      if (d1Meter.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, d1Meter.delayMs));
      d1Meter.calls++;
      if (writes(this, args)) d1Meter.transactions++;
      const result = await (original as Method).apply(this, args);
      d1Meter.rowsWritten += rowsWrittenOf(result);
      return result;
    },
  });
}

function instrumentSession(session: object) {
  const proto = Object.getPrototypeOf(session) as object;
  const original = (proto as Record<string, unknown>).batch;
  if (typeof original !== "function" || patched.get(proto)?.has("batch")) return;
  wrap(proto, "batch", (_self, [statements]) => Array.isArray(statements) && statements.some((s) => isWriteSql(sqlOf(s))));
  const metered = (proto as Record<string, Method>).batch!;
  Object.defineProperty(proto, "batch", {
    configurable: true,
    writable: true,
    value: async function (this: unknown, statements: unknown[]) {
      const first = Array.isArray(statements) ? (statements[0] as object | undefined) : undefined;
      if (first && batching.has(first)) return (original as Method).call(this, statements);
      if (first) batching.add(first);
      try {
        return await metered.call(this, statements);
      } finally {
        if (first) batching.delete(first);
      }
    },
  });
}

/** Instruments the classes behind every D1 binding in `env`. Returns a function that undoes it. */
export function instrumentD1(env: object): () => void {
  for (const db of Object.values(env).filter(looksLikeD1)) {
    const proto = Object.getPrototypeOf(db) as object;
    instrumentSession(db);
    wrap(proto, "exec", (_self, [sql]) => isWriteSql(sql));
    const statementProto = Object.getPrototypeOf(db.prepare("SELECT 1")) as object;
    for (const name of ["run", "all", "first", "raw"]) wrap(statementProto, name, (self) => isWriteSql(sqlOf(self)));
    const withSession = (db as { withSession?: (...args: unknown[]) => object }).withSession;
    if (typeof withSession === "function") instrumentSession(withSession.call(db));
  }
  return () => {
    for (const [proto, originals] of patched) {
      for (const [name, original] of originals) Object.defineProperty(proto, name, { configurable: true, writable: true, value: original });
    }
    patched.clear();
  };
}

export function resetD1Meter() {
  d1Meter.transactions = 0;
  d1Meter.calls = 0;
  d1Meter.rowsWritten = 0;
}
