// Counting in time windows: the pure part of the limits. A counter is a key (what is counted: the
// organisation's requests, one recipient's hash, a channel's daily volume) with a count per one-second
// slot; a rule caps the sum of a key's slots that are still inside its window.

export type LimitKind = "requests" | "recipient" | "daily";

export type Window =
  /** The last `seconds` seconds, in whole-second slots: a count expires up to 1 s late, never early. */
  | { kind: "sliding"; seconds: number }
  /** A fixed period [startMs, endMs), such as one UTC day; its counts sit in the slot of its start. */
  | { kind: "fixed"; startMs: number; endMs: number };

export interface Rule {
  kind: LimitKind;
  key: string;
  max: number;
  window: Window;
  /** What a refusal names, e.g. "5 SMS per 10 minutes to one phone number" (never the recipient). */
  description: string;
  /** How many counts a passing request adds (default 1): a verification's start also pays for its first check. */
  weight?: number;
}

export interface Slot {
  slot: number;
  count: number;
}

export type Decision = { ok: true } | { ok: false; rule: Rule; retryAfterSeconds: number };

/** The counts to add when the request passes: the key's slot, how many, and when that slot stops mattering. */
export interface Increment {
  key: string;
  slot: number;
  count: number;
  expiresAt: number;
}

const secondOf = (ms: number) => Math.floor(ms / 1000);

/** The slot a count made at `now` goes into. */
function slotFor(window: Window, now: number): number {
  return window.kind === "sliding" ? secondOf(now) : secondOf(window.startMs);
}

/** The oldest slot that still counts at `now`: slot s counts while (s + 1 + seconds) × 1000 > now. */
export function firstLiveSlot(window: Window, now: number): number {
  return window.kind === "sliding" ? Math.floor(now / 1000 - 1 - window.seconds) + 1 : secondOf(window.startMs);
}

/** When a count in `slot` stops counting for the window. */
function expiryOf(window: Window, slot: number): number {
  return window.kind === "sliding" ? (slot + 1 + window.seconds) * 1000 : window.endMs;
}

/** The oldest slot to read per key: the earliest any of the key's rules still counts. */
export function slotsToRead(rules: readonly Rule[], now: number): Map<string, number> {
  const from = new Map<string, number>();
  for (const rule of rules) {
    const first = firstLiveSlot(rule.window, now);
    from.set(rule.key, Math.min(first, from.get(rule.key) ?? first));
  }
  return from;
}

/**
 * Decides whether the request's counts (its rule's weight, 1 by default) fit every rule. When one does not, answers the rule that keeps the
 * request out longest and the whole seconds until it would fit (counts only expire while nothing is
 * added, so the request can succeed once the longest wait is over).
 */
export function decide(rules: readonly Rule[], slotsByKey: ReadonlyMap<string, readonly Slot[]>, now: number): Decision {
  let worst: Decision = { ok: true };
  for (const rule of rules) {
    const first = firstLiveSlot(rule.window, now);
    const live = (slotsByKey.get(rule.key) ?? []).filter((s) => s.slot >= first).sort((a, b) => a.slot - b.slot);
    const used = live.reduce((sum, s) => sum + s.count, 0);
    const adds = rule.weight ?? 1;
    if (used + adds <= rule.max) continue;
    const retryAt = rule.window.kind === "fixed" ? rule.window.endMs : expiryOf(rule.window, slotToExpire(live, used + adds - rule.max));
    const retryAfterSeconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
    if (worst.ok || retryAfterSeconds > worst.retryAfterSeconds) worst = { ok: false, rule, retryAfterSeconds };
  }
  return worst;
}

/** The slot whose expiry takes the oldest `excess` counts out of the window. */
function slotToExpire(live: readonly Slot[], excess: number): number {
  let removed = 0;
  for (const s of live) {
    removed += s.count;
    if (removed >= excess) return s.slot;
  }
  return live[live.length - 1]!.slot; // unreachable while excess ≤ the sum of counts
}

/** The counts a passing request adds: its weight per key and slot, kept until the longest of its windows is over. */
export function incrementsFor(rules: readonly Rule[], now: number): Increment[] {
  const byKeySlot = new Map<string, Increment>();
  for (const rule of rules) {
    const slot = slotFor(rule.window, now);
    const id = `${rule.key}\u0000${slot}`;
    const expiresAt = expiryOf(rule.window, slot);
    const count = rule.weight ?? 1;
    const existing = byKeySlot.get(id);
    if (!existing) byKeySlot.set(id, { key: rule.key, slot, count, expiresAt });
    else {
      existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
      existing.count = Math.max(existing.count, count);
    }
  }
  return [...byKeySlot.values()];
}
