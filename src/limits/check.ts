// The limits (docs/limits.md), checked when an order object registers a NEW request, so after
// authorisation and idempotency (a replay never gets here) and before anything is stored: one call to
// the organisation's LimitsObject counts the request against every limit, or against none.
import { providerNames, SIMULATOR_NAMES } from "../providers/names";
import { isSandboxRecipient } from "../providers/simulator/sandbox";
import { log, logError } from "../log";
import { isOverloaded } from "../retry/overloaded";
import { limitsFor, LimitsConfigError, type LimitSettings } from "./config";
import { countryRefusal } from "./countries";
import { limitsStub } from "./limits-object";
import { recipientKey, type LimitedOrder } from "./recipient-key";
import { LIMIT_CODES, type LimitCode } from "./codes";
import type { Rule } from "./windows";

export type { LimitCode } from "./codes";

export type LimitRefusal =
  /** A 429: `detail` names the limit (never the recipient); `retryAfterSeconds` until it could pass. */
  | { kind: "limited"; code: LimitCode; detail: string; retryAfterSeconds: number }
  /** A 400 on the phone number: `message` names the country. */
  | { kind: "country"; message: string };

/** `overloaded`: the counter object was overloaded (src/retry/overloaded.ts), so the caller is told to wait. */
export type LimitVerdict = { kind: "ok" } | LimitRefusal | { kind: "unavailable"; overloaded?: true };

const DAY_MS = 86_400_000;

/**
 * `requests`: how many requests it counts for against the organisation's rate: 2 for a verification's
 * first message, which pays for the verification's first check too (check-rate.ts counts the others).
 */
export async function checkLimits(env: Env, org: string, order: LimitedOrder, now: number, requests = 1): Promise<LimitVerdict> {
  try {
    const settings = limitsFor(env, org);
    if (order.channel === "sms") {
      const refusal = countryRefusal(order.phoneNumber, settings.smsCountries);
      if (refusal) return { kind: "country", message: refusal };
    }
    if (!settings.enabled) return { kind: "ok" };
    const recipient = sandboxExempt(env, order) ? null : await recipientKey(env.LIMITS_KEY, org, order);
    const rules = rulesFor(settings, order.channel, recipient, now).map((rule) => (rule.kind === "requests" && requests !== 1 ? { ...rule, weight: requests } : rule));
    const decision = await limitsStub(env, org).reserve(rules, now, { org, channel: order.channel });
    if (decision.ok) return { kind: "ok" };
    const { rule, retryAfterSeconds } = decision;
    log("limits.refused", { org, limit: rule.kind, retryAfterSeconds });
    return { kind: "limited", code: LIMIT_CODES[rule.kind], retryAfterSeconds, detail: `Limit reached: ${rule.description}. Retry after ${retryAfterSeconds} seconds.` };
  } catch (error) {
    if (error instanceof LimitsConfigError) log("limits.config_invalid", { org, problem: error.message });
    else logError("limits.check_failed", error, { org });
    return { kind: "unavailable", ...(isOverloaded(error) ? { overloaded: true as const } : {}) };
  }
}

/**
 * The rules one request is counted against: the organisation's request rate and the channel's daily
 * volume, and, unless `recipient` is null (exempt), each window of the recipient limit.
 */
export function rulesFor(settings: LimitSettings, channel: LimitedOrder["channel"], recipient: string | null, now: number): Rule[] {
  const sms = channel === "sms";
  const noun = sms ? "SMS" : "emails";
  const perDay = sms ? settings.smsPerDay : settings.emailsPerDay;
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  const rules: Rule[] = [
    {
      kind: "requests",
      key: "requests",
      max: settings.requestsPerMinute,
      window: { kind: "sliding", seconds: 60 },
      description: `${count(settings.requestsPerMinute)} requests per minute for this organisation`,
    },
    {
      kind: "daily",
      key: `${channel}-per-day`,
      max: perDay,
      window: { kind: "fixed", startMs: dayStart, endMs: dayStart + DAY_MS },
      description: `${count(perDay)} ${noun} per UTC day for this organisation`,
    },
  ];
  if (recipient === null) return rules;
  for (const { max, seconds } of sms ? settings.smsPerNumber : settings.emailsPerAddress) {
    rules.push({
      kind: "recipient",
      key: recipient,
      max,
      window: { kind: "sliding", seconds },
      description: `${count(max)} ${noun} per ${duration(seconds)} to one ${sms ? "phone number" : "email address"}`,
    });
  }
  return rules;
}

const count = (n: number) => n.toLocaleString("en-GB");

/** "10 minutes", "24 hours", "90 seconds": the unit the window was written in. */
function duration(seconds: number): string {
  const [n, unit] = seconds % 3600 === 0 ? [seconds / 3600, "hour"] : seconds % 60 === 0 ? [seconds / 60, "minute"] : [seconds, "second"];
  return n === 1 ? `1 ${unit}` : `${count(n)} ${unit}s`;
}

/** Sandbox recipients count against no recipient limit while only a simulator can receive them. */
function sandboxExempt(env: Env, order: LimitedOrder): boolean {
  const recipient = order.channel === "sms" ? order.phoneNumber : order.emailAddress;
  if (!isSandboxRecipient(order.channel, recipient)) return false;
  const names = providerNames(env, order.channel);
  return names.length > 0 && names.every((name) => SIMULATOR_NAMES.includes(name));
}
