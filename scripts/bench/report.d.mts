/** Types of scripts/bench/report.mjs (used by test/unit/bench/report.test.ts). */

/** One run as the bench gathered it: its settings, the machine, the paced and saturated phases' results. */
export type BenchRun = Record<string, unknown>;
export function benchFigures(run: BenchRun): Record<string, unknown>;
export function benchMarkdown(run: BenchRun, figures: Record<string, unknown>): string;
export function verificationFigures(paced: Record<string, unknown>): Record<string, number | null>;
export function verifyOnlyFigures(paced: Record<string, unknown>): Record<string, unknown>;
