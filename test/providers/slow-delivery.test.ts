// The slow-delivery rule and the provider selection, as pure functions
// (src/providers/failover/slow-delivery.ts, selection.ts).
import { describe, expect, it } from "vitest";
import { BREAKER } from "../../src/providers/failover/breaker";
import { handOverSequence, type HealthVerdict } from "../../src/providers/failover/selection";
import { isDegraded, isOverdue, SLOW, slowFigures, slowSettings, type Delivery } from "../../src/providers/failover/slow-delivery";

const S = 1000; // ms
const now = 1_000_000 * S;
const slowMs = SLOW.slowMs;

describe("isOverdue", () => {
  it.each<[string, Delivery, boolean]>([
    ["not yet at the age: never overdue, even without a report", { acceptedAt: now - slowMs + 1, reportedAt: null }, false],
    ["at the age without a report", { acceptedAt: now - slowMs, reportedAt: null }, true],
    ["past the age without a report", { acceptedAt: now - 5 * slowMs, reportedAt: null }, true],
    ["reported just in time", { acceptedAt: now - 2 * slowMs, reportedAt: now - slowMs - 1 }, false],
    ["reported exactly at the age (no report had come by then)", { acceptedAt: now - 2 * slowMs, reportedAt: now - slowMs }, true],
    ["reported late: it was slow, and stays overdue", { acceptedAt: now - 3 * slowMs, reportedAt: now - slowMs }, true],
  ])("%s", (_name, delivery, overdue) => {
    expect(isOverdue(delivery, now)).toBe(overdue);
  });
});

describe("slowFigures", () => {
  const overdue = (ageMs: number): Delivery => ({ acceptedAt: now - ageMs, reportedAt: null });
  const timely = (ageMs: number): Delivery => ({ acceptedAt: now - ageMs, reportedAt: now - ageMs + 1 * S });

  it.each<[string, Delivery[], { aged: number; overdue: number }]>([
    ["nothing", [], { aged: 0, overdue: 0 }],
    ["too young to judge", [overdue(slowMs - 1), timely(1 * S)], { aged: 0, overdue: 0 }],
    ["aged, some overdue", [overdue(slowMs), timely(slowMs), timely(2 * slowMs)], { aged: 3, overdue: 1 }],
    ["the window is keyed on acceptance: accepted 10 minutes ago or more is out", [overdue(SLOW.windowMs), overdue(SLOW.windowMs - 1)], { aged: 1, overdue: 1 }],
  ])("%s", (_name, deliveries, figures) => {
    expect(slowFigures(deliveries, now)).toEqual(figures);
  });
});

describe("isDegraded", () => {
  it.each<[string, boolean, { aged: number; overdue: number }, boolean]>([
    ["healthy, fewer than 10 aged, all overdue: not enough to judge", false, { aged: 9, overdue: 9 }, false],
    ["healthy, 10 aged, 3 overdue (30 %): degraded", false, { aged: 10, overdue: 3 }, true],
    ["healthy, 10 aged, 2 overdue (20 %): stays healthy", false, { aged: 10, overdue: 2 }, false],
    ["healthy, 100 aged, 29 overdue: stays healthy", false, { aged: 100, overdue: 29 }, false],
    ["healthy, 100 aged, 30 overdue: degraded", false, { aged: 100, overdue: 30 }, true],
    ["degraded, 100 aged, 29 overdue: stays degraded (no flapping)", true, { aged: 100, overdue: 29 }, true],
    ["degraded, 100 aged, 10 overdue (10 %): stays degraded", true, { aged: 100, overdue: 10 }, true],
    ["degraded, 100 aged, 9 overdue (under 10 %): healthy again", true, { aged: 100, overdue: 9 }, false],
    ["degraded, fewer than 10 aged left in the window: healthy again", true, { aged: 9, overdue: 9 }, false],
    ["degraded, nothing left in the window: healthy again", true, { aged: 0, overdue: 0 }, false],
  ])("%s", (_name, was, figures, is) => {
    expect(isDegraded(was, figures)).toBe(is);
  });
});

describe("slowSettings", () => {
  it.each([
    ["60", 60_000],
    ["2", 2_000],
    [undefined, 60_000],
    ["", 60_000],
    ["0", 60_000],
    ["1.5", 60_000],
    ["abc", 60_000],
  ])("SLOW_REPORT_SECONDS=%j is %d ms", (value, ms) => {
    expect(slowSettings(value).slowMs).toBe(ms);
  });
});

describe("handOverSequence", () => {
  const configured = ["primary", "secondary", "third"];
  const noProbe = { circuit: 0.99, slow: 0.99 };
  const healthy = { circuit: "closed", degraded: false } as const;
  const degraded = { circuit: "closed", degraded: true } as const;
  const open = { circuit: "open", degraded: false } as const;

  it.each<[string, HealthVerdict, string[]]>([
    ["all healthy: the configured order", {}, ["primary", "secondary", "third"]],
    ["a degraded primary goes after the healthy ones", { primary: degraded }, ["secondary", "third", "primary"]],
    ["an open circuit goes last, after a degraded one", { primary: open, secondary: degraded }, ["third", "secondary", "primary"]],
    ["every one degraded: the configured order (slow beats nothing)", { primary: degraded, secondary: degraded, third: degraded }, ["primary", "secondary", "third"]],
    ["degraded or open: the first whose circuit is not open", { primary: open, secondary: degraded, third: open }, ["secondary", "primary", "third"]],
    ["degraded and open: open first decides", { primary: { circuit: "open", degraded: true }, secondary: degraded, third: open }, ["secondary", "primary", "third"]],
    ["every circuit open: the configured order", { primary: open, secondary: open, third: open }, ["primary", "secondary", "third"]],
    ["a half-open provider that is not degraded is used", { primary: degraded, secondary: { circuit: "half_open", degraded: false } }, ["third", "secondary", "primary"]],
    ["an unknown provider counts as healthy", { other: degraded }, ["primary", "secondary", "third"]],
  ])("%s", (_name, verdict, order) => {
    expect(handOverSequence(configured, verdict, noProbe)).toEqual(order);
  });

  it("sends about 1 in 10 hand-overs to a degraded provider first, as a probe", () => {
    const verdict = { primary: degraded, secondary: healthy };
    expect(handOverSequence(configured, verdict, { circuit: 0.99, slow: SLOW.probeRate - 0.001 })).toEqual(["primary", "secondary", "third"]);
    expect(handOverSequence(configured, verdict, { circuit: 0.99, slow: SLOW.probeRate })).toEqual(["secondary", "third", "primary"]);
    const probes = Array.from({ length: 1000 }, (_, i) => handOverSequence(configured, verdict, { circuit: 0.99, slow: i / 1000 })[0]).filter((p) => p === "primary");
    expect(probes).toHaveLength(100);
  });

  it("does not probe a degraded provider whose circuit is open", () => {
    expect(handOverSequence(configured, { primary: { circuit: "open", degraded: true } }, { circuit: 0, slow: 0 })).toEqual(["secondary", "third", "primary"]);
  });

  it("keeps the breaker's half-open probe among the providers that qualify", () => {
    const verdict = { primary: { circuit: "half_open", degraded: false } } as const;
    expect(handOverSequence(configured, verdict, { circuit: BREAKER.probeRate - 0.01, slow: 0.99 })).toEqual(["primary", "secondary", "third"]);
    expect(handOverSequence(configured, verdict, { circuit: BREAKER.probeRate, slow: 0.99 })).toEqual(["secondary", "third", "primary"]);
  });
});
