/** Types of scripts/lib/figures.mjs (used by test/unit/bench/figures.test.ts). */
export function percentile(values: number[], p: number): number | null;
export function round(n: number | null | undefined, digits?: number): number | null;

/** A D1 row as the bench build's /bench/shipments gives it (the part the joins read). */
export interface FinalRow {
  status: string;
  last_update: string;
  recipient_status?: string;
}
export function latencyJoin(
  ids: Iterable<string>,
  times: { answeredAt: Record<string, number>; handoverTimes: Record<string, number>; finalsById: Map<string, FinalRow> },
): { toHandover: number[]; toFinal: number[] };
export function finalLags(ids: Iterable<string>, finalsById: Map<string, FinalRow>, seen: Map<string, { at: number }>): number[];

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  pgrp: number;
  utime: number;
  stime: number;
}
export function parseProcStat(text: string): ProcStat | null;
export function groupTicks(stats: Array<ProcStat | null>, pgids: Iterable<number>): Map<number, number>;
export function ticksBetween(before: Map<number, number>, after: Map<number, number>): number;
export function workCpuMs(window: { busyTicks: number; busyMs: number; idleTicks: number; idleMs: number; clockTicks: number }): number | null;

export interface Prices {
  lookedUp: string;
  workersRequests: number;
  workersCpuMs: number;
  durableObjectRequests: number;
  durableObjectGbSeconds: number;
  durableObjectRowsWritten: number;
  queueOperations: number;
  d1RowsWritten: number;
  durableObjectGb: number;
}
export const PRICES: Prices;
export interface PerShipment {
  workerRequests: number;
  cpuMs: number;
  doRequests: number;
  doWallMs: number;
  doRowsWritten: number;
  queueOps: number;
  d1RowsWritten: number;
}
export function costPerMillion(perShipment: PerShipment, prices?: Prices): { total: number | null; items: Record<string, number> };

export interface DoClassMeter {
  calls: number;
  alarms: number;
  wallMs: number;
  rowsWritten: number;
}
export interface Metered {
  meter: { classes: Record<string, DoClassMeter>; queue: { writes: number; reads: number; deletes: number }; workerRequests: number };
  d1: { rowsWritten: number; transactions: number };
  cpuMs: number | null;
}
export function perShipment(paced: { delivered: number; metered: Metered | null }): {
  n: number;
  classes: Array<[string, DoClassMeter]>;
  per: PerShipment & { d1Transactions: number; workerRequestsMeasured: number };
  cost: { total: number | null; items: Record<string, number> };
} | null;

/** The verification phase as scripts/bench/verifications.mjs returns it (the part the figure reads). */
export interface VerifyPhase {
  approved: number;
  registrationsDelivered: number;
  metered: Metered | null;
}
export function doRequestsPerVerification(verify: VerifyPhase | null, doRequestsPerShipment: number | null | undefined): number | null;

export interface Target {
  name: string;
  value: number | null;
  limit: string;
  met: boolean | null;
}
export function targets(figures: Record<string, number | null | undefined>): Target[];
