// The bench's report writer (scripts/bench/report.mjs): the JSON fields `npm run bench -- --json` prints
// and the markdown, from one run's results alone. The field names are the ones the bench printed before
// its split (scripts/bench.mjs, issue 29): a field may be added, never renamed or dropped.
import { describe, expect, it } from "vitest";
import { benchFigures, benchMarkdown } from "../../../scripts/bench/report.mjs";

/** Every field of the JSON line, as the bench printed them before the split (in its order). */
const FIELDS = [
    "seconds", "connections", "dispatch_connections", "bare_rps", "bare_p50_ms", "bare_p99_ms", "floor_rps",
    "floor_p50_ms", "floor_p99_ms", "floor_queue_p50_ms", "floor_queue_p99_ms", "register_rps", "register_p50_ms",
    "register_p99_ms", "register_floor_ratio", "register_rps_no_limits", "replay_rps", "replay_p50_ms",
    "replay_p99_ms", "replay_bare_ratio", "get_rps", "get_p50_ms", "get_p99_ms", "burst_dispatch_p50_ms",
    "burst_dispatch_p99_ms", "burst_final_p50_ms", "burst_final_p99_ms", "burst_samples", "dispatch_rps",
    "dispatch_samples", "dispatch_p50_ms", "dispatch_p99_ms", "final_samples", "final_p50_ms", "final_p99_ms",
    "handed_over_during_load", "not_final", "duplicate_handovers", "order_floor_rps", "order_floor_p50_ms",
    "order_floor_p99_ms", "d1_txn_per_shipment", "d1_txn_sustained", "paced_rate", "paced_floor_p50_ms",
    "paced_floor_p99_ms", "paced_register_p50_ms", "paced_register_p99_ms", "paced_final_p50_ms",
    "paced_final_p99_ms", "paced_register_p50_ms_subscribed", "paced_register_p99_ms_subscribed",
    "paced_register_p50_ms_feed_polled", "paced_register_p99_ms_feed_polled", "paced_register_p50_ms_d1_slow",
    "paced_register_p99_ms_d1_slow", "paced_register_p50_ms_no_limits", "paced_register_p99_ms_no_limits",
    "paced_register_p50_ms_limits_on", "paced_register_p99_ms_limits_on", "paced_register_p50_ms_interleaved",
    "paced_register_p99_ms_interleaved", "paced_floor_p50_ms_interleaved", "paced_floor_p99_ms_interleaved",
    "paced_dispatch_p50_ms", "paced_dispatch_p99_ms", "paced_seconds", "paced_report_delay_ms", "paced_delivered",
    "do_requests_per_shipment", "do_requests_by_class", "do_wall_ms_per_shipment", "do_rows_written_per_shipment",
    "queue_ops_per_shipment", "d1_rows_written_per_shipment", "paced_d1_txn_per_shipment",
    "worker_requests_per_shipment", "cpu_ms_per_shipment", "cpu_ms_per_order_floor", "cost_per_million_usd",
    "cost_per_million_usd_by_item", "prices_looked_up", "paced_samples", "paced_not_final", "feed_lag_p50_ms",
    "feed_lag_p99_ms", "feed_samples", "callback_p50_ms", "callback_p99_ms", "callback_samples", "peak_rss_mb",
    "foreign_workerd_max", "runtime_s", "targets", "targets_met", "targets_not_met", "errors",
    // Added with the verification phase (issue 28).
    "paced_verify_start_p50_ms", "paced_verify_start_p99_ms", "paced_register_p50_ms_beside_verify",
    "paced_register_p99_ms_beside_verify", "paced_verify_check_p50_ms", "paced_verify_check_p99_ms",
    "paced_verify_started", "paced_verify_approved", "do_requests_per_verification", "do_requests_by_class_verify",
];

const load = (rps: number, p50: number, p99: number, errors = 0) => ({
  rps, total: rps * 2, p50, p99, errors, non2xx: errors, socketErrors: 0, timeouts: 0, statusCodes: { 200: rps * 2 }, seconds: 2, connections: 4,
});
const paced = (latencies: number[], errors = 0) => ({ latencies, ids: new Set(latencies.map((_, i) => `id-${i}`)), errors });

/** What a metered phase read: per class [calls, alarms, wall ms, rows written]; `n` queue operations of each kind, alarms later, D1 transactions ÷ 2. */
function aMeter(classes: Record<string, [number, number, number, number]>, n: number) {
  const meterClasses = Object.fromEntries(Object.entries(classes).map(([name, [calls, alarms, wallMs, rowsWritten]]) => [name, { calls, alarms, wallMs, rowsWritten }]));
  return {
    meter: { classes: meterClasses, queue: { writes: n, reads: n, deletes: n }, workerRequests: n },
    d1: { rowsWritten: 4 * n, transactions: n / 2 },
    alarms: { due: 0, later: n, waitedMs: 0 },
  };
}

/** One run's results, shaped as scripts/bench/paced.mjs and saturated.mjs return them. */
function aRun({ metered = true, subscribed = true, verify = true } = {}) {
  return {
    settings: {
      SECONDS: 2, CONNECTIONS: 4, DISPATCH_CONNECTIONS: 20, WARMUP_SECONDS: 1, PACED_SECONDS: 3, PACED_REPORT_DELAY_MS: 1000,
      D1_SLOW_MS: 150, FEED_POLL_MS: 100, BURSTS: 10, ALARM_HORIZON_MS: 60_000, RECIPIENTS: "+4799xxxxxx",
    },
    machine: { nproc: 2, model: "test CPU", memGb: 8, node: "v22.0.0" },
    versions: { wrangler: "4.0.0", workerd: "1.0.0", autocannon: "8.0.0" },
    load1: "0.50",
    rss: { peakMb: 512.34, foreignMax: 0 },
    runtimeS: 61.26,
    paced: {
      rate: 4,
      floor: paced([10, 12, 14, 30]),
      floorCpuMs: 40,
      register: paced([15, 16, 18, 45]),
      toFinal: [1100, 1200, 1300],
      toHandover: [5, 6, 7, 20],
      delivered: 4,
      metered: metered
        ? {
            ...aMeter({ ShardWriter: [4, 4, 40, 12], OrderObject: [12, 0, 120, 40] }, 4),
            cpuMs: 120,
          }
        : null,
      notFinal: 1,
      noLimits: paced([14, 15, 17, 40]),
      limitsOn: paced([15, 16, 18, 44]),
      interleaved: { register: [16, 17, 19, 50], floor: [11, 12, 13, 25], errors: 0 },
      observed: paced([16, 17, 20, 48]),
      polled: paced([15, 17, 19, 47]),
      feedLag: [40, 60, 80],
      callbackLag: subscribed ? [30, 50, 70] : null,
      slow: paced([17, 18, 20, 52]),
      // 4 verifications approved beside 2 registrations delivered: 40 requests, less 2 × 5, is 7.5 each.
      verify: verify
        ? {
            start: [18, 19, 21, 50],
            registerBeside: [15, 16, 18, 46],
            check: [12, 13, 15, 33],
            started: 4,
            approved: 4,
            verificationsDelivered: 4,
            registrationsDelivered: 2,
            metered: aMeter({ OrderObject: [16, 0, 160, 50], VerificationObject: [12, 0, 60, 20], ShardWriter: [6, 6, 60, 18] }, 6),
            missedInOutbox: 0,
            errors: 0,
          }
        : null,
      errors: 0,
    },
    saturated: {
      bare: load(4000, 1, 3),
      primitive: load(800, 5, 12),
      floorQueue: { count: 1600, p50: 8, p99: 30, max: 40 },
      orderFloor: load(1200, 3, 9),
      register: load(300, 12, 40),
      registerNoLimits: load(320, 11, 38),
      replay: load(2500, 2, 6),
      get: load(2600, 2, 5),
      burst: { toHandover: [4, 5, 9], toFinal: [20, 25, 40], errors: 0, count: 3 },
      dispatch: { run: load(280, 60, 150), accepted: 560, toHandover: [10, 20, 90], toFinal: [30, 40, 120], handedDuringLoad: 550, duplicateHandovers: 0, d1Transactions: 100 },
    },
  };
}

describe("the JSON figures", () => {
  it("are exactly the fields the bench printed before, whatever was measured", () => {
    for (const run of [aRun(), aRun({ metered: false, subscribed: false, verify: false })]) {
      expect(Object.keys(benchFigures(run)).sort()).toEqual([...FIELDS].sort());
    }
  });

  it.each([
    // field, value from the run above
    ["paced_register_p50_ms", 16],
    ["paced_register_p99_ms", 45],
    ["paced_dispatch_p99_ms", 20],
    ["register_floor_ratio", 0.375],
    ["replay_bare_ratio", 0.625],
    ["dispatch_p50_ms", 20],
    ["final_p99_ms", 120],
    ["not_final", 557],
    ["d1_txn_per_shipment", 33.33],
    ["do_requests_per_shipment", 5],
    ["queue_ops_per_shipment", 3],
    ["cpu_ms_per_shipment", 30],
    ["cpu_ms_per_order_floor", 10],
    ["callback_p99_ms", 70],
    ["peak_rss_mb", 512.3],
    ["paced_verify_start_p50_ms", 19],
    ["paced_verify_start_p99_ms", 50],
    ["paced_register_p50_ms_beside_verify", 16],
    ["paced_verify_check_p50_ms", 13],
    ["paced_verify_check_p99_ms", 33],
    ["paced_verify_approved", 4],
    ["do_requests_per_verification", 7.5],
    ["runtime_s", 61.3],
  ])("%s is %d", (field, value) => {
    expect(benchFigures(aRun())[field]).toBe(value);
  });

  it("leave what was not measured null, and count the targets judged", () => {
    const figures = benchFigures(aRun({ metered: false, subscribed: false, verify: false }));
    expect(figures).toMatchObject({ do_requests_per_shipment: null, cost_per_million_usd: null, callback_p50_ms: null, callback_samples: null });
    expect(figures).toMatchObject({ paced_verify_start_p50_ms: null, paced_verify_check_p99_ms: null, paced_verify_approved: null, do_requests_per_verification: null, do_requests_by_class_verify: null });
    const targets = figures.targets as { met: boolean | null }[];
    expect(figures.targets_met).toBe(targets.filter((t) => t.met === true).length);
    expect(figures.targets_not_met).toBe(targets.filter((t) => t.met === false).length);
  });
});

describe("the markdown", () => {
  it("has the measurements, the work per shipment, its cost and the targets", () => {
    const run = aRun();
    const text = benchMarkdown(run, benchFigures(run));
    for (const heading of ["## npm run bench", "### Work per delivered SMS (paced registration, 4 delivered)", "### Cost per million shipments", "### Targets (ratios within this run)"]) {
      expect(text).toContain(heading);
    }
    expect(text).toMatch(/\| Paced 4\/s: register +\| – +\| 16 +\| 45 /);
    expect(text).toMatch(/\| Sustained: 201 → provider hand-over +\| – +\| 20 +\| 90 /);
    expect(text).toMatch(/\| Paced 4\/s: verification start \(alternating with register\) +\| – +\| 19 +\| 50 +\| 1\.19 × the next row's p50 /);
    expect(text).toMatch(/\| Paced 4\/s: verification check \(right code\) +\| – +\| 13 +\| 33 +\| 1\.08 × paced floor p50 /);
    expect(text).toContain("Verification phase: 40 Durable Object requests (OrderObject 16, ShardWriter 12, VerificationObject 12) for 4 verifications approved");
  });

  it("says so when the build has no verifications", () => {
    const run = aRun({ verify: false });
    expect(benchMarkdown(run, benchFigures(run))).toMatch(/\| Paced 4\/s: verification start \(alternating with register\) +\| – +\| – +\| – +\| – +\| – +\| no verifications API in this build /);
  });

  it("says so when nothing was metered", () => {
    const run = aRun({ metered: false });
    expect(benchMarkdown(run, benchFigures(run))).toContain("(No delivered shipment in the metered paced phase: no work per shipment or cost.)");
  });
});
