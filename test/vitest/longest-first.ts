// Workaround: the test files' order.
// Why: vitest's own order runs the projects one after another (by name), so a long file of a later project
// (twilio) could start late and end the run alone.
// Drop when: vitest's own sequencer orders the files of all projects together, longest first (check: without it,
// a full run ends no later than with it).
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Longest files first, whatever their project: by the last run's durations when every file has one, else by size
 * (a fresh clone has no durations).
 */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const key = (file: TestSpecification) => `${file.project.name}:${relative(config.root, file.moduleId)}`;
    const durations = files.map((file) => cache.getFileTestResults(key(file))?.duration);
    const weights = durations.every((d) => d !== undefined) ? durations : files.map((file) => cache.getFileStats(key(file))?.size ?? Infinity);
    return files.map((file, i) => ({ file, weight: weights[i]! })).sort((a, b) => b.weight - a.weight).map(({ file }) => file);
  }
}
