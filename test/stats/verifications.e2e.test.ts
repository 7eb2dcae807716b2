// Issue 28, items 7 and 8 end to end: a verification started and checked through the API (real
// verification and order objects, queue, simulator, shard writer, D1, callback object; only the
// callback receiver is faked) shows in GET /future/stats on its start day, its approval credited to the
// provider that took its SMS, and reaches a final-only subscription as one signed verification.status.
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call } from "../support/api";
import { subscribe } from "../support/callbacks";
import { fakeReceiver, verifyCallback } from "../support/fake-receiver";
import { syncToD1 } from "../support/order";
import { waitForShipment } from "../support/shipments";
import { todaysStats } from "../support/stats";

afterEach(() => vi.restoreAllMocks());

/** The code, as a developer reads it in the local outbox (the message of this shipment). */
async function codeIn(shipmentId: string): Promise<string> {
  const { messages } = (await (await exports.default.fetch("http://localhost/outbox/messages.json")).json()) as { messages: { shipmentId: string; body: string }[] };
  const body = messages.find((m) => m.shipmentId === shipmentId)?.body;
  const code = /\b(\d{6})\b/.exec(body ?? "")?.[1];
  expect(code, "the code in the outbox").toBeDefined();
  return code!;
}

describe("a verification through the API", () => {
  it("counts once in the statistics, its approval for the provider of its SMS, and calls a final-only subscription back once", async () => {
    const org = `verif-e2e-${crypto.randomUUID().slice(0, 8)}`;
    const receiver = fakeReceiver();
    const { secret } = await subscribe(org, receiver.url("/final"), "final");
    const started = await call(
      "POST",
      "/future/verifications/sms",
      { idempotencyId: crypto.randomUUID(), phoneNumber: "+4799999999", message: "Your code is {code}.", timeToLiveInSeconds: 300 },
      { org },
    );
    expect(started.status).toBe(201);
    const { verificationId, shipmentId } = (await started.json()) as { verificationId: string; shipmentId: string };
    await waitForShipment(shipmentId, (s) => s.recipients[0]!.status === "SMS_Delivered", { org });
    const checked = await call("POST", `/future/verifications/${verificationId}/check`, { code: await codeIn(shipmentId) }, { org });
    expect(((await checked.json()) as { status: string }).status).toBe("approved");

    await vi.waitFor(() => expect(receiver.at("/final").some((c) => c.headers["webhook-id"] === `verification.${verificationId}.approved`)).toBe(true), { timeout: 5_000, interval: 20 });
    const ends = receiver.at("/final").filter((c) => c.headers["webhook-id"]!.startsWith("verification."));
    expect(ends).toHaveLength(1);
    const body = verifyCallback(secret, ends[0]!) as { type: string; data: { verificationId: string; status: string; shipments: { shipmentId: string }[] } };
    expect(body).toMatchObject({ type: "verification.status", data: { verificationId, status: "approved", shipments: [{ shipmentId }] } });

    await syncToD1(shipmentId);
    const sms = await todaysStats(org, "sms");
    expect(sms.verifications).toEqual({ started: 1, approved: 1, expired: 0, maxAttempts: 0 });
    expect(sms.providers["primary"]).toMatchObject({ handedOver: 1, delivered: 1, approved: 1 });
    expect(sms.registered).toBe(1); // its message is a shipment like any other
  });
});
