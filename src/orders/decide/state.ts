// The order's state as stored (one row), and what a decision returns: the next state, the events to
// append, the effects to run once that is stored, and the answer to the caller. Decisions are pure:
// the Durable Object loads, decides, saves (synchronously) and only then runs the effects.
import type { RecipientStatus } from "../../status/statuses";
import { isFinal, transition } from "../../status/transitions";
import type { LifecycleState } from "../lifecycle";

export type { Handover } from "../lifecycle";

export interface OrderState extends LifecycleState {
  org: string;
  shipment_id: string;
  order_id: string;
  idempotency_id: string;
  senders_reference: string | null;
  channel: "sms" | "email";
  destination: string;
  sender: string;
  content_type: string | null;
  fingerprint: string;
  salt: string;
  response: string;
  claim_id: string | null;
  provider_ref: string | null;
  /** The provider of the current claim, whether it honours our idempotency key, and the one an in-doubt hand-over is pinned to. */
  claim_provider: string | null;
  claim_idempotent: number;
  pinned_provider: string | null;
  shard: string | null;
  /** Counts every change D1 must learn of (the version D1 keeps); `pushed_seq` is the last one handed to the shard writer. */
  change_seq: number;
  pushed_seq: number;
  alarm_failures: number;
  /**
   * The verification this order is a message of, and whether it is its first (whose first change tells
   * the statistics the verification started). Absent from orders of earlier versions.
   */
  verification_id?: string | null;
  verification_first?: number;
  /** 1 once its verification has ended: nothing more is sent (decide/verification.ts). */
  verification_ended?: number;
  /** The recipient's status description when it says more than the status (VERIFICATION_ENDED_DETAIL); null: the status's own. */
  status_detail?: string | null;
}

/** A status proposal, applied or kept for audit only. */
export interface NewEvent {
  status: RecipientStatus;
  applied: boolean;
  source: string;
  detail?: string;
  at: number;
}

/**
 * Work that follows a stored decision. Besides these, every stored change makes the alarm follow the
 * new state and hands the change to the shard writer (write-behind); the alarm resumes any of them.
 */
export type Effect =
  /** Put a dispatch message on the channel's queue. */
  | { kind: "enqueue" }
  /** Retention is over: hand the deletion to D1, then erase this object. */
  | { kind: "forget" };

export interface Decision<A> {
  /** The next state: the same object when nothing in the row changes. */
  state: OrderState;
  events: NewEvent[];
  /** Erase the sealed body (handed over or final). */
  eraseContent: boolean;
  /** A report's dedupe key to remember. */
  seenReport?: string;
  effects: Effect[];
  answer: A;
}

/** Whether a decision changes anything that must be stored. */
export function changes(before: OrderState | null, d: Decision<unknown>): boolean {
  return d.state !== before || d.events.length > 0 || d.eraseContent || d.seenReport !== undefined;
}

export function failedStatus(channel: "sms" | "email"): RecipientStatus {
  return channel === "sms" ? "SMS_Failed" : "Email_Failed";
}

export function ttlStatus(channel: "sms" | "email"): RecipientStatus {
  return channel === "sms" ? "SMS_Failed_TTL" : "Email_Failed_TTL";
}

/** Builds one decision step by step; each helper keeps the change counter D1's version guard relies on. */
export class Draft {
  state: OrderState;
  readonly events: NewEvent[] = [];
  eraseContent = false;
  seenReport: string | undefined;
  readonly effects: Effect[] = [];

  constructor(
    from: OrderState,
    readonly now: number,
  ) {
    this.state = from;
  }

  set(patch: Partial<OrderState>): this {
    this.state = { ...this.state, ...patch };
    return this;
  }

  /** Moves the recipient status if the transition table allows it; every proposal is kept as an event. */
  propose(status: RecipientStatus, source: string, detail?: string): boolean {
    const result = transition(this.state.status, status);
    if (result.applied) {
      this.set({ status: result.status, last_update: this.now });
      if (isFinal(result.status)) this.eraseContent = true;
    }
    this.event({ status, applied: result.applied, source, ...(detail !== undefined ? { detail } : {}), at: this.now });
    return result.applied;
  }

  /** A new order's first event: the status it starts in, applied (nothing comes before it). */
  begin(source: string, detail?: string): this {
    this.event({ status: this.state.status, applied: true, source, ...(detail !== undefined ? { detail } : {}), at: this.now });
    return this;
  }

  /** An audit note that changes no status. */
  note(source: string, detail: string): this {
    this.event({ status: this.state.status, applied: false, source, detail, at: this.now });
    return this;
  }

  providerRef(ref: string): this {
    return this.set({ provider_ref: ref, change_seq: this.state.change_seq + 1 });
  }

  /** The hand-over is settled for good: the sealed body is no longer needed. */
  handedOver(handover: "accepted" | "done"): this {
    this.eraseContent = true;
    return this.set({ handover });
  }

  effect(effect: Effect): this {
    this.effects.push(effect);
    return this;
  }

  done<A>(answer: A): Decision<A> {
    const d: Decision<A> = { state: this.state, events: this.events, eraseContent: this.eraseContent, effects: this.effects, answer };
    if (this.seenReport !== undefined) d.seenReport = this.seenReport;
    return d;
  }

  private event(e: NewEvent) {
    this.events.push(e);
    this.set({ change_seq: this.state.change_seq + 1 });
  }
}

/** A decision that changes nothing. */
export function unchanged<A>(state: OrderState, answer: A): Decision<A> {
  return { state, events: [], eraseContent: false, effects: [], answer };
}
