// Status callbacks in tests: subscribing through the API, building the events the shard writer hands
// over, and moving an organisation's callback object through time (its alarm, its stored times).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { call } from "./api";
import { callbackEventId, type ShipmentStatusEvent } from "../../src/webhooks/events";
import { webhookStub } from "../../src/webhooks/stub";
import type { Delivery, SubscriptionPutAnswer } from "../../src/webhooks/schemas";
import type { RecipientStatus } from "../../src/status/statuses";
import { channelOf, isFinal } from "../../src/status/transitions";
import { manifestOf } from "../../src/status/manifest";

export const callbackObject = (org: string) => webhookStub(env, org);

/** PUT /future/webhook for `org`; answers the subscription, with its secret when this PUT made it (the first one, a rotation). */
export async function subscribe(org: string, url: string, events: "final" | "all" = "final", rotateSecret?: boolean): Promise<SubscriptionPutAnswer> {
  const response = await call("PUT", "/future/webhook", { url, events, ...(rotateSecret !== undefined ? { rotateSecret } : {}) }, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as SubscriptionPutAnswer;
}

export async function deliveriesOf(org: string, state?: string): Promise<Delivery[]> {
  const response = await call("GET", `/future/webhook/deliveries${state ? `?state=${state}` : ""}`, undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as Delivery[];
}

/** An event as the shard writer hands it over: status `status` of shipment `shipmentId`, now. */
export function statusEvent(org: string, shipmentId: string, seq: number, status: RecipientStatus, at = new Date()): ShipmentStatusEvent {
  return {
    eventId: callbackEventId(shipmentId, seq),
    org,
    shipmentId,
    seq,
    status,
    final: isFinal(status),
    at: at.toISOString(),
    manifest: manifestOf({
      shipmentId,
      sendersReference: "otp-login-1234",
      channel: channelOf(status),
      destination: channelOf(status) === "sms" ? "+4799999999" : "user@example.com",
      status,
      lastUpdate: at.toISOString(),
    }),
  };
}

/** The life of one SMS as events (seq 1 = registration … 4 = final). */
export function smsLife(org: string, shipmentId = crypto.randomUUID(), final: RecipientStatus = "SMS_Delivered"): ShipmentStatusEvent[] {
  return (["SMS_New", "SMS_Sending", "SMS_Accepted", final] as const).map((status, i) => statusEvent(org, shipmentId, i + 1, status));
}

/**
 * Moves the organisation's pending deliveries to "due now" (a retry's wait, or an attempt's lease, has
 * passed) and runs its alarm, as the clock would. Reports whether an alarm ran.
 */
export async function runDueAttempts(org: string): Promise<boolean> {
  const stub = callbackObject(org);
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec("UPDATE deliveries SET next_attempt_at = ? WHERE state = 'pending'", Date.now() - 1);
  });
  return runDurableObjectAlarm(stub);
}

/** Moves the subscription's stored times by `ms` (negative = into the past), e.g. to end a rotation's overlap. */
export async function shiftSubscriptionTimes(org: string, ms: number) {
  await runInDurableObject(callbackObject(org), (_instance, state) => {
    state.storage.sql.exec(
      "UPDATE subscription SET created_at = created_at + ?1, updated_at = updated_at + ?1, previous_secret_until = previous_secret_until + ?1",
      ms,
    );
  });
}

/** What the object stores for a delivery (the test's view behind the API). */
export async function storedDelivery(org: string, id: string): Promise<Record<string, unknown> | undefined> {
  return runInDurableObject(callbackObject(org), (_instance, state) => state.storage.sql.exec("SELECT * FROM deliveries WHERE id = ?", id).toArray()[0]);
}
