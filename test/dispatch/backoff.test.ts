import { describe, expect, it } from "vitest";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, retryDelay } from "../../src/dispatch/backoff";

const far = Number.MAX_SAFE_INTEGER;

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
