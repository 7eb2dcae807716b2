// The life of one delivery as pure functions: what an attempt's answer means, and what follows it.
// The Durable Object only reads a row, asks these, and writes the result.
import { setting } from "../config/settings";

/** Waits before the 2nd to the 8th attempt (docs/callbacks.md): about 27.6 hours in all, then `failed`. */
export const RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** A receiver has this long to answer (AbortSignal.timeout). */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** An attempt's lease outlives its timeout by this much; a lease that runs out means the sender died mid-attempt. */
export const LEASE_MARGIN_MS = 5_000;

export type DeliveryState = "pending" | "delivered" | "failed";

/** What one attempt came to. */
export type AttemptResult =
  | { kind: "delivered"; httpStatus: number }
  /** 410 Gone: the receiver asks us to stop; the subscription is disabled. */
  | { kind: "gone"; httpStatus: 410 }
  /** Any other answer (3xx included: redirects are not followed), a timeout, a refused connection, or a sender that died. */
  | { kind: "failed"; httpStatus?: number; reason: string };

export function resultOfResponse(httpStatus: number): AttemptResult {
  if (httpStatus >= 200 && httpStatus < 300) return { kind: "delivered", httpStatus };
  if (httpStatus === 410) return { kind: "gone", httpStatus };
  return { kind: "failed", httpStatus, reason: `HTTP ${httpStatus}` };
}

export function resultOfError(error: unknown): AttemptResult {
  const name = error instanceof Error ? error.name : "";
  return { kind: "failed", reason: name === "TimeoutError" || name === "AbortError" ? "timeout" : "connection failed" };
}

/** The part of a delivery the schedule looks at. */
export interface AttemptCount {
  /** Attempts made so far, the one just finished included. */
  attempts: number;
  /** `attempts` when the current series began (0; a manual retry starts a new series). */
  seriesStart: number;
}

export interface AfterAttempt {
  state: DeliveryState;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: number | null;
  /** The subscription must be disabled (410). */
  disable: boolean;
}

/** What follows an attempt that ended at `now` with `result`. */
export function afterAttempt(count: AttemptCount, result: AttemptResult, now: number, schedule: readonly number[] = RETRY_SCHEDULE_MS): AfterAttempt {
  switch (result.kind) {
    case "delivered":
      return { state: "delivered", nextAttemptAt: null, disable: false };
    case "gone":
      return { state: "failed", nextAttemptAt: null, disable: true };
    case "failed": {
      const wait = schedule[count.attempts - count.seriesStart - 1];
      return wait === undefined ? { state: "failed", nextAttemptAt: null, disable: false } : { state: "pending", nextAttemptAt: now + wait, disable: false };
    }
  }
}

/** The lease of an attempt that starts at `now`: until then nobody else sends it; after it, the alarm takes it as failed. */
export const leaseUntil = (now: number, timeoutMs: number) => now + timeoutMs + LEASE_MARGIN_MS;

/** The attempt timeout (CALLBACK_TIMEOUT_MS, for tests; 10 s by default). */
export const attemptTimeoutMs = (env: Pick<Env, "CALLBACK_TIMEOUT_MS">) => setting(env.CALLBACK_TIMEOUT_MS, DEFAULT_ATTEMPT_TIMEOUT_MS, 1);
