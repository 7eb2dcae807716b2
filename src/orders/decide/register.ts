// Registration's decisions: a repeat of the same request gets the stored answer, a different request
// under the same key is a conflict (answered with the stored answer too, marked, or refused: the route
// decides by the organisation's setting), and a new one becomes this order's first state.
import type { RecipientStatus } from "../../status/statuses";
import type { Timings } from "../lifecycle";
import { destinationOf, senderSent, type Order } from "../order";
import { senderReplacedNote } from "../sms-sender";
import { Draft, type Decision, type OrderState } from "./state";

export interface OrderResponse {
  notificationOrderId: string;
  notification: { shipmentId: string; sendersReference?: string };
}

/**
 * Either way the first request's answer: nothing of a different request is stored or sent.
 * `senderReplaced`: the order sends the default instead of the request's sender (a replay says so, as the 201 did).
 */
export type ExistingAnswer =
  | { kind: "replayed"; response: OrderResponse; senderReplaced?: true }
  | { kind: "conflict"; response: OrderResponse };

/** A key already registered: `sameRequest` is whether the request's fingerprint (salted) matches the stored one. */
export function decideExisting(s: OrderState, sameRequest: boolean, order?: Order): ExistingAnswer {
  const response = JSON.parse(s.response) as OrderResponse;
  if (!sameRequest) return { kind: "conflict", response };
  // The same request, so the same sender as given: stored as another, it was replaced at registration.
  return order?.channel === "sms" && s.sender !== order.sender ? { kind: "replayed", response, senderReplaced: true } : { kind: "replayed", response };
}

export interface NewOrderInput {
  org: string;
  order: Order;
  shipmentId: string;
  response: OrderResponse;
  salt: string;
  fingerprint: string;
}

/**
 * The first state of a new order: waiting, a dispatch under way (`enqueued`: the queue message, or the
 * Worker's immediate attempt), so the alarm enqueues a message only if nothing claims it by then; the
 * registration its first event.
 * An SMS to a number that cannot take one (a fixed line, say) is registered final at once:
 * SMS_Failed_InvalidRecipient, nothing to hand over, its content erased in the same save.
 */
export function decideNewOrder(input: NewOrderInput, now: number, t: Pick<Timings, "emailLifetimeMs">): Decision<{ kind: "created"; response: OrderResponse }> {
  const { order } = input;
  const status: RecipientStatus = order.channel === "sms" ? "SMS_New" : "Email_New";
  const state: OrderState = {
    org: input.org,
    shipment_id: input.shipmentId,
    order_id: input.response.notificationOrderId,
    idempotency_id: order.idempotencyId,
    senders_reference: order.sendersReference ?? null,
    channel: order.channel,
    destination: destinationOf(order),
    sender: order.channel === "sms" ? senderSent(order) : order.senderEmailAddress,
    content_type: order.channel === "email" ? order.contentType : null,
    fingerprint: input.fingerprint,
    salt: input.salt,
    response: JSON.stringify(input.response),
    created_at: now,
    deadline: now + (order.timeToLiveInSeconds !== undefined ? order.timeToLiveInSeconds * 1000 : t.emailLifetimeMs),
    status,
    last_update: now,
    handover: "waiting",
    dispatch_at: now,
    enqueued: 1,
    redispatches: 0,
    claim_id: null,
    claim_until: 0,
    attempts: 0,
    provider_ref: null,
    claim_provider: null,
    claim_idempotent: 0,
    pinned_provider: null,
    shard: null,
    change_seq: 0, // the first event makes it 1
    pushed_seq: 0,
    alarm_failures: 0,
    verification_id: order.verification?.verificationId ?? null,
    verification_first: order.verification?.n === 1 ? 1 : 0,
    verification_ended: 0,
    status_detail: null,
  };
  const d = new Draft(state, now).begin("registration", order.channel === "sms" && order.senderReplaced ? senderReplacedNote(order.senderReplaced) : undefined);
  if (order.channel === "sms" && order.noSms) d.handedOver("done").propose("SMS_Failed_InvalidRecipient", "registration", `${order.noSms} Nothing was sent.`);
  return d.done({ kind: "created", response: input.response });
}
