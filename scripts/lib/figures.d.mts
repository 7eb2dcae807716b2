/** Types of scripts/lib/figures.mjs (used by test/bench/figures.test.ts). */
export function percentile(values: number[], p: number): number | null;

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

export interface Target {
  name: string;
  value: number | null;
  limit: string;
  met: boolean | null;
}
export function targets(figures: Record<string, number | null | undefined>): Target[];
