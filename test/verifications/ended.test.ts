// When a verification ends (approved, max_attempts, expired), a message still waiting for its hand-over
// is not sent: it ends SMS_Failed with "not sent: its verification had ended", and its order no longer
// holds the code (CONTRACT.md, "One-time codes", Behaviour).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { driveDispatch } from "../support/drive";
import { simulatorHandovers, storedOrder } from "../support/order";
import { loseNextQueueMessage } from "../support/queue";
import { eventually, readShipmentAs, waitForShipment } from "../support/shipments";
import { checkAnswerOf, checkCode, codeOfSms, outboxOf, resend, startSms, waitForView, wrongCode } from "../support/verifications";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const ENDED = "not sent: its verification had ended";

/** The message's manifest once final: SMS_Failed with the contract's description, never handed over, the code gone from its order. */
async function expectEndedUnsent(shipmentId: string, verificationId: string) {
  const manifest = await waitForShipment(shipmentId, (s) => s.status === "Order_Completed", { timeoutMs: 8_000 });
  expect(manifest.recipients[0]).toMatchObject({ type: "SMS", status: "SMS_Failed", statusDescription: ENDED });
  expect(manifest).toHaveProperty("verificationId", verificationId);
  await eventually(async () => (await storedOrder(shipmentId)).content, (content) => content === null, { what: `the order of ${shipmentId} to hold no content` });
  // Whatever could still hand it over runs now (its alarm, a late dispatch message): nothing does.
  await driveDispatch(shipmentId);
  expect(await simulatorHandovers(shipmentId)).toBe(0);
  expect((await readShipmentAs("ttd", shipmentId)).recipients[0]).toMatchObject({ status: "SMS_Failed", statusDescription: ENDED });
  const view = await waitForView(verificationId, (v) => v.shipments.some((s) => s.shipmentId === shipmentId && s.status === "SMS_Failed"));
  expect(view.shipments.find((s) => s.shipmentId === shipmentId)).toEqual({ shipmentId, channel: "sms", status: "SMS_Failed" });
}

describe("a message not yet handed over when its verification ends", () => {
  it("approved while the provider keeps failing (+4740000005): the SMS ends SMS_Failed, not sent", async () => {
    // The simulator shows each failed attempt in the outbox, so the code can be read there.
    const { created } = await startSms({ phoneNumber: "+4740000005" });
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
    await expectEndedUnsent(created.shipmentId, created.verificationId);
  });

  it("out of attempts while the provider keeps failing (+4740000005): the SMS ends SMS_Failed, not sent", async () => {
    const { created } = await startSms({ phoneNumber: "+4740000005", maxAttempts: 1 });
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, wrongCode(code)))).attemptsLeft).toBe(0);
    await expectEndedUnsent(created.shipmentId, created.verificationId);
  });

  it("approved while a resend's dispatch message is still on its way: the resend ends SMS_Failed, not sent", async () => {
    const { created } = await startSms();
    const code = await codeOfSms(created.shipmentId);
    await waitForShipment(created.shipmentId, (s) => s.status === "Order_Completed");

    const lost = loseNextQueueMessage(env.SMS_QUEUE);
    const response = await resend(created.verificationId);
    expect(response.status).toBe(201);
    const { shipmentId: resent } = (await response.json()) as { shipmentId: string };
    expect((lost.mock.calls[0]![0] as { shipmentId: string }).shipmentId, "the lost message is the resend's").toBe(resent);
    vi.restoreAllMocks();

    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
    await expectEndedUnsent(resent, created.verificationId);
    // The first message, handed over and delivered before, keeps its status.
    expect((await readShipmentAs("ttd", created.shipmentId)).recipients[0]!.status).toBe("SMS_Delivered");
    expect(await outboxOf(created.shipmentId)).toHaveLength(1);
  });
});
