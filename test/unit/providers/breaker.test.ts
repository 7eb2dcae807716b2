// The circuit breaker's rules, as pure functions (src/providers/failover/breaker.ts).
import { describe, expect, it } from "vitest";
import { asOf, BREAKER, CLOSED, healthyCall, observe, providerOrder, type BreakerState } from "../../../src/providers/failover/breaker";

const run = (start: BreakerState, calls: [at: number, ok: boolean][]) => calls.reduce((s, [at, ok]) => observe(s, { provider: "p", ok, at }), start);

describe("circuit breaker", () => {
  it("opens after enough failures in the window, and not before", () => {
    expect(run(CLOSED, [[1, false], [2, false]]).position).toBe("closed");
    expect(run(CLOSED, [[1, false], [2, false], [3, false]])).toMatchObject({ position: "open", since: 3 });
  });

  it("stays closed while failures are under half of the calls", () => {
    const calls: [number, boolean][] = [1, 2, 3, 4, 5, 6, 7].map((t) => [t, t % 3 !== 0]); // 2 failures in 7
    expect(run(CLOSED, [...calls, [8, false]]).position).toBe("closed"); // 3 of 8
  });

  it("forgets failures older than the window", () => {
    const old = run(CLOSED, [[0, false], [1, false]]);
    expect(observe(old, { provider: "p", ok: false, at: BREAKER.windowMs + 2 }).position).toBe("closed");
  });

  it("is half-open after its open time, closes after enough good probes, and opens again on a bad one", () => {
    const open = run(CLOSED, [[1, false], [2, false], [3, false]]);
    expect(asOf(open, 3 + BREAKER.openMs - 1).position).toBe("open");
    const t = 3 + BREAKER.openMs;
    expect(asOf(open, t).position).toBe("half_open");
    expect(run(open, [[t, true], [t + 1, true]]).position).toBe("half_open");
    expect(run(open, [[t, true], [t + 1, true], [t + 2, true]]).position).toBe("closed");
    expect(run(open, [[t, true], [t + 1, false]])).toMatchObject({ position: "open", since: t + 1 });
  });

  it("counts timeouts, transient answers and slow calls as failures", () => {
    expect(healthyCall("accepted", 100)).toBe(true);
    expect(healthyCall("final", 100)).toBe(true);
    expect(healthyCall("accepted", BREAKER.slowCallMs + 1)).toBe(false);
    expect(healthyCall("transient", 10)).toBe(false);
    expect(healthyCall("unknown", 10)).toBe(false);
  });
});

describe("providerOrder", () => {
  const configured = ["primary", "secondary"];

  it("keeps the preference while all are closed", () => {
    expect(providerOrder(configured, {}, 0)).toEqual(["primary", "secondary"]);
  });

  it("puts an open provider last, yet keeps it as a fallback", () => {
    expect(providerOrder(configured, { primary: "open" }, 0)).toEqual(["secondary", "primary"]);
    expect(providerOrder(configured, { primary: "open", secondary: "open" }, 0)).toEqual(["primary", "secondary"]);
  });

  it("sends a share of hand-overs to a half-open provider first, as probes", () => {
    expect(providerOrder(configured, { primary: "half_open" }, BREAKER.probeRate - 0.01)).toEqual(["primary", "secondary"]);
    expect(providerOrder(configured, { primary: "half_open" }, BREAKER.probeRate)).toEqual(["secondary", "primary"]);
  });
});
