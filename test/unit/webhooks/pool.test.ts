// The callback object's pool, with fake tasks: never more than `limit` at once, continuous (a task
// starts as soon as one ends, not when a batch ends), and each task's timeout starts at its own start.
import { describe, expect, it } from "vitest";
import { Pool, type Task } from "../../../src/webhooks/pool";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `durations` fake tasks handed out one by one; records when each started and ended, and the most running at once. */
function fakeTasks(durations: number[]) {
  const t0 = Date.now();
  const log = { started: [] as number[], ended: [] as number[], running: 0, most: 0, aborted: [] as boolean[] };
  let i = 0;
  const next = (): Task | null => {
    if (i >= durations.length) return null;
    const n = i++;
    return async (signal) => {
      log.started[n] = Date.now() - t0;
      log.most = Math.max(log.most, ++log.running);
      await wait(durations[n]!);
      log.aborted[n] = signal.aborted;
      log.running--;
      log.ended[n] = Date.now() - t0;
    };
  };
  return { next, log };
}

describe("Pool", () => {
  it("runs at most `limit` tasks at once, and all of them", async () => {
    const { next, log } = fakeTasks(Array.from({ length: 20 }, (_, i) => 10 + (i % 3) * 10));
    const pool = new Pool(6, 1_000, () => {});
    await pool.fill(next);
    expect(log.ended.filter((e) => e !== undefined)).toHaveLength(20);
    expect(log.most).toBe(6);
    expect(pool.inFlight).toBe(0);
  });

  it("starts the 7th as soon as the first ends, not when the first six have ended", async () => {
    const { next, log } = fakeTasks([20, 300, 300, 300, 300, 300, 10]);
    await new Pool(6, 1_000, () => {}).fill(next);
    expect(log.started[6]! - log.ended[0]!).toBeLessThan(15); // right after the first
    expect(log.started[6]!).toBeLessThan(log.ended[1]!); // long before the batch's others end
  });

  it("each task's timeout starts when it starts, not when it was queued", async () => {
    // One at a time, 60 ms each, 100 ms timeout: the third starts at ~120 ms, past 100 ms after the first queued.
    const { next, log } = fakeTasks([60, 60, 60]);
    await new Pool(1, 100, () => {}).fill(next);
    expect(log.started[2]!).toBeGreaterThanOrEqual(100);
    expect(log.aborted).toEqual([false, false, false]);
    const slow = fakeTasks([150]);
    await new Pool(1, 100, () => {}).fill(slow.next);
    expect(slow.log.aborted).toEqual([true]); // and it does time out
  });

  it("a task that fails is reported and its place taken by the next", async () => {
    const errors: unknown[] = [];
    const tasks: Task[] = [async () => Promise.reject(new Error("boom")), () => { throw new Error("sync boom"); }, async () => {}];
    let ran = 0;
    await new Pool(1, 1_000, (e) => errors.push(e)).fill(() => {
      const task = tasks.shift();
      if (!task) return null;
      return (signal) => (ran++, task(signal));
    });
    expect(ran).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom", "sync boom"]);
  });

  it("resolves at once when there is nothing to run", async () => {
    const pool = new Pool(6, 1_000, () => {});
    await pool.fill(() => null);
    expect(pool.inFlight).toBe(0);
  });
});
