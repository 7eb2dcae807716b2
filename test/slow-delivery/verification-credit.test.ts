// A right code is the surest delivery report there is: for the slow-delivery rule, a verification's only
// SMS approved before its provider's report counts as delivered in time (CONTRACT "One-time codes").
// SLOW_REPORT_SECONDS=1 in this project; the simulator's slow mode makes `primary` accept and not report.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expireHealthViews, forgetHealthViews, handOverOrder } from "../../src/providers/failover/health-client";
import { healthStub } from "../../src/providers/failover/provider-health";
import { uniqueMobile } from "../support/fake-fetch";
import { eventually } from "../support/shipments";
import { checkAnswerOf, checkCode, outboxOf, resend, SMS_TEMPLATE, startSms } from "../support/verifications";

const simulator = (method: string, path: string, body?: unknown) =>
  exports.default.fetch(
    new Request(`http://localhost/simulator/${path}`, { method, ...(body !== undefined ? { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {}) }),
  );

type DeliveryRow = {
  provider: string;
  shipment_id: string;
  accepted_at: number | null;
  reported_at: number | null;
};

/** ProviderHealth's row of one shipment, once this isolate's notes have reached it (a verdict refresh carries them). */
const deliveryOf = async (shipmentId: string, done: (row: DeliveryRow | undefined) => boolean): Promise<DeliveryRow> =>
  (await eventually(
    async () => {
      expireHealthViews();
      await handOverOrder(env, "sms", ["primary", "secondary"]);
      return runInDurableObject(healthStub(env, "sms"), (_instance, state) =>
        state.storage.sql.exec<DeliveryRow>("SELECT provider, shipment_id, accepted_at, reported_at FROM deliveries WHERE shipment_id = ?", shipmentId).toArray()[0],
      );
    },
    done,
    { timeoutMs: 10_000, intervalMs: 50, what: `ProviderHealth's row of ${shipmentId}` },
  ))!;

const codeOf = async (shipmentId: string) => new RegExp(SMS_TEMPLATE.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace("{code}", "(\\d+)")).exec((await outboxOf(shipmentId))[0]!.body)![1]!;

beforeEach(async () => {
  await runInDurableObject(healthStub(env, "sms"), (_instance, state) => {
    for (const table of ["breakers", "deliveries", "degraded", "slow_events"]) state.storage.sql.exec(`DELETE FROM ${table}`);
  });
  forgetHealthViews();
  await simulator("POST", "outage", { provider: "primary", seconds: 600, mode: "slow", reportDelaySeconds: 600 });
});

afterEach(async () => {
  await simulator("POST", "outage", { provider: "primary", seconds: 0 });
});

describe("an approval before the report", () => {
  it("counts as the only SMS's timely report; an SMS never reported nor approved stays overdue", async () => {
    const approved = await startSms({ phoneNumber: uniqueMobile() }, { org: "credit-org" });
    const unanswered = await startSms({ phoneNumber: uniqueMobile() }, { org: "credit-org" });
    const accepted = await deliveryOf(approved.created.shipmentId, (row) => row?.accepted_at != null);
    expect(accepted).toMatchObject({ provider: "primary", reported_at: null });

    const answer = await checkAnswerOf(await checkCode(approved.created.verificationId, await codeOf(approved.created.shipmentId), { org: "credit-org" }));
    expect(answer.status).toBe("approved");

    const credited = await deliveryOf(approved.created.shipmentId, (row) => row?.reported_at != null);
    // Within SLOW_REPORT_SECONDS of the acceptance: not overdue.
    expect(credited.reported_at! - credited.accepted_at!).toBeLessThan(1_000);
    const other = await deliveryOf(unanswered.created.shipmentId, (row) => row?.accepted_at != null);
    expect(other.reported_at).toBeNull();
  }, 30_000);

  it("credits no SMS of a verification that sent two (a resend): which one arrived is not known", async () => {
    const { created } = await startSms({ phoneNumber: uniqueMobile() }, { org: "credit-org" });
    const resent = await resend(created.verificationId, undefined, { org: "credit-org" });
    expect(resent.status).toBe(201);
    const second = ((await resent.json()) as { shipmentId: string }).shipmentId;
    await deliveryOf(second, (row) => row?.accepted_at != null);
    const answer = await checkAnswerOf(await checkCode(created.verificationId, await codeOf(created.shipmentId), { org: "credit-org" }));
    expect(answer.status).toBe("approved");
    // Give the end its time to reach ProviderHealth (it would within this), then see that nothing was credited.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const shipmentId of [created.shipmentId, second]) expect((await deliveryOf(shipmentId, (row) => row?.accepted_at != null)).reported_at).toBeNull();
  }, 30_000);
});
