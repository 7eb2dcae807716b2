// One Durable Object per organisation: its status-callback subscription and its deliveries. Events come
// in by `enqueue` (from the shard writer), are stored before anything is sent, leave at once, and are
// retried from storage by the alarm until delivered or failed. This class is the shell: it loads
// (delivery-store.ts), takes a pure decision (decide.ts), saves it with no await in between, and only
// then runs the effects: the attempts, and the alarm (kept by the shared follower).
import { DurableObject } from "cloudflare:workers";
import { retentionMs } from "../config/settings";
import { log, logError } from "../log";
import { AlarmFollower } from "../retry/alarm-follower";
import * as decide from "./decide";
import { isAttempt, type Attempt, type CallbackState, type Decision, type Effect, type RetryResult } from "./decide";
import { DeliveryStore } from "./delivery-store";
import type { CallbackEvent } from "./events";
import { Pool } from "./pool";
import { postAttempt } from "./post";
import { attemptTimeoutMs, type DeliveryState } from "./schedule";
import type { Delivery, Subscription, SubscriptionPutAnswer, SubscriptionRequest } from "./schemas";
import { applyPut, makesSecret, putAnswer, subscriptionView } from "./subscription";
import { attemptFields, deliveryView, hostOf } from "./views";
import { handOffAnswer, type HandOffAnswer } from "./subscription-filter";

export type { RetryResult } from "./decide";

const PRUNE_EVERY_MS = 60 * 1000;
/**
 * At most this many attempts in flight (Cloudflare: an invocation holds at most 6 outgoing connections);
 * a continuous pool (pool.ts): the next due delivery is leased and sent as soon as one ends.
 */
export const MAX_IN_FLIGHT = 6;

export class WebhookObject extends DurableObject<Env> {
  private readonly store = new DeliveryStore(this.ctx.storage.sql);
  private readonly alarms = new AlarmFollower(this.ctx.storage);
  private lastPrunedAt = 0;
  private readonly pool = new Pool(MAX_IN_FLIGHT, attemptTimeoutMs(this.env), (e) =>
    logError("callbacks.send_failed", e));

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(() => this.alarms.ready()); // then each alarm is set with the save it follows
  }

  /** Creates or replaces the subscription; answers it, with its secret only when this call made it. */
  async subscribe(org: string, request: SubscriptionRequest): Promise<SubscriptionPutAnswer> {
    const existing = this.store.subscription();
    const secretMade = makesSecret(existing, request);
    const row = applyPut(existing, org, request, Date.now());
    this.store.putSubscription(row);
    const rotated = request.rotateSecret === true;
    log("callbacks.subscribed", { org, host: hostOf(row.url), events: row.events, rotated });
    if (existing?.disabled_reason) await this.run([{ kind: "start due" }]); // what waited while disabled goes out
    return putAnswer(row, secretMade);
  }

  async subscription(): Promise<Subscription | null> {
    const row = this.store.subscription();
    return row ? subscriptionView(row) : null;
  }

  /** Deletes the subscription and every delivery, pending ones included. False when there was none. */
  async unsubscribe(): Promise<boolean> {
    const row = this.store.subscription();
    if (!row) return false;
    await this.alarms.delete();
    await this.ctx.storage.deleteAll();
    this.store.reset();
    log("callbacks.unsubscribed", { org: row.org });
    return true;
  }

  /** Stores a delivery for each event the subscription wants (a repeat is ignored) and starts them. */
  async enqueue(events: CallbackEvent[]): Promise<HandOffAnswer> {
    const sub = this.store.subscription();
    // `subscribed` lets the shard writer stop forwarding to an organisation without one (subscription-filter.ts).
    if (!sub || sub.disabled_reason !== null) return handOffAnswer(sub, 0);
    const now = Date.now();
    const decided = events.map((event) => this.decide(event.eventId, (s) => decide.decideEnqueue(s, event, now)));
    await this.run(decided.flatMap((d) => d.effects));
    this.pruneNowAndThen(now);
    return handOffAnswer(sub, decided.filter((d) => d.answer === "stored").length);
  }

  /** The latest deliveries, newest first; null when there is no subscription. */
  async deliveries(state?: DeliveryState): Promise<Delivery[] | null> {
    return this.store.subscription() ? this.store.list(state).map(deliveryView) : null;
  }

  /** A failed delivery goes again now, same id, with a new run of the retry schedule. */
  async retry(id: string): Promise<RetryResult> {
    const d = this.decide(id, (s) => decide.decideRetry(s, Date.now()));
    await this.run(d.effects);
    return d.answer;
  }

  /** Retries, and attempts whose sender died (their lease ran out): sent through the pool until none is due. */
  override async alarm(): Promise<void> {
    this.alarms.fired();
    const now = Date.now();
    for (const id of this.store.leasesOver(now)) {
      const d = this.decide(id, (s) => decide.decideLeaseOver(s, now));
      log("callbacks.attempt_interrupted", { deliveryId: id, attempt: d.state.delivery?.attempts, result: d.answer });
    }
    await this.followAlarm();
    await this.sendDue();
    await this.alarms.exactly(this.store.wake()); // the next retry, or none: no early alarm for nothing
    this.pruneNowAndThen(now);
  }

  /** One load, one decision, one save: synchronous, so nothing can come between them. */
  private decide<A>(id: string, take: (s: CallbackState) => Decision<A>, before = this.store.load(id)): Decision<A> {
    const d = take(before);
    this.store.save(before, d.state);
    return d;
  }

  /** A stored decision's effects. The caller never waits for the receivers; the leases' alarm covers a crash. */
  private async run(effects: Effect[]): Promise<void> {
    const alarmSet = this.followAlarm();
    if (effects.some((e) => e.kind === "start due")) this.ctx.waitUntil(this.sendDue());
    await alarmSet;
  }

  /** Due deliveries go out through the pool, at once while a place is free; resolves when none is in flight. */
  private sendDue(): Promise<void> {
    return this.pool.fill(() => this.leaseNext());
  }

  /**
   * The longest-waiting due delivery, leased (decided and saved in one synchronous step) as it starts,
   * so its lease and its timeout both run from its send; null when none is due.
   */
  private leaseNext(): ((signal: AbortSignal) => Promise<void>) | null {
    const now = Date.now();
    const [due] = this.store.due(now, 1);
    if (!due) return null;
    const lease = (s: CallbackState) => decide.decideLease(s, now, attemptTimeoutMs(this.env));
    const leased = this.decide(due.id, lease, { sub: this.store.subscription(), delivery: due });
    const attempt = leased.effects.find(isAttempt);
    return attempt ? (signal) => this.attempt(attempt, signal) : null;
  }

  private async attempt(a: Attempt, signal: AbortSignal): Promise<void> {
    const result = await postAttempt(this.env, a.sub, a.delivery, signal);
    const d = this.decide(a.delivery.id, (s) => decide.decideSettle(s, { attempt: a.attempt, result }, Date.now()));
    log("callbacks.attempt", attemptFields(a.sub, a.delivery.id, a.attempt, result));
    if (d.answer === "gone") log("callbacks.disabled", { deliveryId: a.delivery.id, reason: "410" });
    await this.followAlarm(); // a retry's time
  }

  /** The alarm no later than the earliest due attempt or lease end; computed and set with no await between. */
  private followAlarm(): Promise<void> {
    return this.alarms.atOrBefore(this.store.wake());
  }

  private pruneNowAndThen(now: number) {
    if (now - this.lastPrunedAt < PRUNE_EVERY_MS) return;
    this.lastPrunedAt = now;
    this.store.prune(now, retentionMs(this.env));
  }
}
