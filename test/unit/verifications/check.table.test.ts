// Every verification status × every kind of check (right, wrong, late), through the pure decision; each
// row ends in the answer, the new status and how the verification ended now. Then the last attempt, the
// expiry, and that a decision never changes the state it was given.
import { describe, expect, it } from "vitest";
import type { VerificationStatus } from "../../../src/status/verification";
import { decideCheck, decideExpiry, type CheckAnswer, type CheckState } from "../../../src/verifications/decide/check";

const T0 = 1_000_000;
const EXPIRES = T0 + 300_000;
const IN_TIME = EXPIRES - 1;
const APPROVED_AT = T0 + 10_000;

function stateOf(status: VerificationStatus, patch: Partial<CheckState> = {}): CheckState {
  const attempts = status === "max_attempts" ? 5 : 2;
  return { status, attempts, maxAttempts: 5, expiresAtMs: EXPIRES, approvedAtMs: status === "approved" ? APPROVED_AT : null, ...patch };
}

type Check = "right" | "wrong" | "late right" | "late wrong";
const inputOf: Record<Check, { right: boolean; now: number }> = {
  right: { right: true, now: IN_TIME },
  wrong: { right: false, now: IN_TIME },
  "late right": { right: true, now: EXPIRES }, // at expiresAt exactly: already too late
  "late wrong": { right: false, now: EXPIRES + 60_000 },
};

// status        check          answer                                         status after    attempts  ended
const TABLE: [VerificationStatus, Check, CheckAnswer, VerificationStatus, number, string | null][] = [
  ["pending",      "right",      { kind: "approved", attemptsLeft: 2 },           "approved",     3,        "approved"],
  ["pending",      "wrong",      { kind: "denied", attemptsLeft: 2 },             "pending",      3,        null],
  ["pending",      "late right", { kind: "not_pending", status: "expired" },      "expired",      2,        "expired"],
  ["pending",      "late wrong", { kind: "not_pending", status: "expired" },      "expired",      2,        "expired"],
  ["approved",     "right",      { kind: "not_pending", status: "approved" },     "approved",     2,        null],
  ["approved",     "wrong",      { kind: "not_pending", status: "approved" },     "approved",     2,        null],
  ["approved",     "late right", { kind: "not_pending", status: "approved" },     "approved",     2,        null],
  ["approved",     "late wrong", { kind: "not_pending", status: "approved" },     "approved",     2,        null],
  ["expired",      "right",      { kind: "not_pending", status: "expired" },      "expired",      2,        null],
  ["expired",      "wrong",      { kind: "not_pending", status: "expired" },      "expired",      2,        null],
  ["expired",      "late right", { kind: "not_pending", status: "expired" },      "expired",      2,        null],
  ["expired",      "late wrong", { kind: "not_pending", status: "expired" },      "expired",      2,        null],
  ["max_attempts", "right",      { kind: "not_pending", status: "max_attempts" }, "max_attempts", 5,        null],
  ["max_attempts", "wrong",      { kind: "not_pending", status: "max_attempts" }, "max_attempts", 5,        null],
  ["max_attempts", "late right", { kind: "not_pending", status: "max_attempts" }, "max_attempts", 5,        null],
  ["max_attempts", "late wrong", { kind: "not_pending", status: "max_attempts" }, "max_attempts", 5,        null],
];

describe("decideCheck: every status × every check", () => {
  it.each(TABLE)("%s, %s check → %j, %s, %i attempts, ended %s", (status, check, answer, after, attempts, ended) => {
    const before = stateOf(status);
    const decision = decideCheck(before, inputOf[check]);
    expect(decision.answer).toEqual(answer);
    expect(decision.state.status).toBe(after);
    expect(decision.state.attempts).toBe(attempts);
    expect(decision.ended).toBe(ended);
    // approvedAt is set by an approval only, and never moved afterwards.
    expect(decision.state.approvedAtMs).toBe(after === "approved" ? (status === "approved" ? APPROVED_AT : IN_TIME) : null);
    // What does not change with a check.
    expect(decision.state.maxAttempts).toBe(before.maxAttempts);
    expect(decision.state.expiresAtMs).toBe(before.expiresAtMs);
    // Nothing changes for a verification that has already ended: the same state comes back.
    if (status !== "pending") expect(decision.state).toEqual(before);
  });
});

describe("decideCheck: the attempts", () => {
  it("counts down one by one, and the last wrong attempt answers denied with 0 left and ends it", () => {
    let state = stateOf("pending", { attempts: 0, maxAttempts: 3 });
    const answers: CheckAnswer[] = [];
    const ends: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = decideCheck(state, { right: false, now: IN_TIME });
      answers.push(decision.answer);
      ends.push(decision.ended);
      state = decision.state;
    }
    expect(answers).toEqual([
      { kind: "denied", attemptsLeft: 2 },
      { kind: "denied", attemptsLeft: 1 },
      { kind: "denied", attemptsLeft: 0 },
    ]);
    expect(ends).toEqual([null, null, "max_attempts"]);
    expect(state).toMatchObject({ status: "max_attempts", attempts: 3 });
    // The next check, right or wrong, is told it is no longer pending.
    expect(decideCheck(state, { right: true, now: IN_TIME }).answer).toEqual({ kind: "not_pending", status: "max_attempts" });
  });

  it("approves a right code on the last attempt, with 0 left", () => {
    const decision = decideCheck(stateOf("pending", { attempts: 4, maxAttempts: 5 }), { right: true, now: IN_TIME });
    expect(decision.answer).toEqual({ kind: "approved", attemptsLeft: 0 });
    expect(decision.state).toMatchObject({ status: "approved", attempts: 5, approvedAtMs: IN_TIME });
    expect(decision.ended).toBe("approved");
  });

  it("with a single attempt, one wrong code ends it", () => {
    const decision = decideCheck(stateOf("pending", { attempts: 0, maxAttempts: 1 }), { right: false, now: T0 });
    expect(decision.answer).toEqual({ kind: "denied", attemptsLeft: 0 });
    expect(decision.ended).toBe("max_attempts");
  });

  it("approves exactly once: a second right code after the approval is not pending", () => {
    const first = decideCheck(stateOf("pending"), { right: true, now: IN_TIME - 5 });
    const second = decideCheck(first.state, { right: true, now: IN_TIME });
    expect([first.answer.kind, second.answer.kind]).toEqual(["approved", "not_pending"]);
    expect(second.state.approvedAtMs).toBe(IN_TIME - 5);
    expect(second.ended).toBeNull();
  });

  it("a late check does not count as an attempt, even when the last attempt is left", () => {
    const decision = decideCheck(stateOf("pending", { attempts: 4 }), { right: false, now: EXPIRES });
    expect(decision.state).toMatchObject({ status: "expired", attempts: 4 });
    expect(decision.answer).toEqual({ kind: "not_pending", status: "expired" });
  });
});

describe("decideExpiry", () => {
  // status          now            status after    ended
  const EXPIRY: [VerificationStatus, number, VerificationStatus, string | null][] = [
    ["pending",      IN_TIME,       "pending",      null],
    ["pending",      EXPIRES,       "expired",      "expired"],
    ["pending",      EXPIRES + 1,   "expired",      "expired"],
    ["approved",     EXPIRES + 1,   "approved",     null],
    ["expired",      EXPIRES + 1,   "expired",      null],
    ["max_attempts", EXPIRES + 1,   "max_attempts", null],
  ];
  it.each(EXPIRY)("%s at %i → %s, ended %s", (status, now, after, ended) => {
    const before = stateOf(status);
    const decision = decideExpiry(before, now);
    expect(decision.state).toEqual({ ...before, status: after });
    expect(decision.ended).toBe(ended);
  });
});

describe("a decision never changes the state it is given", () => {
  const statuses: VerificationStatus[] = ["pending", "approved", "expired", "max_attempts"];
  it.each(statuses)("%s", (status) => {
    for (const check of Object.values(inputOf)) {
      const before = Object.freeze(stateOf(status, { attempts: 4 }));
      const copy = { ...before };
      decideCheck(before, check);
      decideExpiry(before, check.now);
      expect(before).toEqual(copy);
    }
  });
});
