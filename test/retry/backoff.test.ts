import { describe, expect, it } from "vitest";
import { RECORD_RETRY } from "../../src/dispatch/dispatch";
import { ALARM_RETRY, lostMessageWait, retryAfterFailure, timings } from "../../src/orders/lifecycle";
import { LOOKUP_RETRY } from "../../src/reports/email-events";
import { REPORT_RETRY } from "../../src/reports/queue";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, DISPATCH_RETRY, backoff, retryDelay } from "../../src/retry/backoff";
import { HANDOFF_RETRY } from "../../src/store/callback-handoffs";
import { D1_RETRY } from "../../src/store/shard-writer";

const far = Number.MAX_SAFE_INTEGER;

describe("backoff", () => {
  it.each([
    // schedule, retry, wait
    [{ baseMs: 100, capMs: 1_000 }, 0, 100],
    [{ baseMs: 100, capMs: 1_000 }, 1, 200],
    [{ baseMs: 100, capMs: 1_000 }, 3, 800],
    [{ baseMs: 100, capMs: 1_000 }, 4, 1_000],
    [{ baseMs: 100, capMs: 1_000 }, 1e9, 1_000],
    [{ baseMs: 100, capMs: 1_000 }, -3, 100],
    [{ baseMs: 100, capMs: Infinity }, 16, 100 * 2 ** 16],
    [{ baseMs: 100, capMs: Infinity }, 17, 100 * 2 ** 16],
    [{ baseMs: 500, capMs: 200 }, 0, 200],
  ])("%o before retry %d waits %d", (schedule, retry, wait) => {
    expect(backoff(schedule, retry)).toBe(wait);
  });
});

// Every schedule's documented numbers, by the counter its caller passes.
describe("the service's retry schedules", () => {
  const t = timings({ SMS_REPORT_GRACE_SECONDS: "", RETENTION_DAYS: "", PROVIDER_TIMEOUT_MS: "" });
  it.each([
    ["dispatch ceiling, attempt 1", backoff(DISPATCH_RETRY, 1 - 1), 200],
    ["dispatch ceiling, attempt 2", backoff(DISPATCH_RETRY, 2 - 1), 400],
    ["dispatch ceiling, attempt 8", backoff(DISPATCH_RETRY, 8 - 1), 25_600],
    ["dispatch ceiling, attempt 9", backoff(DISPATCH_RETRY, 9 - 1), 30_000],
    ["recording, after try 1", backoff(RECORD_RETRY, 0), 50],
    ["recording, after try 2", backoff(RECORD_RETRY, 1), 100],
    ["alarm, failure 0", retryAfterFailure(0), 1_000],
    ["alarm, failure 1", retryAfterFailure(1), 1_000],
    ["alarm, failure 2", retryAfterFailure(2), 2_000],
    ["alarm, failure 6", retryAfterFailure(6), 32_000],
    ["alarm, failure 7", retryAfterFailure(7), 60_000],
    ["alarm, failure 100", retryAfterFailure(100), 60_000],
    ["lost dispatch message, redispatch 0", lostMessageWait(0, t), 5_000],
    ["lost dispatch message, redispatch 1", lostMessageWait(1, t), 10_000],
    ["lost dispatch message, redispatch 3", lostMessageWait(3, t), 40_000],
    ["lost dispatch message, redispatch 4", lostMessageWait(4, t), 60_000],
    ["lost dispatch message, redispatch 50", lostMessageWait(50, t), 60_000],
    ["D1 write, failure 1", backoff(D1_RETRY, 1 - 1), 1_000],
    ["D1 write, failure 5", backoff(D1_RETRY, 5 - 1), 16_000],
    ["D1 write, failure 6", backoff(D1_RETRY, 6 - 1), 30_000],
    ["D1 write, failure 40", backoff(D1_RETRY, 40 - 1), 30_000],
    ["callback hand-off, failure 1", backoff(HANDOFF_RETRY, 0), 1_000],
    ["callback hand-off, failure 5", backoff(HANDOFF_RETRY, 4), 16_000],
    ["callback hand-off, failure 6", backoff(HANDOFF_RETRY, 5), 30_000],
    ["report queue, attempt 1 (s)", backoff(REPORT_RETRY, 1 - 1) / 1000, 2],
    ["report queue, attempt 8 (s)", backoff(REPORT_RETRY, 8 - 1) / 1000, 256],
    ["report queue, attempt 9 (s)", backoff(REPORT_RETRY, 9 - 1) / 1000, 300],
    ["email event lookup, attempt 1 (s)", backoff(LOOKUP_RETRY, 1 - 1) / 1000, 2],
    ["email event lookup, attempt 4 (s)", backoff(LOOKUP_RETRY, 4 - 1) / 1000, 16],
  ])("%s: %d", (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  // The first delay is read one way: every schedule's baseMs is its first wait (docs/architecture.md).
  it.each([
    ["dispatch", DISPATCH_RETRY, 200],
    ["recording", RECORD_RETRY, 50],
    ["alarm", ALARM_RETRY, retryAfterFailure(1)],
    ["lost dispatch message", { baseMs: t.lostMessageAfterMs, capMs: t.lostMessageCapMs }, lostMessageWait(0, t)],
    ["D1 write", D1_RETRY, 1_000],
    ["callback hand-off", HANDOFF_RETRY, 1_000],
    ["report queue", REPORT_RETRY, 2_000],
    ["email event lookup", LOOKUP_RETRY, 2_000],
  ])("%s: baseMs is the first wait", (_name, schedule, first) => {
    expect(schedule.baseMs).toBe(first);
  });
});

describe("retryDelay", () => {
  it("doubles per attempt, with full jitter in the upper half", () => {
    expect(retryDelay(1, 0, far, undefined, () => 0)).toBe(BACKOFF_BASE_MS / 2);
    expect(retryDelay(1, 0, far, undefined, () => 1)).toBe(BACKOFF_BASE_MS);
    expect(retryDelay(3, 0, far, undefined, () => 1)).toBe(BACKOFF_BASE_MS * 4);
  });

  it("never waits longer than the cap", () => {
    expect(retryDelay(40, 0, far, undefined, () => 1)).toBe(BACKOFF_CAP_MS);
  });

  it("honours Retry-After as a lower bound", () => {
    expect(retryDelay(1, 0, far, 5_000, () => 0)).toBe(5_000);
  });

  it("gives up when the next attempt could not start before the deadline", () => {
    expect(retryDelay(1, 1_000, 1_000 + BACKOFF_BASE_MS, undefined, () => 1)).toBeNull();
    expect(retryDelay(1, 1_000, 1_000 + BACKOFF_BASE_MS + 1, undefined, () => 1)).toBe(BACKOFF_BASE_MS);
    expect(retryDelay(1, 0, 3_000, 5_000, () => 0)).toBeNull();
  });
});
