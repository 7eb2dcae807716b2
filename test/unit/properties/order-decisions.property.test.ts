// Random sequences of everything that can happen to an order, through its pure decisions: statuses
// only move forward, a final order never changes, and nothing is handed over twice (a provider that
// honours our idempotency key may be asked again with the same key, and only that one).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideAlarm } from "../../../src/orders/decide/alarm";
import { decideClaim, decideRecord, decideRefuse, decideRelease } from "../../../src/orders/decide/dispatch";
import { decideNewOrder } from "../../../src/orders/decide/register";
import { decideReport } from "../../../src/orders/decide/report";
import type { Decision, OrderState } from "../../../src/orders/decide/state";
import { nextWake, timings } from "../../../src/orders/lifecycle";
import type { ProviderOutcome } from "../../../src/providers/outcome";
import { SMS_FINAL } from "../../../src/status/statuses";
import { isFinal, transition } from "../../../src/status/transitions";

const t = timings({ SMS_REPORT_GRACE_SECONDS: "300", RETENTION_DAYS: "90", PROVIDER_TIMEOUT_MS: "10000" });

const outcome = fc.oneof(
  fc.record({ kind: fc.constant("accepted" as const), status: fc.constant("SMS_Accepted" as const), providerRef: fc.constant("ref-1") }),
  fc.record({ kind: fc.constant("final" as const), status: fc.constantFrom(...SMS_FINAL) }),
  fc.record({ kind: fc.constant("transient" as const) }),
  fc.record({ kind: fc.constant("unknown" as const) }),
  fc.record({ kind: fc.constant("progress" as const), status: fc.constantFrom("SMS_Sending" as const, "SMS_Accepted" as const) }),
  fc.constant({ kind: "ignore" as const }),
) as fc.Arbitrary<ProviderOutcome>;

const step = fc.oneof(
  fc.record({ op: fc.constant("claim" as const), provider: fc.constantFrom("twilio", "link"), idempotent: fc.boolean(), readable: fc.boolean() }),
  fc.record({ op: fc.constant("record" as const), outcome, ofClaim: fc.constantFrom("current", "stale") }),
  fc.record({ op: fc.constant("report" as const), outcome, key: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant("release" as const) }),
  fc.record({ op: fc.constant("refuse" as const) }),
  fc.record({ op: fc.constant("alarm" as const) }),
);
const steps = fc.array(fc.record({ step, advanceMs: fc.integer({ min: 0, max: 200_000 }), random: fc.double({ min: 0, max: 0.999, noNaN: true }) }), { maxLength: 40 });

function newOrder(now: number): OrderState {
  const order = { channel: "sms" as const, idempotencyId: "k", phoneNumber: "+4790000001", timeToLiveInSeconds: 120, sender: "Altinn", body: "x" };
  return decideNewOrder({ org: "ttd", order, shipmentId: "s", response: { notificationOrderId: "o", notification: { shipmentId: "s" } }, salt: "s", fingerprint: "f" }, now, t).state;
}

describe("the order's decisions under any sequence of inputs", () => {
  it("move statuses forward only, never change a final order, and hand over at most once", () => {
    fc.assert(
      fc.property(steps, (sequence) => {
        let now = 1_000_000;
        let s = newOrder(now);
        let sends = 0;
        let lastClaim = "";
        let settled = false; // accepted, rejected or reported: nothing may be handed over again
        let inDoubtAt: { provider: string; idempotent: boolean } | null = null;
        const seen = new Set<string>();
        for (const { step: input, advanceMs, random } of sequence) {
          now += advanceMs;
          const before = s;
          let d: Decision<unknown>;
          switch (input.op) {
            case "claim": {
              const claimId = `c${sends + 1}-${now}`;
              const claim = decideClaim(s, { shipmentId: "s", via: { name: input.provider, idempotent: input.idempotent }, content: input.readable ? "opened" : "unreadable", claimId }, now, t);
              if (claim.answer.kind === "send") {
                expect(settled).toBe(false);
                // A hand-over in doubt is repeated only at the provider that honours the key.
                if (inDoubtAt) expect(inDoubtAt.idempotent && inDoubtAt.provider === input.provider).toBe(true);
                sends++;
                lastClaim = claimId;
                inDoubtAt = { provider: input.provider, idempotent: input.idempotent };
              }
              d = claim;
              break;
            }
            case "record":
              d = decideRecord(s, { shipmentId: "s", claimId: input.ofClaim === "current" ? lastClaim : "stale", outcome: input.outcome, random }, now);
              break;
            case "report":
              d = decideReport(s, { shipmentId: "s", outcome: input.outcome, dedupeKey: `r${input.key}`, source: "report", seen: seen.has(`r${input.key}`) }, now);
              if (d.seenReport) seen.add(d.seenReport);
              break;
            case "release":
              d = decideRelease(s, { shipmentId: "s", claimId: lastClaim }, now);
              break;
            case "refuse":
              d = decideRefuse(s, { shipmentId: "s", reason: "no provider" }, now);
              break;
            case "alarm":
              d = decideAlarm(s, now, t);
              break;
          }
          s = d.state;
          if (s.status !== before.status) expect(transition(before.status, s.status).applied).toBe(true);
          if (isFinal(before.status)) expect([s.status, s.last_update, s.handover]).toEqual([before.status, before.last_update, before.handover]);
          expect(s.change_seq).toBeGreaterThanOrEqual(before.change_seq);
          if (s.handover === "accepted" || s.handover === "done") settled = true;
          // A transient answer or a release means nothing happened at the provider: it may be handed over anew.
          if (before.handover === "claimed" && s.handover === "waiting" && !s.pinned_provider) inDoubtAt = null;
          // Whatever the state, the alarm has a next wake-up until the order is final and past retention.
          if (!isFinal(s.status)) expect(nextWake(s, t, false, now)).not.toBeNull();
        }
      }),
      { numRuns: 400 },
    );
  });

  it("end final once the alarm has run past every deadline, whatever happened before", () => {
    fc.assert(
      fc.property(steps, (sequence) => {
        let now = 1_000_000;
        let s = newOrder(now);
        for (const { step: input, advanceMs } of sequence) {
          now += advanceMs % 5_000;
          if (input.op === "claim") s = decideClaim(s, { shipmentId: "s", via: { name: input.provider, idempotent: input.idempotent }, content: "opened", claimId: "c" }, now, t).state;
          else if (input.op === "record") s = decideRecord(s, { shipmentId: "s", claimId: "c", outcome: input.outcome, random: 0.5 }, now).state;
          else if (input.op === "alarm") s = decideAlarm(s, now, t).state;
        }
        for (let i = 0; i < 20 && !isFinal(s.status); i++) {
          now = Math.max(now, nextWake(s, t, false, now) ?? now);
          s = decideAlarm(s, now, t).state;
        }
        expect(isFinal(s.status)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
