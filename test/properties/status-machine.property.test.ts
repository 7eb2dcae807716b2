// Property-based: the status machine, pure and in a real order object, under random sequences of
// reports, provider answers and alarms: forward only, final sticky, order status consistent with D1.
import fc from "fast-check";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SMS_FINAL, SMS_PROGRESS, type RecipientStatus } from "../../src/status/statuses";
import { isFinal, orderStatusOf, transition } from "../../src/status/transitions";
import { postSms, smsRequest } from "../support/api";
import { shipmentIdOf } from "../support/shipments";
import { fireAlarm, orderObjectOf, shiftOrderTimes, storedOrder, syncToD1 } from "../support/order";
import { keepQueueOut } from "../support/queue";

const SMS_STATUSES: RecipientStatus[] = [...SMS_PROGRESS, ...SMS_FINAL];
const rank = (s: RecipientStatus) => ["Order_Registered", "Order_Processing", "Order_Processed", "Order_Completed"].indexOf(orderStatusOf(s));

afterEach(() => vi.restoreAllMocks());

describe("transition, property-based", () => {
  it("never moves back, never leaves a final status, and applies exactly the forward moves", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SMS_STATUSES), { maxLength: 30 }), (proposals) => {
        let current: RecipientStatus = "SMS_New";
        for (const proposed of proposals) {
          const { status, applied } = transition(current, proposed);
          expect(rank(status)).toBeGreaterThanOrEqual(rank(current));
          if (isFinal(current)) expect(status).toBe(current);
          expect(applied).toBe(status !== current);
          current = status;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

type Op =
  | { op: "report"; status: RecipientStatus; key: number }
  | { op: "claim-and-answer"; answer: "accepted" | "rejected" | "transient" }
  | { op: "alarm"; shift: "none" | "lease" | "deadline" | "grace" };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("report" as const), status: fc.constantFrom(...SMS_STATUSES.filter((s) => s !== "SMS_New")), key: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant("claim-and-answer" as const), answer: fc.constantFrom("accepted" as const, "rejected" as const, "transient" as const) }),
    fc.record({ op: fc.constant("alarm" as const), shift: fc.constantFrom("none" as const, "lease" as const, "deadline" as const, "grace" as const) }),
  ),
  { minLength: 1, maxLength: 8 },
);

describe("the order object, property-based", () => {
  it("keeps statuses forward-only and final-sticky, with D1 consistent after every step", async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (sequence) => {
        keepQueueOut(env.SMS_QUEUE); // drive it by hand
        const id = await shipmentIdOf(await postSms(smsRequest()));
        const order = await orderObjectOf(id);
        const graceMs = Number(env.SMS_REPORT_GRACE_SECONDS) * 1000;
        let previous: RecipientStatus = "SMS_New";
        let acceptedHandovers = 0;

        for (const step of sequence) {
          if (step.op === "report") {
            const kind = isFinal(step.status) ? "final" : "progress";
            await order.report(id, { kind, status: step.status } as never, `prop:${step.key}:${step.status}`, "property test");
          } else if (step.op === "claim-and-answer") {
            const claim = await order.claim(id);
            if (claim.kind === "send") {
              const answer =
                step.answer === "accepted"
                  ? ({ kind: "accepted", status: "SMS_Accepted", providerRef: "SMprop" } as const)
                  : step.answer === "rejected"
                    ? ({ kind: "final", status: "SMS_Failed_InvalidRecipient" } as const)
                    : ({ kind: "transient" } as const);
              if (answer.kind === "accepted") acceptedHandovers++;
              await order.record(id, claim.claimId, answer);
              await shiftOrderTimes(id, ["dispatch_at"], -60_000); // let a retry be due at once
            }
          } else {
            if (step.shift === "lease") await shiftOrderTimes(id, ["claim_until"], -60_000);
            if (step.shift === "deadline") await shiftOrderTimes(id, ["deadline"], -120_001);
            if (step.shift === "grace") await shiftOrderTimes(id, ["deadline", "claim_until"], -(120_001 + graceMs));
            await fireAlarm(id);
          }

          const stored = await storedOrder(id);
          const status = stored.status as RecipientStatus;
          expect(rank(status)).toBeGreaterThanOrEqual(rank(previous));
          if (isFinal(previous)) expect(status).toBe(previous);
          if (isFinal(status) || stored.handover === "accepted") expect(stored.content).toBeNull();
          await syncToD1(id);
          const d1 = await env.DB.prepare("SELECT s.status AS order_status, r.status FROM shipments s JOIN recipients r USING (shipment_id) WHERE shipment_id = ?")
            .bind(id)
            .first<{ order_status: string; status: string }>();
          // D1 is written behind each step, and has caught up once the writer has flushed.
          expect(d1).toEqual({ order_status: orderStatusOf(status), status });
          previous = status;
        }
        expect(acceptedHandovers).toBeLessThanOrEqual(1);
        vi.restoreAllMocks();
      }),
      { numRuns: 30 },
    );
  });
});
