// When an order's alarm must next fire, as a pure function of its state.
import type { RecipientStatus } from "../status/statuses";
import { isFinal } from "../status/transitions";
import { backoff, type Backoff } from "../retry/backoff";
import { retentionMs, setting } from "../config/settings";

export { setting } from "../config/settings";

export type Handover = "waiting" | "claimed" | "in_doubt" | "accepted" | "done";

export interface LifecycleState {
  channel: "sms" | "email";
  status: RecipientStatus;
  handover: Handover;
  deadline: number;
  dispatch_at: number;
  enqueued: number;
  /** How often the alarm has put a new dispatch message on the queue: each wait for one grows. */
  redispatches: number;
  claim_until: number;
  attempts: number;
  last_update: number;
  created_at: number;
}

export interface Timings {
  /** SMS: how long after the deadline a final report may still come before SMS_Failed_TTL. */
  reportGraceMs: number;
  emailLifetimeMs: number;
  /** Upper bound of one provider call (the remaining lifetime bounds it too). */
  providerTimeoutMs: number;
  /** A claim's lease is the call's timeout plus this margin. */
  leaseMarginMs: number;
  /** An enqueued dispatch not claimed by then is taken as lost and enqueued again (doubling, capped). */
  lostMessageAfterMs: number;
  lostMessageCapMs: number;
  /** Retry of a hand-off to the shard writer that failed. */
  syncRetryMs: number;
  /** How long a final shipment (and so its idempotency key) is kept. */
  retentionMs: number;
}

export function timings(env: Pick<Env, "SMS_REPORT_GRACE_SECONDS" | "RETENTION_DAYS" | "PROVIDER_TIMEOUT_MS">): Timings {
  return {
    reportGraceMs: setting(env.SMS_REPORT_GRACE_SECONDS, 300, 0) * 1000,
    emailLifetimeMs: 48 * 3600 * 1000,
    providerTimeoutMs: setting(env.PROVIDER_TIMEOUT_MS, 10_000, 1),
    leaseMarginMs: 5_000,
    lostMessageAfterMs: 5_000,
    lostMessageCapMs: 60_000,
    syncRetryMs: 2_000,
    retentionMs: retentionMs(env),
  };
}

/** The next moment something can be due, or null when the order needs no more wake-ups. */
export function nextWake(s: LifecycleState, t: Timings, unsynced: boolean, now: number): number | null {
  const candidates: number[] = [];
  // On a coarse grid, so the changes of one burst do not each move the alarm.
  if (unsynced) candidates.push(Math.ceil((now + t.syncRetryMs) / 1_000) * 1_000);
  if (isFinal(s.status)) candidates.push(s.created_at + t.retentionMs);
  else {
    const reportDeadline = reportDeadlineOf(s, t);
    switch (s.handover) {
      case "waiting":
        candidates.push(s.deadline, redispatchAt(s, t));
        break;
      case "claimed":
        candidates.push(s.claim_until, reportDeadline);
        break;
      case "in_doubt":
      case "accepted":
      case "done":
        candidates.push(reportDeadline);
        break;
    }
  }
  return candidates.length === 0 ? null : Math.min(...candidates);
}

/** After this, a shipment handed over without a final report fails with TTL (SMS: the deadline plus the report grace). */
export function reportDeadlineOf(s: Pick<LifecycleState, "channel" | "deadline">, t: Pick<Timings, "reportGraceMs">): number {
  return s.channel === "sms" ? s.deadline + t.reportGraceMs : s.deadline;
}

/** When a waiting shipment needs a dispatch message: a retry that is due, or an enqueued one taken as lost. */
export function redispatchAt(s: Pick<LifecycleState, "dispatch_at" | "enqueued" | "redispatches">, t: Pick<Timings, "lostMessageAfterMs" | "lostMessageCapMs">): number {
  return s.enqueued ? s.dispatch_at + lostMessageWait(s.redispatches, t) : s.dispatch_at;
}

/** How long an enqueued dispatch may go unclaimed before it is enqueued again: 5 s, 10 s, 20 s, … 60 s. */
export function lostMessageWait(redispatches: number, t: Pick<Timings, "lostMessageAfterMs" | "lostMessageCapMs">): number {
  return backoff({ baseMs: t.lostMessageAfterMs, capMs: t.lostMessageCapMs }, redispatches);
}

/** When an alarm that failed runs again: 1 s, 2 s, 4 s, … 60 s (its own backoff, not the platform's retries). */
export const ALARM_RETRY: Backoff = { baseMs: 1_000, capMs: 60_000 };

export function retryAfterFailure(failures: number): number {
  return backoff(ALARM_RETRY, failures - 1);
}
