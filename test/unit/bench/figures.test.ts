// The benchmark's pure helpers: percentiles, CPU time from /proc/<pid>/stat, the cost per million
// shipments and the targets (scripts/lib/figures.mjs).
import { describe, expect, it } from "vitest";
import { costPerMillion, doRequestsPerVerification, finalLags, groupTicks, latencyJoin, parseProcStat, percentile, perShipment, PRICES, targets, ticksBetween, workCpuMs } from "../../../scripts/lib/figures.mjs";

describe("percentile", () => {
  it.each([
    { values: [], p: 50, expected: null },
    { values: [7], p: 99, expected: 7 },
    { values: [5, 1, 4, 2, 3], p: 50, expected: 3 },
    { values: [5, 1, 4, 2, 3], p: 99, expected: 5 },
    { values: [5, 1, 4, 2, 3], p: 0, expected: 1 },
    { values: Array.from({ length: 100 }, (_, i) => 100 - i), p: 99, expected: 99 },
  ])("nearest rank: p$p of $values.length values is $expected", ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe("the latency joins, on the service's clock", () => {
  const t0 = Date.parse("2026-12-07T10:00:00.000Z");
  const completed = (ms: number) => ({ status: "Order_Completed", last_update: new Date(t0 + ms).toISOString() });
  const times = {
    answeredAt: { a: t0, b: t0 + 10, c: t0 + 20 }, // d: no 201 time
    handoverTimes: { a: t0 + 5, c: t0 + 28, d: t0 + 1 }, // b: not handed over
    finalsById: new Map([["a", completed(1_000)], ["b", { status: "Order_Processing", last_update: "" }], ["c", completed(1_500)], ["d", completed(9)]]),
  };

  it("joins each 201 with its hand-over and its final status, leaving out what did not happen", () => {
    expect(latencyJoin(["a", "b", "c", "d"], times)).toEqual({ toHandover: [5, 8], toFinal: [1_000, 1_480] });
  });

  it("measures final → seen only for completed shipments that were seen", () => {
    const seen = new Map([["a", { at: t0 + 1_040 }], ["b", { at: t0 + 2_000 }], ["d", { at: t0 + 100 }]]);
    expect(finalLags(["a", "b", "c", "d"], times.finalsById, seen)).toEqual([40, 91]);
  });
});

describe("work per delivered shipment", () => {
  const metered = {
    meter: { classes: { ShardWriter: { calls: 2, alarms: 2, wallMs: 20, rowsWritten: 6 }, OrderObject: { calls: 6, alarms: 0, wallMs: 60, rowsWritten: 20 } }, queue: { writes: 2, reads: 2, deletes: 2 }, workerRequests: 2 },
    d1: { rowsWritten: 8, transactions: 1 },
    cpuMs: 60,
  };

  it("divides every meter by the shipments delivered, classes by name, plus the provider's report as a Worker request", () => {
    const per = perShipment({ delivered: 2, metered });
    expect(per?.classes.map(([name]) => name)).toEqual(["OrderObject", "ShardWriter"]);
    expect(per?.per).toEqual({ doRequests: 5, doWallMs: 40, doRowsWritten: 13, queueOps: 3, d1RowsWritten: 4, d1Transactions: 0.5, workerRequestsMeasured: 1, workerRequests: 2, cpuMs: 30 });
    expect(per?.cost).toEqual(costPerMillion(per!.per));
  });

  it("is unknown when nothing was metered or delivered", () => {
    expect(perShipment({ delivered: 0, metered })).toBeNull();
    expect(perShipment({ delivered: 2, metered: null })).toBeNull();
  });
});

describe("CPU time from /proc/<pid>/stat", () => {
  // Field 14 (utime) = 250 and 15 (stime) = 50 ticks; pgrp (5) = 4242.
  const workerd = "4243 (workerd) S 4242 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 1000 100 18446744073709551615";

  it("reads the state, process group and user and system ticks after the command name", () => {
    expect(parseProcStat(workerd)).toEqual({ pid: 4243, comm: "workerd", state: "S", pgrp: 4242, utime: 250, stime: 50 });
  });

  it("reads a command name with spaces and parentheses whole", () => {
    const odd = "77 (a (b) c) R 1 9 9 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1 1";
    expect(parseProcStat(odd)).toMatchObject({ pid: 77, comm: "a (b) c", state: "R", pgrp: 9, utime: 3, stime: 4 });
  });

  it("refuses a line it cannot read", () => {
    expect(parseProcStat("")).toBeNull();
    expect(parseProcStat("12 (x) S 1")).toBeNull();
  });

  it("sums only the processes of the given groups, and what each spent between two samples", () => {
    const other = "99 (node) S 1 99 99 0 -1 0 0 0 0 0 500 500 0 0 20 0 1 0 1 1 1 1";
    const before = groupTicks([parseProcStat(workerd), parseProcStat(other)], [4242]);
    expect([...before]).toEqual([[4243, 300]]);
    const later = "4243 (workerd) S 4242 4242 4242 0 -1 0 0 0 0 0 400 70 0 0 20 0 1 0 1 1 1 1";
    const born = "4300 (workerd) S 4242 4242 4242 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 1 1 1 1";
    const after = groupTicks([parseProcStat(later), parseProcStat(born), parseProcStat(other)], [4242]);
    expect(ticksBetween(before, after)).toBe(170 + 10);
  });

  it.each([
    { name: "subtracts the quiet window's CPU", w: { busyTicks: 150, busyMs: 10_000, idleTicks: 50, idleMs: 10_000, clockTicks: 100 }, expected: 1000 },
    { name: "scales the quiet window to a longer busy one", w: { busyTicks: 150, busyMs: 20_000, idleTicks: 50, idleMs: 10_000, clockTicks: 100 }, expected: 500 },
    { name: "never goes below zero", w: { busyTicks: 10, busyMs: 10_000, idleTicks: 50, idleMs: 10_000, clockTicks: 100 }, expected: 0 },
    { name: "is unknown without a quiet window", w: { busyTicks: 10, busyMs: 10_000, idleTicks: 0, idleMs: 0, clockTicks: 100 }, expected: null },
  ])("work CPU: $name", ({ w, expected }) => {
    expect(workCpuMs(w)).toBe(expected);
  });
});

describe("cost per million shipments", () => {
  const one = { workerRequests: 0, cpuMs: 0, doRequests: 0, doWallMs: 0, doRowsWritten: 0, queueOps: 0, d1RowsWritten: 0 };

  it.each([
    { item: "workers_requests", per: { workerRequests: 2 }, usd: 0.6 },
    { item: "workers_cpu", per: { cpuMs: 10 }, usd: 0.2 },
    { item: "durable_object_requests", per: { doRequests: 6 }, usd: 0.9 },
    // 1 s of wall time at 128 MB is 0.128 GB-s; a million of them at $12.50 per million GB-s.
    { item: "durable_object_duration", per: { doWallMs: 1000 }, usd: 1.6 },
    { item: "durable_object_rows_written", per: { doRowsWritten: 20 }, usd: 20 },
    { item: "queue_operations", per: { queueOps: 3 }, usd: 1.2 },
    { item: "d1_rows_written", per: { d1RowsWritten: 4 }, usd: 4 },
  ])("$item: a count per shipment times its price per million", ({ item, per, usd }) => {
    const cost = costPerMillion({ ...one, ...per });
    expect(cost.items[item]).toBeCloseTo(usd, 9);
    expect(cost.total).toBeCloseTo(usd, 9);
  });

  it("adds every item, at the prices passed", () => {
    const prices = { ...PRICES, workersRequests: 1, queueOperations: 2 };
    expect(costPerMillion({ ...one, workerRequests: 3, queueOps: 4 }, prices).total).toBeCloseTo(3 + 8, 9);
  });

  it("is unknown when a count is", () => {
    expect(costPerMillion({ ...one, cpuMs: Number.NaN }).total).toBeNull();
  });
});

describe("targets", () => {
  const met = {
    paced_register_p50_ms: 15, paced_floor_p50_ms: 12, paced_register_p99_ms: 40, paced_floor_p99_ms: 30,
    paced_register_p50_ms_interleaved: 18, paced_floor_p50_ms_interleaved: 12, paced_register_p99_ms_interleaved: 50, paced_floor_p99_ms_interleaved: 25,
    paced_register_p50_ms_d1_slow: 16, paced_register_p50_ms_limits_on: 15.95, paced_register_p50_ms_no_limits: 14.5, do_requests_per_shipment: 6,
    cpu_ms_per_shipment: 30, cpu_ms_per_order_floor: 10, paced_dispatch_p50_ms: 25, paced_dispatch_p99_ms: 100,
    replay_bare_ratio: 0.5, errors: 0, duplicate_handovers: 0, callback_p99_ms: 1000, d1_txn_per_shipment: 0.5,
    paced_verify_start_p50_ms: 18, paced_register_p50_ms_beside_verify: 15, paced_verify_check_p50_ms: 14.4, do_requests_per_verification: 9,
  };

  it("are all met at their limits", () => {
    expect(targets(met).map((t) => [t.name, t.met])).toEqual(targets(met).map((t) => [t.name, true]));
  });

  it.each([
    { change: { paced_register_p50_ms: 18.1 }, failing: "paced_register_p50_ms / paced_floor_p50_ms" },
    { change: { paced_register_p99_ms: 61 }, failing: "paced_register_p99_ms / paced_floor_p99_ms" },
    { change: { paced_floor_p50_ms_interleaved: 11.9 }, failing: "paced_register_p50_ms_interleaved / paced_floor_p50_ms_interleaved (one phase)" },
    { change: { paced_register_p99_ms_interleaved: 50.1 }, failing: "paced_register_p99_ms_interleaved / paced_floor_p99_ms_interleaved (one phase)" },
    { change: { paced_register_p50_ms_d1_slow: 18.1 }, failing: "paced_register_p50_ms_d1_slow / paced_register_p50_ms" },
    { change: { paced_register_p50_ms_no_limits: 12 }, failing: "paced_register_p50_ms_limits_on / paced_register_p50_ms_no_limits (one phase)" },
    { change: { paced_register_p50_ms_limits_on: 16.1 }, failing: "paced_register_p50_ms_limits_on / paced_register_p50_ms_no_limits (one phase)" },
    { change: { do_requests_per_shipment: 6.1 }, failing: "do_requests_per_shipment" },
    { change: { cpu_ms_per_shipment: 31 }, failing: "cpu_ms_per_shipment / cpu_ms_per_order_floor" },
    { change: { paced_dispatch_p50_ms: 26 }, failing: "paced_dispatch_p50_ms (201 → hand-over)" },
    { change: { paced_dispatch_p99_ms: 101 }, failing: "paced_dispatch_p99_ms (201 → hand-over)" },
    { change: { replay_bare_ratio: 0.49 }, failing: "replay_rps / bare_rps" },
    { change: { errors: 1 }, failing: "errors" },
    { change: { callback_p99_ms: 1001 }, failing: "callback_p99_ms" },
    { change: { d1_txn_per_shipment: 0.51 }, failing: "d1_txn_per_shipment" },
    { change: { paced_verify_start_p50_ms: 18.1 }, failing: "paced_verify_start_p50_ms / paced_register_p50_ms_beside_verify (one phase)" },
    { change: { paced_register_p50_ms_beside_verify: 14.9 }, failing: "paced_verify_start_p50_ms / paced_register_p50_ms_beside_verify (one phase)" },
    { change: { paced_verify_check_p50_ms: 14.5 }, failing: "paced_verify_check_p50_ms / paced_floor_p50_ms" },
    { change: { do_requests_per_verification: 9.1 }, failing: "do_requests_per_verification − do_requests_per_shipment" },
  ])("$failing is not met past its limit, and only it", ({ change, failing }) => {
    const notMet = targets({ ...met, ...change }).filter((t) => t.met === false).map((t) => t.name);
    expect(notMet).toEqual([failing]);
  });

  it("leaves a target unjudged when its figure was not measured", () => {
    const t = targets({ ...met, callback_p99_ms: null }).find((x) => x.name === "callback_p99_ms");
    expect(t).toMatchObject({ value: null, met: null });
  });

  it("leaves the verification targets unjudged in a build without verifications", () => {
    const none = { paced_verify_start_p50_ms: null, paced_register_p50_ms_beside_verify: null, paced_verify_check_p50_ms: null, do_requests_per_verification: null };
    const judged = targets({ ...met, ...none }).filter((t) => /verif/.test(t.name));
    expect(judged.map((t) => [t.value, t.met])).toEqual([[null, null], [null, null], [null, null]]);
  });
});

describe("Durable Object requests per verification", () => {
  const metered = {
    meter: { classes: { OrderObject: { calls: 30, alarms: 0, wallMs: 0, rowsWritten: 0 }, VerificationObject: { calls: 20, alarms: 2, wallMs: 0, rowsWritten: 0 }, ShardWriter: { calls: 4, alarms: 4, wallMs: 0, rowsWritten: 0 } }, queue: { writes: 0, reads: 0, deletes: 0 }, workerRequests: 0 },
    d1: { rowsWritten: 0, transactions: 0 },
    cpuMs: null,
  };

  it("takes the plain registrations' share off the phase's requests and divides the rest by the verifications approved", () => {
    // 60 requests; 5 registrations at 5.2 each are 26; 34 for 4 verifications.
    expect(doRequestsPerVerification({ approved: 4, registrationsDelivered: 5, metered }, 5.2)).toBeCloseTo(8.5, 9);
  });

  it.each([
    { name: "no phase", verify: null, plain: 5 },
    { name: "no meter", verify: { approved: 4, registrationsDelivered: 5, metered: null }, plain: 5 },
    { name: "nothing approved", verify: { approved: 0, registrationsDelivered: 5, metered }, plain: 5 },
    { name: "no plain figure", verify: { approved: 4, registrationsDelivered: 5, metered }, plain: null },
  ])("is unknown with $name", ({ verify, plain }) => {
    expect(doRequestsPerVerification(verify, plain)).toBeNull();
  });
});
