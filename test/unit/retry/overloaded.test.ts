// The one predicate for Cloudflare's "Durable Object is overloaded" error: only `.overloaded === true` counts.
import { describe, expect, it } from "vitest";
import { isOverloaded } from "../../../src/retry/overloaded";

/** An error shaped as the runtime throws it: an Error with the properties set. */
const doError = (props: Record<string, unknown>) => Object.assign(new Error("Durable Object is overloaded. Requests queued for too long."), props);

describe("isOverloaded", () => {
  it.each([
    ["an overloaded Durable Object's error", doError({ overloaded: true, retryable: false }), true],
    ["overloaded, also marked remote", doError({ overloaded: true, remote: true }), true],
    ["a retryable error (not overloaded)", doError({ retryable: true }), false],
    ["overloaded false", doError({ overloaded: false, retryable: true }), false],
    ["overloaded as a string, not true", doError({ overloaded: "true" }), false],
    ["a plain error", new Error("boom"), false],
    ["a plain object with overloaded", { overloaded: true }, true],
    ["a string", "overloaded", false],
    ["null", null, false],
    ["undefined", undefined, false],
  ])("%s → %s", (_name, error, expected) => {
    expect(isOverloaded(error)).toBe(expected);
  });
});
