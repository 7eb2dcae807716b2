// A check of a typed code, and the expiry, as pure decisions: state in, new state and answer out. The
// verification's object loads the state, compares the code (sameCode), decides, saves, then acts on
// `ended` (erase the code, end its messages, send the `verification.status` callback). Nothing here
// sees the code itself: only whether the guess was right.
import type { VerificationEnd, VerificationStatus } from "../../status/verification";

export interface CheckState {
  status: VerificationStatus;
  /** Every check judged while pending, right or wrong. */
  attempts: number;
  maxAttempts: number;
  expiresAtMs: number;
  approvedAtMs: number | null;
}

export type CheckAnswer =
  | { kind: "approved"; attemptsLeft: number }
  | { kind: "denied"; attemptsLeft: number }
  | { kind: "not_pending"; status: VerificationEnd };

export interface CheckDecision {
  state: CheckState;
  answer: CheckAnswer;
  /** How the verification ended with this check, or null when it did not end now. */
  ended: VerificationEnd | null;
}

/**
 * The guards in order of precedence: an ended verification answers what it ended as; a late check ends
 * it as expired (and does not count); then the guess counts, and is approved or denied, the last wrong
 * one ending it (still answered `denied`, with 0 attempts left).
 */
export function decideCheck(state: CheckState, input: { right: boolean; now: number }): CheckDecision {
  if (state.status !== "pending") return { state, answer: { kind: "not_pending", status: state.status }, ended: null };

  if (input.now >= state.expiresAtMs) {
    return { state: { ...state, status: "expired" }, answer: { kind: "not_pending", status: "expired" }, ended: "expired" };
  }

  const attempts = state.attempts + 1;
  const attemptsLeft = Math.max(0, state.maxAttempts - attempts);
  if (input.right) {
    return {
      state: { ...state, status: "approved", attempts, approvedAtMs: input.now },
      answer: { kind: "approved", attemptsLeft },
      ended: "approved",
    };
  }
  if (attemptsLeft === 0) {
    return { state: { ...state, status: "max_attempts", attempts }, answer: { kind: "denied", attemptsLeft }, ended: "max_attempts" };
  }
  return { state: { ...state, attempts }, answer: { kind: "denied", attemptsLeft }, ended: null };
}

/** The alarm at `expiresAtMs`: a pending verification expires; any other is left as it is. */
export function decideExpiry(state: CheckState, now: number): { state: CheckState; ended: VerificationEnd | null } {
  if (state.status !== "pending" || now < state.expiresAtMs) return { state, ended: null };
  return { state: { ...state, status: "expired" }, ended: "expired" };
}
