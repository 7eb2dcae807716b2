// The rules of a statistics range, judged by arithmetic: any range, however long, costs the same, and
// the list of days cannot be built for more than MAX_DAYS.
import { describe, expect, it } from "vitest";
import { daysBetween } from "../../../src/stats/figures";
import { dayCount, dayProblem, defaultFrom, MAX_DAYS, rangeProblem } from "../../../src/stats/range";

describe("a statistics day", () => {
  it.each([
    ["2026-12-07", null],
    ["2000-01-01", null],
    ["2099-12-31", null],
    ["2024-02-29", null],
    ["1999-12-31", "Must be a day from 2000-01-01 to 2099-12-31."],
    ["2100-01-01", "Must be a day from 2000-01-01 to 2099-12-31."],
    ["0000-01-01", "Must be a day from 2000-01-01 to 2099-12-31."],
    ["9999-12-31", "Must be a day from 2000-01-01 to 2099-12-31."],
    ["2026-02-30", "Must be a date as YYYY-MM-DD."],
    ["2026-13-01", "Must be a date as YYYY-MM-DD."],
    ["2025-02-29", "Must be a date as YYYY-MM-DD."],
    ["yesterday", "Must be a date as YYYY-MM-DD."],
    ["+020000-01-01", "Must be a date as YYYY-MM-DD."],
    ["2026-1-1", "Must be a date as YYYY-MM-DD."],
  ])("%s: %s", (day, problem) => {
    expect(dayProblem(day)).toBe(problem);
  });
});

describe("a statistics range", () => {
  it.each([
    ["2026-01-01", "2026-04-02", null], // 92 days, both ends counted
    ["2026-01-01", "2026-04-03", "At most 92 days, both ends counted."],
    ["2026-12-07", "2026-12-07", null],
    ["2026-03-02", "2026-03-01", "Must not be after to."],
    ["2000-01-01", "2099-12-31", "At most 92 days, both ends counted."],
    ["0000-01-01", "9999-12-31", "At most 92 days, both ends counted."], // refused by arithmetic, whatever the days
  ])("%s to %s: %s", (from, to, problem) => {
    expect(rangeProblem(from, to)).toBe(problem);
  });

  it("counts days by arithmetic, across leap days and years, both ends included", () => {
    expect(dayCount("2026-01-01", "2026-04-02")).toBe(92);
    expect(dayCount("2024-02-28", "2024-03-01")).toBe(3);
    expect(dayCount("2026-12-31", "2027-01-01")).toBe(2);
    expect(dayCount("0000-01-01", "9999-12-31")).toBe(3_652_425);
    for (const [from, to] of [["2026-01-01", "2026-04-02"], ["2024-01-15", "2024-03-20"], ["2099-10-01", "2099-12-31"]] as const) {
      expect(dayCount(from, to)).toBe(daysBetween(from, to).length);
    }
  });

  it("defaults to the last 7 days, never before 2000-01-01", () => {
    expect(defaultFrom("2026-12-07")).toBe("2026-12-01");
    expect(defaultFrom("2026-03-02")).toBe("2026-02-24");
    expect(defaultFrom("2000-01-03")).toBe("2000-01-01");
  });

  it("never becomes a list of more than MAX_DAYS days, however it is asked for", () => {
    expect(daysBetween("2026-01-01", "2026-04-02")).toHaveLength(MAX_DAYS);
    expect(() => daysBetween("2026-01-01", "2026-04-03")).toThrow(RangeError);
    expect(() => daysBetween("0000-01-01", "9999-12-31")).toThrow(RangeError);
  });
});
