// A verification's checks count against the organisation's request rate, approximately (CONTRACT, "One-time
// codes"): each isolate sums its checks and hands the sum to the organisation's limits object at most
// every FLUSH_MS, behind the answer, so a check costs no call of its own; while the object last said the
// rate is reached, this isolate refuses checks (429 NOT-10002) until it passes. Checks an isolate has not
// handed on when it goes away are not counted: the approximation.
import { log, logError } from "../log";
import type { LimitRefusal } from "./check";
import { rulesFor } from "./check";
import { LIMIT_CODES } from "./codes";
import { limitsFor } from "./config";
import { limitsStub } from "./limits-object";

const FLUSH_MS = 2_000;

interface Tally {
  pending: number;
  flushedAt: number;
  refusedUntil: number;
  flushing: boolean;
}

const tallies = new Map<string, Tally>();

/** Counts one check; a refusal when the organisation's request rate was reached (as this isolate last heard). */
export function countCheck(env: Env, org: string, waitUntil: (work: Promise<unknown>) => void, now = Date.now()): LimitRefusal | null {
  let settings;
  try {
    settings = limitsFor(env, org);
  } catch {
    return null; // an invalid setting is reported where orders register; a check is not held up by it
  }
  if (!settings.enabled) return null;
  const rule = rulesFor(settings, "sms", null, now)[0]!; // the request rate, first of every channel's rules
  let tally = tallies.get(org);
  if (!tally) tallies.set(org, (tally = { pending: 0, flushedAt: 0, refusedUntil: 0, flushing: false }));
  if (tally.refusedUntil > now) {
    const retryAfterSeconds = Math.max(1, Math.ceil((tally.refusedUntil - now) / 1000));
    log("limits.refused", { org, limit: "requests", retryAfterSeconds, of: "check" });
    return { kind: "limited", code: LIMIT_CODES.requests, retryAfterSeconds, detail: `Limit reached: ${rule.description}. Retry after ${retryAfterSeconds} seconds.` };
  }
  tally.pending++;
  if (!tally.flushing && now - tally.flushedAt >= FLUSH_MS) waitUntil(flush(env, org, tally, rule, now));
  return null;
}

async function flush(env: Env, org: string, tally: Tally, rule: ReturnType<typeof rulesFor>[number], now: number): Promise<void> {
  const n = tally.pending;
  tally.pending = 0;
  tally.flushing = true;
  try {
    tally.refusedUntil = (await limitsStub(env, org).countRequests(rule, n, now)).refusedUntil;
  } catch (error) {
    tally.pending += n; // handed on with the next
    logError("limits.check_count_failed", error, { org });
  } finally {
    tally.flushing = false;
    tally.flushedAt = now;
  }
}
