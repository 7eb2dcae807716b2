import { describe, expect, it } from "vitest";
import { backoffAfter, orgsToHandOver, type OrgBackoff } from "../../../src/store/callback-handoffs";

const now = 1_000_000;

describe("which organisations the callback outbox hands events to now", () => {
  const backingOff = new Map<string, OrgBackoff>([
    ["until-later", { failures: 1, until: now + 1 }],
    ["until-now", { failures: 3, until: now }],
    ["until-before", { failures: 7, until: now - 5_000 }],
  ]);

  it.each([
    // waiting, in flight, answer
    [["a", "b"], [], ["a", "b"]],
    [["a", "b"], ["a"], ["b"]], // a hand-off in flight: its events wait for its next one
    [["a", "until-later"], [], ["a"]], // backing off: left alone, whatever the others do
    [["until-now", "until-before"], [], ["until-now", "until-before"]], // its backoff has passed
    [["until-before"], ["until-before"], []],
    [[], ["a"], []],
    [["a", "b", "until-later"], ["a", "b"], []],
  ])("waiting %j, in flight %j: %j", (waiting, inFlight, answer) => {
    expect(orgsToHandOver(waiting, new Set(inFlight), backingOff, now)).toEqual(answer);
  });
});

describe("an organisation's backoff after a hand-off", () => {
  it.each([
    // before, succeeded, after
    [undefined, true, undefined],
    [{ failures: 4, until: now + 8_000 }, true, undefined], // one success ends it
    [undefined, false, { failures: 1, until: now + 1_000 }],
    [{ failures: 1, until: now }, false, { failures: 2, until: now + 2_000 }],
    [{ failures: 2, until: now }, false, { failures: 3, until: now + 4_000 }],
    [{ failures: 5, until: now }, false, { failures: 6, until: now + 30_000 }], // 32 s, capped
    [{ failures: 40, until: now }, false, { failures: 41, until: now + 30_000 }],
  ])("%o, succeeded %s: %o", (before, succeeded, after) => {
    expect(backoffAfter(before, succeeded, now)).toEqual(after);
  });
});
