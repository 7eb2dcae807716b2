// Whether an order's non-final change must reach the shard writer at once: only where the organisation
// may have a subscription to every status. What the writer answered counts for CALLBACKS_KNOWN_MS.
import { describe, expect, it } from "vitest";
import { CALLBACKS_KNOWN_MS, learnCallbacks, mayWantEveryStatus } from "../../src/orders/write-behind";

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
