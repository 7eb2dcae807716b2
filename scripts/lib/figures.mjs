// The benchmark's figures (scripts/bench.mjs, scripts/bench/*): percentiles, the latency joins (201 →
// hand-over, 201 → final, final → feed or callback), CPU time from /proc/<pid>/stat, the work and cost per
// shipment at Cloudflare's published prices (docs/cost.md), and the targets. The bench build
// (bench/worker.ts) uses the same percentile. No I/O here, so test/unit/bench/figures.test.ts runs them as they are.

/** Nearest-rank percentile of unsorted numbers; null when there are none. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** A figure rounded to `digits` decimals; null when there is none (or it is not finite). */
export const round = (n, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));

// ── Latency joins ─────────────────────────────────────────────────────────────────────────────

/**
 * 201 → hand-over and 201 → final (ms) of the shipments `ids`, all on the service's clock: when it
 * answered each 201 (`answeredAt`, by id), when the simulator took the hand-over (`handoverTimes`, by
 * id), and the completed row's `last_update` (`finalsById`, D1's rows by id). A shipment without a 201
 * time counts in neither; one not handed over or not completed is left out of that list only.
 */
export function latencyJoin(ids, { answeredAt, handoverTimes, finalsById }) {
  const toHandover = [];
  const toFinal = [];
  for (const id of ids) {
    const t201 = answeredAt[id];
    if (t201 === undefined) continue;
    if (handoverTimes[id] !== undefined) toHandover.push(handoverTimes[id] - t201);
    const row = finalsById.get(id);
    if (row?.status === "Order_Completed") toFinal.push(Date.parse(row.last_update) - t201);
  }
  return { toHandover, toFinal };
}

/**
 * Final → seen (ms): for each completed shipment of `ids` that `seen` noted (by id, `{ at }` on the
 * client's clock: in the feed, or its callback received), how long after its final `last_update`.
 */
export function finalLags(ids, finalsById, seen) {
  const lags = [];
  for (const id of ids) {
    const row = finalsById.get(id);
    const at = seen.get(id)?.at;
    if (row?.status === "Order_Completed" && at !== undefined) lags.push(at - Date.parse(row.last_update));
  }
  return lags;
}

// ── CPU time ──────────────────────────────────────────────────────────────────────────────────

/**
 * The fields of one /proc/<pid>/stat line the bench needs. The command name may hold spaces and
 * parentheses, so the other fields are read after the last ")": state (3), pgrp (5), utime (14) and
 * stime (15), the last two in clock ticks over all the process's threads. Null for anything else.
 */
export function parseProcStat(text) {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const pgrp = Number(fields[2]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (![pgrp, utime, stime].every(Number.isFinite)) return null;
  return { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), state: fields[0], pgrp, utime, stime };
}

/** CPU ticks (user + system) by pid, of the processes in the given process groups. */
export function groupTicks(stats, pgids) {
  const groups = new Set(pgids);
  const ticks = new Map();
  for (const s of stats) if (s && groups.has(s.pgrp)) ticks.set(s.pid, s.utime + s.stime);
  return ticks;
}

/** Ticks spent between two samples by the processes alive at the second (a new one from zero). */
export function ticksBetween(before, after) {
  let sum = 0;
  for (const [pid, ticks] of after) sum += Math.max(0, ticks - (before.get(pid) ?? 0));
  return sum;
}

/**
 * CPU ms a piece of work cost: what the processes spent over its window, less what they spend idle
 * (an equally long quiet window just before; scaled, should the work's window be longer).
 */
export function workCpuMs({ busyTicks, busyMs, idleTicks, idleMs, clockTicks }) {
  if (!(clockTicks > 0) || !(idleMs > 0)) return null;
  const busy = (busyTicks * 1000) / clockTicks;
  const idle = ((idleTicks * 1000) / clockTicks) * (busyMs / idleMs);
  return Math.max(0, busy - idle);
}

// ── Cost ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Cloudflare's published prices beyond the Workers Paid plan's included usage, in USD per million
 * units (looked up on the date below; docs/cost.md lists the pages).
 */
export const PRICES = {
  lookedUp: "2026-12-05",
  workersRequests: 0.3,
  workersCpuMs: 0.02,
  durableObjectRequests: 0.15,
  durableObjectGbSeconds: 12.5,
  durableObjectRowsWritten: 1.0,
  queueOperations: 0.4,
  d1RowsWritten: 1.0,
  /** Durable Object duration is billed for 128 MB, whatever is used (128 MB / 1 GB, as the pricing page computes it). */
  durableObjectGb: 0.128,
};

/**
 * USD per million shipments, per item and in all, from what one shipment costs: a count per shipment
 * times the price per million units is the cost per million shipments. The included usage of the
 * plan (and its $5 a month) is left out: this is the marginal cost.
 */
export function costPerMillion(perShipment, prices = PRICES) {
  const items = {
    workers_requests: perShipment.workerRequests * prices.workersRequests,
    workers_cpu: perShipment.cpuMs * prices.workersCpuMs,
    durable_object_requests: perShipment.doRequests * prices.durableObjectRequests,
    durable_object_duration: (perShipment.doWallMs / 1000) * prices.durableObjectGb * prices.durableObjectGbSeconds,
    durable_object_rows_written: perShipment.doRowsWritten * prices.durableObjectRowsWritten,
    queue_operations: perShipment.queueOps * prices.queueOperations,
    d1_rows_written: perShipment.d1RowsWritten * prices.d1RowsWritten,
  };
  if (Object.values(items).some((v) => !Number.isFinite(v))) return { total: null, items };
  return { total: Object.values(items).reduce((a, b) => a + b, 0), items };
}

/**
 * Per delivered shipment of the metered paced registration: what the meters counted (`metered`: the
 * bench build's /bench/meter and /bench/d1 answers and the phase's CPU ms), and its cost. Null when
 * nothing was metered or delivered.
 */
export function perShipment({ delivered, metered }) {
  const n = delivered;
  const m = metered;
  if (!m || n === 0) return null;
  const classes = Object.entries(m.meter.classes).sort(([a], [b]) => a.localeCompare(b));
  const sum = (pick) => classes.reduce((total, [, c]) => total + pick(c), 0);
  const per = {
    doRequests: sum((c) => c.calls + c.alarms) / n,
    doWallMs: sum((c) => c.wallMs) / n,
    doRowsWritten: sum((c) => c.rowsWritten) / n,
    queueOps: (m.meter.queue.writes + m.meter.queue.reads + m.meter.queue.deletes) / n,
    d1RowsWritten: m.d1.rowsWritten / n,
    d1Transactions: m.d1.transactions / n,
    workerRequestsMeasured: m.meter.workerRequests / n,
    // A real provider's delivery report reaches the Worker as one more request; the simulator's reaches the order directly.
    workerRequests: m.meter.workerRequests / n + 1,
    cpuMs: m.cpuMs === null ? Number.NaN : m.cpuMs / n,
  };
  return { n, classes, per, cost: costPerMillion(per) };
}

/**
 * Durable Object requests (stub calls and alarms, every metered class) per verification of the
 * verification phase, counted as do_requests_per_shipment is: each verification's start, its SMS's
 * hand-over and report, one right check and what they wrote behind. The phase alternates the starts with
 * plain registrations, which its meter counts too: their share (the registrations delivered × the plain
 * phase's `doRequestsPerShipment`) is taken off first, the rest divided by the verifications approved.
 * Null when the phase, its meter or the plain figure is missing, or nothing was approved.
 */
export function doRequestsPerVerification(verify, doRequestsPerShipment) {
  if (!verify?.metered || !(verify.approved > 0) || doRequestsPerShipment === null || doRequestsPerShipment === undefined) return null;
  const total = Object.values(verify.metered.meter.classes).reduce((sum, c) => sum + c.calls + c.alarms, 0);
  return (total - verify.registrationsDelivered * doRequestsPerShipment) / verify.approved;
}

// ── Targets ───────────────────────────────────────────────────────────────────────────────────

const ratioOf = (a, b) => (a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b);

/**
 * The targets, each a figure or a ratio of two figures of one run, and whether it is met (null: not
 * measured in this run).
 */
export function targets(f) {
  const check = (name, value, limit, meets) => ({ name, value, limit, met: value === null || value === undefined ? null : meets(value) });
  // Both from one phase, the organisations alternating (scripts/bench/paced.mjs, pacedLimitsOnAndOff).
  const limitsRatio = ratioOf(f.paced_register_p50_ms_limits_on, f.paced_register_p50_ms_no_limits);
  const verificationExtra =
    f.do_requests_per_verification === null || f.do_requests_per_verification === undefined || f.do_requests_per_shipment === null || f.do_requests_per_shipment === undefined
      ? null
      : f.do_requests_per_verification - f.do_requests_per_shipment;
  return [
    check("paced_register_p50_ms / paced_floor_p50_ms", ratioOf(f.paced_register_p50_ms, f.paced_floor_p50_ms), "≤ 1.5", (v) => v <= 1.5),
    check("paced_register_p99_ms / paced_floor_p99_ms", ratioOf(f.paced_register_p99_ms, f.paced_floor_p99_ms), "≤ 2", (v) => v <= 2),
    // The same two ratios from one phase, registration and floor alternating (no drift between phases).
    check("paced_register_p50_ms_interleaved / paced_floor_p50_ms_interleaved (one phase)", ratioOf(f.paced_register_p50_ms_interleaved, f.paced_floor_p50_ms_interleaved), "≤ 1.5", (v) => v <= 1.5),
    check("paced_register_p99_ms_interleaved / paced_floor_p99_ms_interleaved (one phase)", ratioOf(f.paced_register_p99_ms_interleaved, f.paced_floor_p99_ms_interleaved), "≤ 2", (v) => v <= 2),
    check("paced_register_p50_ms_d1_slow / paced_register_p50_ms", ratioOf(f.paced_register_p50_ms_d1_slow, f.paced_register_p50_ms), "≤ 1.2", (v) => v <= 1.2),
    check("paced_register_p50_ms_limits_on / paced_register_p50_ms_no_limits (one phase)", limitsRatio, "within 10 %", (v) => Math.abs(v - 1) <= 0.1),
    check("do_requests_per_shipment", f.do_requests_per_shipment, "≤ 6", (v) => v <= 6),
    check("cpu_ms_per_shipment / cpu_ms_per_order_floor", ratioOf(f.cpu_ms_per_shipment, f.cpu_ms_per_order_floor), "≤ 3", (v) => v <= 3),
    // At the paced rate, as the other latency targets: the saturated phases measure their own queueing.
    check("paced_dispatch_p50_ms (201 → hand-over)", f.paced_dispatch_p50_ms, "≤ 25 ms", (v) => v <= 25),
    check("paced_dispatch_p99_ms (201 → hand-over)", f.paced_dispatch_p99_ms, "≤ 100 ms", (v) => v <= 100),
    check("replay_rps / bare_rps", f.replay_bare_ratio, "≥ 0.5", (v) => v >= 0.5),
    check("errors", f.errors, "0", (v) => v === 0),
    check("duplicate_handovers", f.duplicate_handovers, "0", (v) => v === 0),
    check("callback_p99_ms", f.callback_p99_ms, "≤ 1000 ms", (v) => v <= 1000),
    check("d1_txn_per_shipment", f.d1_txn_per_shipment, "≤ 0.5", (v) => v <= 0.5),
    // Verifications (issue 28): the start against the registrations of the same phase, the check against the floor.
    check("paced_verify_start_p50_ms / paced_register_p50_ms_beside_verify (one phase)", ratioOf(f.paced_verify_start_p50_ms, f.paced_register_p50_ms_beside_verify), "≤ 1.2", (v) => v <= 1.2),
    check("paced_verify_check_p50_ms / paced_floor_p50_ms", ratioOf(f.paced_verify_check_p50_ms, f.paced_floor_p50_ms), "≤ 1.2", (v) => v <= 1.2),
    check("do_requests_per_verification − do_requests_per_shipment", verificationExtra, "≤ 3", (v) => v <= 3),
  ];
}
