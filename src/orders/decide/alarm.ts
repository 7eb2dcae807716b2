// The alarm, the safety net that makes every shipment final: it settles an expired claim, fails what
// passed its deadline (SMS: plus the report grace), re-dispatches a due retry or a lost queue message,
// and forgets the order once retention is over. When it must next fire is lifecycle.ts's `nextWake`.
import { isFinal } from "../../status/transitions";
import { redispatchAt, reportDeadlineOf, retryAfterFailure, type Timings } from "../lifecycle";
import { finalizeTtl, settleExpiredClaim } from "./dispatch";
import { Draft, unchanged, type Decision, type OrderState } from "./state";

export function decideAlarm(s: OrderState, now: number, t: Timings): Decision<void> {
  const d = new Draft(s, now);
  if (isFinal(s.status)) {
    if (now >= s.created_at + t.retentionMs) d.effect({ kind: "forget" });
    return d.done(undefined);
  }
  if (s.handover === "claimed" && now >= s.claim_until) settleExpiredClaim(d, "alarm", "claim expired without an answer");
  const current = d.state;
  if (current.handover === "waiting" && now >= current.deadline) finalizeTtl(d, "deadline passed before hand-over");
  else if (current.handover !== "waiting" && now >= reportDeadlineOf(current, t)) finalizeTtl(d, "no final report by the deadline");
  else if (current.handover === "waiting" && now >= redispatchAt(current, t)) {
    // A retry is due, or the queue message seems lost: stored first, then a new one goes on the queue
    // (if that send fails, the next alarm takes the message as lost and sends again).
    d.set({ enqueued: 1, dispatch_at: now, redispatches: current.redispatches + 1 }).effect({ kind: "enqueue" });
  }
  return d.done(undefined);
}

/** An alarm run that failed (a queue send, the shard writer): its own backoff, never past an upcoming deadline. */
export function decideAlarmFailure(s: OrderState, now: number): Decision<{ retryAt: number }> {
  const failures = s.alarm_failures + 1;
  const deadline = !isFinal(s.status) && s.deadline > now ? s.deadline : Infinity;
  return new Draft(s, now).set({ alarm_failures: failures }).done({ retryAt: Math.min(now + retryAfterFailure(failures), deadline) });
}

/** An alarm run that succeeded: its failure count starts again. */
export function decideAlarmSucceeded(s: OrderState, now: number): Decision<void> {
  return s.alarm_failures > 0 ? new Draft(s, now).set({ alarm_failures: 0 }).done(undefined) : unchanged(s, undefined);
}
