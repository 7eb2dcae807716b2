// Cloudflare Email Service delivery events (the `email-events` queue) into the orders, through the
// Worker's own queue handler, with events in the exact `cf.email.sending.message.*` shape Cloudflare documents.
//
// How a shipment gets a known message id: this project's email provider is the simulator, which would
// accept the email under its own id and then report Email_Delivered by itself at once, so an event
// could never be seen to change anything. Instead of rewriting state by hand in D1 and in the order
// object (which would bypass, and so not test, the path that really stores the id), the simulator's
// `send` is stubbed for one address per test to answer exactly what the Cloudflare Email provider
// answers when `env.EMAIL.send()` resolves `{ messageId }`: accepted, Email_Succeeded, with that id, and
// no report. Everything else is real: the API registers the email, the dispatch queue and the order
// object hand it over and record the id, the object syncs it to D1, and the events find it there.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { ProviderOutcome } from "../../src/providers/outcome";
import { ProviderSimulator } from "../../src/simulator/provider-simulator";
import { emailRequest, postEmail } from "../support/api";
import { d1Events, eventually, shipmentIdOf, shipmentState, waitForRecipientStatus } from "../support/shipments";
import { orderState, syncToD1 } from "../support/order";

/** The message id the stubbed provider gives each recipient address. */
const messageIdFor = new Map<string, string>();

beforeEach(() => {
  const original = ProviderSimulator.prototype.send;
  vi.spyOn(ProviderSimulator.prototype, "send").mockImplementation(async function (this: ProviderSimulator, message): Promise<ProviderOutcome> {
    const messageId = messageIdFor.get(message.to);
    if (messageId === undefined) return original.call(this, message);
    return { kind: "accepted", status: "Email_Succeeded", providerRef: messageId };
  });
});

afterEach(() => vi.restoreAllMocks());

/** Registers an email through the API and waits until it is handed over under a known message id, in D1 too. */
async function acceptedEmail() {
  const address = `user-${crypto.randomUUID()}@example.com`;
  const messageId = `${crypto.randomUUID()}@email.cloudflare.example`;
  messageIdFor.set(address, messageId);
  const shipmentId = await shipmentIdOf(await postEmail(emailRequest({ emailAddress: address })));
  await waitForRecipientStatus(shipmentId, "Email_Succeeded");
  // The object hands a non-final change to D1 after a quiet wait (src/orders/write-behind.ts); the same
  // hand-off, asked for now, spares each test that wait.
  await syncToD1(shipmentId);
  await eventually(
    () => env.DB.prepare("SELECT provider_ref FROM recipients WHERE shipment_id = ?").bind(shipmentId).first<{ provider_ref: string | null }>(),
    (row) => row?.provider_ref === messageId,
    { what: "the message id in D1" },
  );
  return { shipmentId, address, messageId };
}

type EventType = "delivered" | "deferred" | "bounced" | "failed" | "rejected" | "complained";

/** One event exactly as the Email Sending event subscription puts it on the queue. */
function emailEvent(type: EventType, target: { messageId: string; address: string }, eventId: string = crypto.randomUUID()) {
  const delivery: Record<EventType, Record<string, unknown>> = {
    delivered: { status: "delivered", provider: "gmail", deliveryTimeMs: 812, smtpStatusCode: "250", smtpEnhancedStatusCode: "2.0.0", smtpResponse: "250 2.0.0 OK" },
    deferred: { status: "deferred", smtpStatusCode: "451", smtpEnhancedStatusCode: "4.7.1", smtpResponse: "451 4.7.1 Try again later" },
    bounced: { status: "bounced", smtpStatusCode: "550", smtpEnhancedStatusCode: "5.1.1", smtpResponse: "550 5.1.1 The email account does not exist" },
    failed: { status: "failed" },
    rejected: { status: "rejected" },
    complained: { status: "delivered" },
  };
  const details: Record<EventType, Record<string, unknown>> = {
    delivered: {},
    deferred: {},
    bounced: { bounce: { type: "hard", classification: "permanent_failure", reason: "mailbox does not exist" } },
    failed: { failure: { reason: "delivery_failed" } },
    rejected: { rejection: { reason: "suppressed", party: "recipient", detail: "The recipient is on the suppression list" } },
    complained: { complaint: { type: "abuse" } },
  };
  return {
    type: `cf.email.sending.message.${type}`,
    source: { type: "email.sending", zoneId: "023e105f4ecef8ad9ca31a8372d0c353", domain: "example.com" },
    payload: {
      eventId,
      messageId: target.messageId,
      sender: "noreply@example.com",
      recipient: target.address,
      subject: "One-time code",
      terminal: type !== "deferred",
      delivery: delivery[type],
      ...details[type],
    },
    metadata: {
      accountId: "01a7362d577a6c3019a474fd6f485823",
      eventSubscriptionId: "4c0f1b5b-8e8f-4c44-9a55-1c2a6f3f9e10",
      eventSchemaVersion: 1,
      eventTimestamp: new Date().toISOString(),
    },
  };
}

interface QueueOutcome {
  ackAll: boolean;
  retryBatch: { retry: boolean };
  explicitAcks: string[];
  retryMessages: { msgId: string }[];
}

let nextMessage = 0;

/** Runs one batch through the Worker's queue handler; answers which messages were acked and which retried. */
async function deliver(messages: { body: unknown; attempts?: number }[]) {
  const ids = messages.map(() => `event-msg-${++nextMessage}`);
  const batch = createMessageBatch(
    "email-events",
    messages.map((m, i) => ({ id: ids[i]!, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = (await getQueueResult(batch, ctx)) as QueueOutcome;
  expect(result.ackAll).toBe(false);
  expect(result.retryBatch.retry).toBe(false);
  return { ids, acked: result.explicitAcks, retried: result.retryMessages.map((m) => m.msgId) };
}

async function snapshot(shipmentId: string) {
  return { api: await shipmentState(shipmentId), order: await orderState(shipmentId) };
}

describe("email events queue consumer", () => {
  it("maps a bounced event to Email_Failed_Bounced and acks it", async () => {
    const target = await acceptedEmail();
    const { ids, acked, retried } = await deliver([{ body: emailEvent("bounced", target) }]);
    expect(acked).toEqual(ids);
    expect(retried).toEqual([]);

    const { row, events } = await orderState(target.shipmentId);
    expect(row.status).toBe("Email_Failed_Bounced");
    expect(events.at(-1)).toMatchObject({ status: "Email_Failed_Bounced", applied: 1, source: "cloudflare bounced" });
    expect(await waitForRecipientStatus(target.shipmentId, "Email_Failed_Bounced")).toEqual({
      status: "Order_Completed",
      recipientStatus: "Email_Failed_Bounced",
    });
  });

  it.each([
    ["delivered", "Email_Delivered"],
    ["failed", "Email_Failed"],
    ["rejected", "Email_Failed_SuppressedRecipient"],
  ] as const)("maps a %s event to %s", async (type, expected) => {
    const target = await acceptedEmail();
    const { ids, acked } = await deliver([{ body: emailEvent(type, target) }]);
    expect(acked).toEqual(ids);
    expect(await waitForRecipientStatus(target.shipmentId, expected)).toEqual({ status: "Order_Completed", recipientStatus: expected });
  });

  it("keeps Email_Succeeded on a deferred event, and Email_Delivered on a complaint after delivery", async () => {
    const target = await acceptedEmail();
    expect((await deliver([{ body: emailEvent("deferred", target) }])).retried).toEqual([]);
    expect((await orderState(target.shipmentId)).row.status).toBe("Email_Succeeded");

    await deliver([{ body: emailEvent("delivered", target) }]);
    const { acked, ids } = await deliver([{ body: emailEvent("complained", target) }]);
    expect(acked).toEqual(ids);
    const { row, events } = await orderState(target.shipmentId);
    expect(row.status).toBe("Email_Delivered");
    expect(events.at(-1)).toMatchObject({ applied: 0, source: "cloudflare complained" });
  });

  it("acks a duplicate event (same eventId) and records it once", async () => {
    const target = await acceptedEmail();
    const deferred = emailEvent("deferred", target);
    const delivered = emailEvent("delivered", target);

    // Twice in one batch, and redelivered in a later batch: at least once, unordered.
    const first = await deliver([{ body: deferred }, { body: structuredClone(deferred) }, { body: delivered }]);
    expect(first.acked.sort()).toEqual([...first.ids].sort());
    expect(first.retried).toEqual([]);
    const again = await deliver([{ body: structuredClone(delivered), attempts: 2 }, { body: structuredClone(deferred), attempts: 2 }]);
    expect(again.acked.sort()).toEqual([...again.ids].sort());
    expect(again.retried).toEqual([]);

    const { row, events, seenReports } = await orderState(target.shipmentId);
    expect(row.status).toBe("Email_Delivered");
    expect(events.filter((e) => e.source === "cloudflare deferred")).toHaveLength(1);
    expect(events.filter((e) => e.source === "cloudflare delivered")).toHaveLength(1);
    expect(seenReports).toBe(2);
    await waitForRecipientStatus(target.shipmentId, "Email_Delivered");
    const d1 = await eventually(() => d1Events(target.shipmentId), (e) => e.some((x) => x.source === "cloudflare delivered"), { what: "the events in D1" });
    expect(d1.filter((e) => e.source.startsWith("cloudflare "))).toHaveLength(2);
  });

  it("acks a malformed event without any effect", async () => {
    const target = await acceptedEmail();
    const before = await snapshot(target.shipmentId);
    const bounced = emailEvent("bounced", target);
    const { payload } = bounced;
    const { messageId: _m, ...withoutMessageId } = payload;
    const { eventId: _e, ...withoutEventId } = payload;

    const { ids, acked, retried } = await deliver([
      { body: null },
      { body: "cf.email.sending.message.bounced" },
      { body: {} },
      { body: { type: bounced.type } },
      { body: { ...bounced, payload: withoutMessageId } },
      { body: { ...bounced, payload: withoutEventId } },
      { body: { ...bounced, payload: { ...payload, eventId: "" } } },
      { body: { ...bounced, payload: { ...payload, messageId: 42 } } },
      // Well-formed otherwise, for a real message, but not an email sending event.
      { body: { ...bounced, type: "cf.email.routing.message.bounced" } },
      { body: { ...bounced, type: "bounced" } },
    ]);
    expect(acked.sort()).toEqual([...ids].sort());
    expect(retried).toEqual([]);
    expect(await snapshot(target.shipmentId)).toEqual(before);
    expect(before.api.recipientStatus).toBe("Email_Succeeded");
  });

  it("retries (does not ack) an event for an unknown messageId on early attempts, and drops it on the last", async () => {
    const stranger = { messageId: `${crypto.randomUUID()}@email.cloudflare.example`, address: "nobody@example.com" };
    for (const attempts of [1, 2, 3, 4]) {
      const { ids, acked, retried } = await deliver([{ body: emailEvent("bounced", stranger), attempts }]);
      expect(retried, `attempt ${attempts}`).toEqual(ids);
      expect(acked, `attempt ${attempts}`).toEqual([]);
    }
    const last = await deliver([{ body: emailEvent("bounced", stranger), attempts: 5 }]);
    expect(last.acked).toEqual(last.ids);
    expect(last.retried).toEqual([]);
  });

  it("handles each message of a batch on its own: a known event applies while an unknown one is retried", async () => {
    const target = await acceptedEmail();
    const stranger = { messageId: `${crypto.randomUUID()}@email.cloudflare.example`, address: "nobody@example.com" };
    const { ids, acked, retried } = await deliver([{ body: emailEvent("bounced", stranger) }, { body: emailEvent("delivered", target) }]);
    expect(retried).toEqual([ids[0]]);
    expect(acked).toEqual([ids[1]]);
    expect((await orderState(target.shipmentId)).row.status).toBe("Email_Delivered");
  });
});
