// The soak's judgement of a verification's final state against the checks it was sent
// (scripts/lib/verification-outcomes.mjs): each case a final state, the checks and what is wrong.
import { describe, expect, it } from "vitest";
import { verificationProblems, type SentCheck } from "../../../scripts/lib/verification-outcomes.mjs";

/** A final view; `attempts`: the checks judged, by default those the case answered 200. */
const view = (status: string, maxAttempts = 3, attempts?: number) => ({ status, maxAttempts, attempts: attempts ?? -1 });
const judgedIn = (checks: SentCheck[]) => checks.filter((c) => c.http === 200).length;
const right = (status = "approved", http = 200): SentCheck => ({ right: true, http, status });
const wrong = (attemptsLeft: number): SentCheck => ({ right: false, http: 200, status: "denied", attemptsLeft });
const late = (right: boolean, status: string): SentCheck => ({ right, http: 410, status });
const lost = (right: boolean): SentCheck => ({ right, http: 0 });

describe("a verification's final state, explained by its checks", () => {
  it.each([
    { name: "approved by a right code", status: "approved", checks: [right()] },
    { name: "approved after wrong codes", status: "approved", checks: [wrong(2), wrong(1), right()] },
    { name: "approved, a second right code answered 410 approved", status: "approved", checks: [right(), late(true, "approved")] },
    { name: "max_attempts after as many wrong codes, a right one then refused", status: "max_attempts", checks: [wrong(2), wrong(1), wrong(0), late(true, "max_attempts")] },
    { name: "expired with no check", status: "expired", checks: [] },
    { name: "expired after fewer wrong codes than attempts", status: "expired", checks: [wrong(2)] },
    { name: "expired, a right code checked too late", status: "expired", checks: [late(true, "expired")] },
    { name: "approved where the right code's answer was lost", status: "approved", checks: [lost(true), late(true, "approved")] },
    { name: "max_attempts where a wrong code's answer was lost", status: "max_attempts", checks: [wrong(2), lost(false), wrong(0)] },
    { name: "expired where a wrong code's answer was lost", status: "expired", checks: [lost(false)] },
  ])("$name: explained", ({ status, checks }) => {
    expect(verificationProblems(view(status, 3, judgedIn(checks)), checks, 3)).toEqual([]);
  });

  it("counts a check whose answer was lost as judged or not", () => {
    const checks = [wrong(2), lost(false), wrong(0)];
    expect(verificationProblems(view("max_attempts", 3, 3), checks, 3)).toEqual([]);
    expect(verificationProblems(view("expired", 3, 2), [wrong(2), lost(false)], 3)).toEqual([]);
    expect(verificationProblems(view("expired", 3, 1), [wrong(2), lost(false)], 3)).toEqual([]);
  });

  it.each([
    { name: "still pending", status: "pending", checks: [], problem: "not final (pending)" },
    { name: "approved without a right code approved", status: "approved", checks: [wrong(2)], problem: "approved, but no right code was approved" },
    { name: "two approved answers", status: "approved", checks: [right(), right()], problem: "2 approved answers" },
    { name: "a wrong code approved", status: "approved", checks: [{ right: false, http: 200, status: "approved" }], problem: "check 1 (wrong code) approved" },
    { name: "a right code denied", status: "expired", checks: [{ right: true, http: 200, status: "denied", attemptsLeft: 2 }], problem: "check 1 (right code) denied" },
    { name: "approved after the attempts ran out", status: "approved", checks: [wrong(2), wrong(1), wrong(0), right()], problem: "check 4 (right code) approved after 3 wrong codes" },
    { name: "max_attempts too early", status: "max_attempts", checks: [wrong(2), wrong(1)], problem: "max_attempts after 2 wrong codes of 3" },
    { name: "max_attempts though approved", status: "max_attempts", checks: [right()], problem: "max_attempts, but a right code was approved" },
    { name: "expired though approved", status: "expired", checks: [right()], problem: "expired, but a right code was approved" },
    { name: "expired though the attempts ran out", status: "expired", checks: [wrong(2), wrong(1), wrong(0)], problem: "expired, but 3 wrong codes of 3 were checked" },
    { name: "a denial that did not count", status: "expired", checks: [wrong(2), wrong(2)], problem: "check 2 (wrong code) denied with attemptsLeft 2, expected 1" },
    { name: "a 410 that disagrees with GET", status: "approved", checks: [right(), late(true, "expired")], problem: "check 2 (right code) answered 410 expired, the verification is approved" },
    { name: "a check answered 404", status: "expired", checks: [{ right: true, http: 404 }], problem: "check 1 (right code) answered 404" },
    { name: "attempts that count a 410", status: "approved", checks: [right(), late(true, "approved")], attempts: 2, problem: "attempts 2, 1 checks judged" },
    { name: "attempts that miss a denial", status: "expired", checks: [wrong(2)], attempts: 0, problem: "attempts 0, 1 checks judged" },
  ])("$name: $problem", ({ status, checks, problem, attempts }) => {
    expect(verificationProblems(view(status, 3, attempts ?? judgedIn(checks)), checks, 3)).toContain(problem);
  });

  it("holds GET's maxAttempts to what the verification was started with", () => {
    expect(verificationProblems(view("expired", 5, 0), [], 3)).toEqual(["maxAttempts 5, started with 3"]);
  });
});
