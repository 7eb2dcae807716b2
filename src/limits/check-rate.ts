// A verification's checks count against the organisation's request rate, approximately (CONTRACT, "One-time
// codes"). Its first check is paid for by its start (whose first message counts two requests: check.ts);
// every other check is summed by the isolate that answered it and handed to the organisation's limits
// object at most every FLUSH_MS, behind the answer, so a check costs no call of its own. While the object
// last said the rate is reached, this isolate refuses checks (429 NOT-10002) until it passes. Checks an
// isolate has not handed on when it goes away are not counted: the approximation.
import { log, logError } from "../log";
import { rulesFor, type LimitRefusal } from "./check";
import { LIMIT_CODES } from "./codes";
import { limitsFor } from "./config";
import { limitsStub } from "./limits-object";
import type { Rule } from "./windows";

const FLUSH_MS = 2_000;

interface Tally {
  pending: number;
  flushedAt: number;
  refusedUntil: number;
  flushing: boolean;
}

const tallies = new Map<string, Tally>();

/** The organisation's request-rate rule, or null when its limits are off (or its settings invalid: reported where orders register). */
function requestRule(env: Env, org: string, now: number): Rule | null {
  try {
    const settings = limitsFor(env, org);
    return settings.enabled ? rulesFor(settings, "sms", null, now)[0]! : null; // the request rate, first of every channel's rules
  } catch {
    return null;
  }
}

const tallyOf = (org: string): Tally => {
  let tally = tallies.get(org);
  if (!tally) tallies.set(org, (tally = { pending: 0, flushedAt: 0, refusedUntil: 0, flushing: false }));
  return tally;
};

/** Before a check: a refusal while the organisation's request rate is reached, as this isolate last heard. */
export function checkRefusal(env: Env, org: string, now = Date.now()): LimitRefusal | null {
  const refusedUntil = tallies.get(org)?.refusedUntil ?? 0;
  if (refusedUntil <= now) return null;
  const rule = requestRule(env, org, now);
  if (!rule) return null;
  const retryAfterSeconds = Math.max(1, Math.ceil((refusedUntil - now) / 1000));
  log("limits.refused", { org, limit: "requests", retryAfterSeconds, of: "check" });
  return { kind: "limited", code: LIMIT_CODES.requests, retryAfterSeconds, detail: `Limit reached: ${rule.description}. Retry after ${retryAfterSeconds} seconds.` };
}

/** After a check its start did not pay for: counted, and handed on with the others. */
export function countCheck(env: Env, org: string, waitUntil: (work: Promise<unknown>) => void, now = Date.now()): void {
  const rule = requestRule(env, org, now);
  if (!rule) return;
  const tally = tallyOf(org);
  tally.pending++;
  if (!tally.flushing && now - tally.flushedAt >= FLUSH_MS) waitUntil(flush(env, org, tally, rule, now));
}

async function flush(env: Env, org: string, tally: Tally, rule: Rule, now: number): Promise<void> {
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
