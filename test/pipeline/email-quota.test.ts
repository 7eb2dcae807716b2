// Cloudflare Email Service's used-up daily quota (the binding throws an Error with `.code`
// "E_DAILY_LIMIT_EXCEEDED"): the shipment ends at once as Email_Failed with the reason in its status
// history, the provider is not asked again before the deadline, and the performance page counts a
// provider outage. Everything but the send_email binding is real: the API, the order, its queue message.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { dispatchShipment } from "../../src/dispatch/dispatch";
import type { DispatchMessage } from "../../src/orders/order-object";
import { forgetHealthViews } from "../../src/providers/failover/health-client";
import { healthStub } from "../../src/providers/failover/provider-health";
import type { Performance } from "../../src/stats/performance";
import { emailRequest, postEmail } from "../support/api";
import { orderState } from "../support/order";
import { keepQueueOut } from "../support/queue";
import { shipmentIdOf } from "../support/shipments";

const today = () => new Date().toISOString().slice(0, 10);
const bindingError = (code: string) => Object.assign(new Error(`send failed: ${code}`), { code });

beforeEach(() => forgetHealthViews());
afterEach(() => vi.restoreAllMocks());

/** An email registered through the API, its dispatch message held back (the test dispatches it). */
async function registeredEmail(): Promise<DispatchMessage> {
  const held = keepQueueOut(env.EMAIL_QUEUE);
  const shipmentId = await shipmentIdOf(await postEmail(emailRequest({ emailAddress: `quota-${crypto.randomUUID()}@example.com` })));
  const message = held.mock.calls.map(([body]) => body as DispatchMessage).find((m) => m.shipmentId === shipmentId)!;
  vi.restoreAllMocks();
  return message;
}

describe("Cloudflare Email's daily quota used up", () => {
  it("ends the shipment at once as Email_Failed, saying why, and counts a provider outage", async () => {
    const send = vi.fn(async () => {
      throw bindingError("E_DAILY_LIMIT_EXCEEDED");
    });
    const cloudflare = { ...env, EMAIL_PROVIDER: "cloudflare", EMAIL: { send } as unknown as SendEmail };
    const message = await registeredEmail();

    await dispatchShipment(cloudflare, message);
    const { row, events } = await orderState(message.shipmentId);
    expect(row.status).toBe("Email_Failed");
    const failed = events.find((e) => e.status === "Email_Failed" && e.applied === 1)!;
    expect(failed.detail).toMatch(/daily sending quota .* is used up \(E_DAILY_LIMIT_EXCEEDED\); nothing was sent/);

    // Final: a redelivered dispatch message (or the order's alarm) asks the provider nothing more.
    await dispatchShipment(cloudflare, message);
    expect(send).toHaveBeenCalledTimes(1);

    expect(await healthStub(env, "email").outages(today())).toEqual([{ date: today(), provider: "cloudflare", reason: "daily_quota", calls: 1 }]);
    const response = await worker.fetch!(new Request("http://localhost/performance.json") as Request<unknown, IncomingRequestCfProperties>, env, createExecutionContext());
    const p = (await response.json()) as Performance;
    expect(p.providerOutages).toEqual([{ date: today(), channel: "email", provider: "cloudflare", reason: "daily_quota", calls: 1 }]);
    const page = await (await worker.fetch!(new Request("http://localhost/performance") as Request<unknown, IncomingRequestCfProperties>, env, createExecutionContext())).text();
    expect(page).toContain("daily sending quota used up");
  });

  it("a rate limit (not the daily quota) is still retried and counts no outage", async () => {
    const send = vi.fn(async () => {
      throw bindingError("E_RATE_LIMIT_EXCEEDED");
    });
    const message = await registeredEmail();
    const before = await healthStub(env, "email").outages(today());
    await dispatchShipment({ ...env, EMAIL_PROVIDER: "cloudflare", EMAIL: { send } as unknown as SendEmail }, message);
    const { row } = await orderState(message.shipmentId);
    expect(row.status).not.toMatch(/^Email_Failed/);
    expect(await healthStub(env, "email").outages(today())).toEqual(before);
  });
});
