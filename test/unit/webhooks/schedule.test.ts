import { describe, expect, it } from "vitest";
import { afterAttempt, attemptTimeoutMs, leaseUntil, resultOfError, resultOfResponse, RETRY_SCHEDULE_MS } from "../../../src/webhooks/schedule";

const failed = { kind: "failed", httpStatus: 500, reason: "HTTP 500" } as const;

describe("the retry schedule", () => {
  it("is 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    const s = 1000, min = 60 * s, h = 60 * min;
    expect(RETRY_SCHEDULE_MS).toEqual([5 * s, 5 * min, 30 * min, 2 * h, 5 * h, 10 * h, 10 * h]);
  });

  it("waits after each failed attempt by the schedule, then gives up after the 8th attempt", () => {
    const now = 1_000_000;
    const waits: number[] = [];
    for (let attempts = 1; ; attempts++) {
      const next = afterAttempt({ attempts, seriesStart: 0 }, failed, now);
      if (next.state === "failed") {
        expect(attempts).toBe(8);
        expect(next.nextAttemptAt).toBeNull();
        break;
      }
      expect(next.state).toBe("pending");
      waits.push(next.nextAttemptAt! - now);
    }
    expect(waits).toEqual([...RETRY_SCHEDULE_MS]);
  });

  it("starts the schedule again for a series begun by a manual retry", () => {
    expect(afterAttempt({ attempts: 9, seriesStart: 8 }, failed, 0)).toEqual({ state: "pending", nextAttemptAt: 5_000, disable: false });
    expect(afterAttempt({ attempts: 16, seriesStart: 8 }, failed, 0).state).toBe("failed");
  });

  it("takes an injected schedule", () => {
    expect(afterAttempt({ attempts: 1, seriesStart: 0 }, failed, 10, [1, 2])).toMatchObject({ state: "pending", nextAttemptAt: 11 });
    expect(afterAttempt({ attempts: 3, seriesStart: 0 }, failed, 10, [1, 2]).state).toBe("failed");
  });

  it("delivers on 2xx and disables on 410, whatever the attempt", () => {
    expect(afterAttempt({ attempts: 3, seriesStart: 0 }, resultOfResponse(204), 0)).toEqual({ state: "delivered", nextAttemptAt: null, disable: false });
    expect(afterAttempt({ attempts: 1, seriesStart: 0 }, resultOfResponse(410), 0)).toEqual({ state: "failed", nextAttemptAt: null, disable: true });
  });
});

describe("what an answer means", () => {
  it.each([200, 201, 202, 204, 299])("%i delivers", (status) => expect(resultOfResponse(status).kind).toBe("delivered"));
  it.each([301, 302, 307, 308, 400, 404, 409, 429, 500, 503])("%i is a failure to retry (redirects are not followed)", (status) =>
    expect(resultOfResponse(status)).toEqual({ kind: "failed", httpStatus: status, reason: `HTTP ${status}` }),
  );
  it("410 is gone", () => expect(resultOfResponse(410).kind).toBe("gone"));
  it("a timeout and a refused connection are failures without a status", () => {
    expect(resultOfError(new DOMException("timed out", "TimeoutError"))).toEqual({ kind: "failed", reason: "timeout" });
    expect(resultOfError(new TypeError("Network connection lost."))).toEqual({ kind: "failed", reason: "connection failed" });
  });
});

describe("timing settings", () => {
  it("leases an attempt for its timeout plus a margin", () => expect(leaseUntil(1000, 10_000)).toBe(16_000));
  it("times attempts out after 10 s unless configured", () => {
    expect(attemptTimeoutMs({})).toBe(10_000);
    expect(attemptTimeoutMs({ CALLBACK_TIMEOUT_MS: "250" })).toBe(250);
    expect(attemptTimeoutMs({ CALLBACK_TIMEOUT_MS: "zero" })).toBe(10_000);
  });
});
