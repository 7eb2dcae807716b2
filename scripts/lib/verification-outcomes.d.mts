/** Types of scripts/lib/verification-outcomes.mjs (used by test/unit/bench/verification-outcomes.test.ts). */
export const FINAL_STATUSES: string[];

export interface SentCheck {
  right: boolean;
  /** 0: the answer was lost (the crash soak). */
  http: number;
  status?: string;
  attemptsLeft?: number;
}
export function verificationProblems(view: { status: string; maxAttempts: number; attempts: number } | null, checks: SentCheck[], maxAttempts: number): string[];
