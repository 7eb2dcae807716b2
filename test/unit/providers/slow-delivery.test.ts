// The slow-delivery rule and the provider selection, as pure functions
// (src/providers/failover/slow-delivery.ts, selection.ts).
import { describe, expect, it } from "vitest";
import { BREAKER } from "../../../src/providers/failover/breaker";
import { handOverSequence, type HealthVerdict } from "../../../src/providers/failover/selection";
import {
  combinedFigures,
  isDegraded,
  isOverdue,
  organisationCounts,
  SLOW,
  slowFigures,
  slowSettings,
  type Delivery,
  type SlowFigures,
  type Tally,
} from "../../../src/providers/failover/slow-delivery";

const S = 1000; // ms
const now = 1_000_000 * S;
const slowMs = SLOW.slowMs;

describe("isOverdue", () => {
  it.each<[string, Pick<Delivery, "acceptedAt" | "reportedAt">, boolean]>([
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

describe("organisationCounts (one organisation's own aged hand-overs to a provider)", () => {
  it.each<[string, Tally, boolean]>([
    ["nothing aged", { aged: 0, overdue: 0 }, false],
    ["one overdue of one: not enough (at least 2)", { aged: 1, overdue: 1 }, false],
    ["two overdue of two", { aged: 2, overdue: 2 }, true],
    ["two overdue of six (33 %)", { aged: 6, overdue: 2 }, true],
    ["three overdue of ten (30 %)", { aged: 10, overdue: 3 }, true],
    ["two overdue of seven (29 %): under 30 %", { aged: 7, overdue: 2 }, false],
    ["29 overdue of 100: under 30 %", { aged: 100, overdue: 29 }, false],
  ])("%s", (_name, tally, counts) => {
    expect(organisationCounts(tally)).toBe(counts);
  });
});

describe("slowFigures", () => {
  const overdue = (ageMs: number, organisation: string | null = "org-a", sandbox = false): Delivery => ({ acceptedAt: now - ageMs, reportedAt: null, organisation, sandbox });
  const timely = (ageMs: number, organisation: string | null = "org-a"): Delivery => ({ acceptedAt: now - ageMs, reportedAt: now - ageMs + 1 * S, organisation, sandbox: false });
  const times = (n: number, delivery: Delivery) => Array<Delivery>(n).fill(delivery);

  it.each<[string, Delivery[], SlowFigures]>([
    ["nothing", [], { aged: 0, overdue: 0, organisations: 0 }],
    ["too young to judge", [overdue(slowMs - 1), timely(1 * S)], { aged: 0, overdue: 0, organisations: 0 }],
    ["aged, some overdue", [overdue(slowMs), timely(slowMs), timely(2 * slowMs)], { aged: 3, overdue: 1, organisations: 0 }],
    ["the window is keyed on acceptance: accepted 10 minutes ago or more is out", [overdue(SLOW.windowMs), overdue(SLOW.windowMs - 1), overdue(slowMs)], { aged: 2, overdue: 2, organisations: 1 }],
    ["one organisation, twelve overdue: it counts once", times(12, overdue(slowMs)), { aged: 12, overdue: 12, organisations: 1 }],
    [
      "each organisation is judged on its own hand-overs",
      [...times(2, overdue(slowMs, "org-a")), ...times(2, overdue(slowMs, "org-b")), timely(slowMs, "org-b"), overdue(slowMs, "org-c"), ...times(2, timely(slowMs, "org-c")), ...times(2, overdue(slowMs, "org-d")), ...times(5, timely(slowMs, "org-d"))],
      { aged: 15, overdue: 7, organisations: 2 }, // a: 2/2, b: 2/3 count; c: 1 overdue, d: 2/7 (29 %) do not
    ],
    ["sandbox recipients never count, in any figure", [...times(12, overdue(slowMs, "org-a", true)), ...times(12, overdue(slowMs, "org-b", true)), timely(slowMs)], { aged: 1, overdue: 0, organisations: 0 }],
    ["hand-overs noted without an organisation (an earlier version) are one unknown organisation", [...times(6, overdue(slowMs, null)), ...times(6, overdue(slowMs, null))], { aged: 12, overdue: 12, organisations: 1 }],
    ["the unknown organisation counts beside the known ones", [...times(4, overdue(slowMs, null)), ...times(4, overdue(slowMs, "org-a")), ...times(4, overdue(slowMs, "org-b"))], { aged: 12, overdue: 12, organisations: 3 }],
  ])("%s", (_name, deliveries, figures) => {
    expect(slowFigures(deliveries, now)).toEqual(figures);
  });
});

describe("combinedFigures", () => {
  it("adds the organisations' tallies and counts those that count", () => {
    expect(combinedFigures([{ aged: 4, overdue: 4 }, { aged: 10, overdue: 2 }, { aged: 3, overdue: 1 }, { aged: 2, overdue: 2 }])).toEqual({ aged: 19, overdue: 9, organisations: 2 });
    expect(combinedFigures([])).toEqual({ aged: 0, overdue: 0, organisations: 0 });
  });
});

describe("isDegraded", () => {
  it.each<[string, boolean, SlowFigures, boolean]>([
    ["healthy, fewer than 10 aged, all overdue: not enough to judge", false, { aged: 9, overdue: 9, organisations: 3 }, false],
    ["healthy, 10 aged, 3 overdue (30 %), 3 organisations: degraded", false, { aged: 10, overdue: 3, organisations: 3 }, true],
    ["healthy, 10 aged, 2 overdue (20 %): stays healthy", false, { aged: 10, overdue: 2, organisations: 3 }, false],
    ["healthy, 100 aged, 29 overdue: stays healthy", false, { aged: 100, overdue: 29, organisations: 3 }, false],
    ["healthy, 100 aged, 30 overdue, 3 organisations: degraded", false, { aged: 100, overdue: 30, organisations: 3 }, true],
    ["healthy, 12 aged, all overdue, but 1 organisation counts: stays healthy", false, { aged: 12, overdue: 12, organisations: 1 }, false],
    ["healthy, 100 aged, all overdue, but 2 organisations count: stays healthy", false, { aged: 100, overdue: 100, organisations: 2 }, false],
    ["healthy, 100 aged, 50 overdue, 7 organisations: degraded", false, { aged: 100, overdue: 50, organisations: 7 }, true],
    ["degraded, 100 aged, 29 overdue: stays degraded (no flapping)", true, { aged: 100, overdue: 29, organisations: 3 }, true],
    ["degraded, 100 aged, 10 overdue (10 %): stays degraded", true, { aged: 100, overdue: 10, organisations: 0 }, true],
    ["degraded, 100 aged, 9 overdue (under 10 %): healthy again", true, { aged: 100, overdue: 9, organisations: 3 }, false],
    ["degraded, fewer than 10 aged left in the window: healthy again", true, { aged: 9, overdue: 9, organisations: 3 }, false],
    ["degraded, nothing left in the window: healthy again", true, { aged: 0, overdue: 0, organisations: 0 }, false],
  ])("%s", (_name, was, figures, is) => {
    expect(isDegraded(was, figures)).toBe(is);
  });

  it("needs SLOW_MIN_ORGANISATIONS organisations to degrade: 1 lets one organisation do it", () => {
    const one = slowSettings({ SLOW_MIN_ORGANISATIONS: "1" });
    expect(isDegraded(false, { aged: 12, overdue: 12, organisations: 1 }, one)).toBe(true);
    expect(isDegraded(false, { aged: 12, overdue: 12, organisations: 0 }, one)).toBe(false);
    expect(isDegraded(false, { aged: 12, overdue: 12, organisations: 4 }, slowSettings({ SLOW_MIN_ORGANISATIONS: "5" }))).toBe(false);
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
    expect(slowSettings({ SLOW_REPORT_SECONDS: value }).slowMs).toBe(ms);
  });

  it.each([
    ["3", 3],
    ["1", 1],
    ["10", 10],
    [undefined, 3],
    ["", 3],
    ["0", 3],
    ["-2", 3],
    ["2.5", 3],
    ["two", 3],
  ])("SLOW_MIN_ORGANISATIONS=%j is %d", (value, organisations) => {
    expect(slowSettings({ SLOW_MIN_ORGANISATIONS: value }).minOrganisations).toBe(organisations);
  });

  it("keeps the other thresholds", () => {
    expect(slowSettings({ SLOW_REPORT_SECONDS: "5", SLOW_MIN_ORGANISATIONS: "2" })).toEqual({ ...SLOW, slowMs: 5_000, minOrganisations: 2 });
    expect(SLOW).toMatchObject({ minAged: 10, degradeShare: 0.3, recoverShare: 0.1, organisationMinOverdue: 2, organisationShare: 0.3, minOrganisations: 3 });
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
