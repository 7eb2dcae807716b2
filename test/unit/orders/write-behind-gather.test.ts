// The subscription filter (src/webhooks/subscription-filter.ts). Whether an order's non-final change must
// reach the shard writer at once: only where the organisation may have a subscription to every status.
// What the writer answered counts for CALLBACKS_KNOWN_MS.
import { describe, expect, it } from "vitest";
import { CALLBACKS_KNOWN_MS, forwards, handOffAnswer, learnCallbacks, learntFromHandOff, mayWantEveryStatus, subscriptionSettleMs } from "../../../src/webhooks/subscription-filter";

const org = () => `gather-${crypto.randomUUID()}`;

describe("mayWantEveryStatus", () => {
  it("is true for an organisation the writer never answered about", () => {
    expect(mayWantEveryStatus(org(), Date.now())).toBe(true);
  });

  it.each([
    ["none", false],
    ["final", false],
    ["all", true],
    [null, true], // the writer does not know either
  ] as const)("after the writer answered %s: %s", (callbacks, expected) => {
    const o = org();
    learnCallbacks(o, { callbacks }, 1_000);
    expect(mayWantEveryStatus(o, 1_000)).toBe(expected);
  });

  it("is true after an older writer's answer, which says nothing", () => {
    const o = org();
    learnCallbacks(o, undefined, 1_000);
    expect(mayWantEveryStatus(o, 1_000)).toBe(true);
  });

  it("is true again once the answer is older than CALLBACKS_KNOWN_MS (a subscription may have come since)", () => {
    const o = org();
    learnCallbacks(o, { callbacks: "none" }, 1_000);
    expect(mayWantEveryStatus(o, 1_000 + CALLBACKS_KNOWN_MS)).toBe(false);
    expect(mayWantEveryStatus(o, 1_000 + CALLBACKS_KNOWN_MS + 1)).toBe(true);
  });
});

describe("subscriptionSettleMs: how long a PUT waits before a subscription to every status is said to exist", () => {
  const env = { SUBSCRIPTION_SETTLE_MS: undefined };
  it.each([
    [null, "all", CALLBACKS_KNOWN_MS + 1_000], // nothing known before: an isolate may hold an answer
    ["none", "all", CALLBACKS_KNOWN_MS + 1_000],
    ["final", "all", CALLBACKS_KNOWN_MS + 1_000],
    ["all", "all", 0], // every order already sends each change at once
    [null, "final", 0], // final statuses are never held back
    ["none", "final", 0],
    ["all", "final", 0],
  ] as const)("known %s, asked %s: %i ms", (previous, requested, ms) => {
    expect(subscriptionSettleMs(env, previous, requested)).toBe(ms);
  });

  it("outlasts every answer an isolate may still hold", () => {
    expect(subscriptionSettleMs(env, "none", "all")).toBeGreaterThan(CALLBACKS_KNOWN_MS);
  });

  it("takes SUBSCRIPTION_SETTLE_MS when it is set", () => {
    expect(subscriptionSettleMs({ SUBSCRIPTION_SETTLE_MS: "0" }, "none", "all")).toBe(0);
    expect(subscriptionSettleMs({ SUBSCRIPTION_SETTLE_MS: "250" }, "final", "all")).toBe(250);
  });
});

describe("the writer and the callback object: what is forwarded, and what the writer learns", () => {
  it.each([
    // known        forwarded
    [null,          true],   // nothing known: forwarded, as every organisation was before the writer kept any
    ["final",       true],
    ["all",         true],
    ["none",        false],
  ] as const)("an organisation known as %s: forwarded %s", (known, expected) => {
    expect(forwards(known)).toBe(expected);
  });

  it.each([
    // subscription                          answer                              writer learns
    [null,                                   { accepted: 0, subscribed: false }, "none"],
    [{ disabled_reason: "410" },             { accepted: 0, subscribed: true },  null],   // disabled is still one: its events are kept
    [{ disabled_reason: null },              { accepted: 2, subscribed: true },  null],
  ] as const)("the callback object with %j answers %j; the writer learns %s", (subscription, answer, learnt) => {
    expect(handOffAnswer(subscription, answer.accepted)).toEqual(answer);
    expect(learntFromHandOff(answer)).toBe(learnt);
  });

  it("learns nothing from an older callback object's answer, which has no `subscribed`", () => {
    expect(learntFromHandOff({ accepted: 1 })).toBeNull();
  });
});
