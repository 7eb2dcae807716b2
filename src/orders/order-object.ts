// One Durable Object per (organisation, idempotencyId). It serialises everything that happens to one
// order: registration (exactly once), dispatch claims (at most one hand-over), provider results and
// reports (forward only), and the alarm that makes every shipment final. Each call loads the order
// once, takes a pure decision (decide/), saves it with no await in between, and only then runs the
// effects, from what is stored: the alarm resumes any effect a crash cut off (docs/order-lifecycle.md).
import { DurableObject } from "cloudflare:workers";
import { log, logError } from "../log";
import type { ProviderOutcome } from "../providers/outcome";
import type { OutboundMessage } from "../providers/provider";
import { AlarmFollower } from "../retry/alarm-follower";
import { contentKeysOf, openContent } from "./content-cipher";
import { decideAlarm, decideAlarmFailure, decideAlarmSucceeded } from "./decide/alarm";
import { decideClaim, decideRecord, decideRefuse, decideRelease, type ClaimAnswer, type ProviderChoice } from "./decide/dispatch";
import { decideExisting, type OrderResponse } from "./decide/register";
import { decideReport, type ReportAnswer } from "./decide/report";
import { decideVerificationEnded, type MessageOutcome } from "./decide/verification";
import { failureToTell, tellVerificationFailed } from "./verification-link";
import { isFinal } from "../status/transitions";
import type { Decision, OrderState } from "./decide/state";
import { nextWake, timings } from "./lifecycle";
import type { ShipmentView } from "../status/manifest";
import { compareFingerprint, keyedFingerprint, schemeOf } from "./fingerprint";
import type { Order } from "./order";
import { OrderStore, type SealedContent } from "./order-store";
import { enqueueDispatch, prepareRegistration, type RegisterOutcome } from "./registration";
import { historyView, manifestView, outboundMessage, type HistoryEntry } from "./views";
import { WriteBehind } from "./write-behind";

export type { OrderResponse } from "./decide/register";
export type { ProviderChoice } from "./decide/dispatch";
export type { DispatchMessage, RegisterOutcome } from "./registration";
export type { HistoryEntry } from "./views";
export type { MessageOutcome } from "./decide/verification";
export type ReportResult = ReportAnswer;
/** What the fingerprint sweep found in one order. */
export type KeyFingerprintResult = "wrapped" | "already keyed" | "missing";
export type SendClaim = Extract<ClaimAnswer, { kind: "send" }> & { message: OutboundMessage };
export type ClaimResult = Exclude<ClaimAnswer, { kind: "send" }> | SendClaim;
/** A new order may come with the Worker's claim on its hand-over (`register`'s `claimFor`). */
export type Registered = Exclude<RegisterOutcome, { kind: "created" }> | { kind: "created"; response: OrderResponse; claim?: SendClaim };

export class OrderObject extends DurableObject<Env> {
  private readonly store = new OrderStore(this.ctx.storage.sql);
  private readonly behind = new WriteBehind(this.store, this.env, this.ctx, () => this.followAlarm());
  /** The alarm as this instance last set it, so most changes leave it alone. */
  private readonly alarms = new AlarmFollower(this.ctx.storage);

  /**
   * Registers the order once. A repeat of the same request gets the stored answer; a different request
   * under the same key is a conflict, which carries the stored answer too and stores nothing. Concurrent
   * calls wait for the first (blockConcurrencyWhile), so a race never makes a second shipment and never
   * fails. The one step that awaits before it writes.
   */
  async register(org: string, order: Order, claimFor?: ProviderChoice): Promise<Registered> {
    const stored = this.store.load();
    if (stored) return this.existing(stored, order);
    return this.ctx.blockConcurrencyWhile(async () => {
      const current = this.store.load(); // another call may have registered while this one waited
      if (current) return this.existing(current, order);
      const prepared = await prepareRegistration(this.env, this.ctx.id.toString(), org, order, Date.now());
      if (prepared.kind !== "ready") return prepared;
      this.store.insert(prepared.decision, prepared.content);
      const claimed = claimFor ? this.claimOnRegistration(prepared.decision.state.shipment_id, claimFor, order) : null;
      await Promise.all([claimed?.alarmSet, this.followAlarm()]);
      await this.follow(prepared.decision);
      // One line for the registration and its claim: the status it reached, not each step to it.
      log("registered", {
        shipmentId: prepared.decision.state.shipment_id,
        channel: order.channel,
        status: claimed?.status ?? prepared.decision.state.status,
        ...(order.verification ? { verificationId: order.verification.verificationId, message: order.verification.n } : {}),
      });
      return claimed?.claim ? { ...prepared.decision.answer, claim: claimed.claim } : prepared.decision.answer;
    });
  }

  /**
   * The Worker's immediate attempt claims in the registration's own call (one request fewer): decided
   * and saved in the same synchronous step as the insert, from the content the request carried.
   */
  private claimOnRegistration(shipmentId: string, via: ProviderChoice, order: Order): { claim?: SendClaim; status: OrderState["status"]; alarmSet: Promise<void> } | null {
    const now = Date.now();
    const d = this.decideNow((row) => decideClaim(row, { shipmentId, via, content: "opened", claimId: crypto.randomUUID() }, now, timings(this.env)), "registration logs it");
    if (d?.answer.kind !== "send") return d && { status: d.state.status, alarmSet: d.alarmSet };
    const content = { body: order.body, subject: order.channel === "email" ? order.subject : null };
    return { claim: { ...d.answer, message: outboundMessage(d.state, content, this.ctx.id.toString(), now) }, status: d.state.status, alarmSet: d.alarmSet };
  }

  /** A key already registered. A fingerprint in an older form, or under a key that no longer seals, is keyed anew on this access. */
  private async existing(stored: OrderState, order: Order): Promise<RegisterOutcome> {
    const check = await compareFingerprint(contentKeysOf(this.env), stored, order);
    if (check.replacement) this.store.replaceFingerprint(stored.fingerprint, check.replacement);
    if (check.unknownKeyId) log("fingerprint.key_unknown", { shipmentId: stored.shipment_id, keyId: check.unknownKeyId });
    return decideExisting(stored, check.same, order);
  }

  /**
   * The one-off sweep (src/orders/fingerprint-sweep.ts): keys the fingerprint an earlier version stored
   * unkeyed, in place (the HMAC of that digest, so the order still replays). Idempotent.
   */
  async keyFingerprint(): Promise<KeyFingerprintResult> {
    const stored = this.store.load();
    if (!stored) return "missing";
    if (schemeOf(stored.fingerprint) !== "unkeyed") return "already keyed";
    const wrapped = await keyedFingerprint(this.env.CONTENT_KEY, stored.fingerprint);
    if (this.store.replaceFingerprint(stored.fingerprint, wrapped)) return "wrapped";
    return this.store.load() ? "already keyed" : "missing"; // wrapped by a replay meanwhile, or deleted by retention
  }

  /**
   * Claims the one hand-over for `via` (the provider the dispatcher chose). The sealed content is opened
   * first, so the claim is decided in one step: an unreadable body fails at once and never counts as
   * "maybe sent"; a body erased meanwhile belongs to a shipment the decision skips.
   */
  async claim(shipmentId: string, via?: ProviderChoice): Promise<ClaimResult> {
    const content = await this.openedContent(shipmentId, this.store.sealedContent());
    const input = { shipmentId, via, content: content ? ("opened" as const) : ("unreadable" as const), claimId: crypto.randomUUID() };
    const now = Date.now();
    const d = await this.step((row) => decideClaim(row, input, now, timings(this.env)));
    if (!d) return { kind: "skip", reason: "unknown_shipment" };
    if (d.answer.kind !== "send") return d.answer;
    return { ...d.answer, message: outboundMessage(d.state, content!, this.ctx.id.toString(), now) };
  }

  /** The hand-over cannot be attempted at all (no usable provider): the shipment fails at once with the reason. */
  async refuse(shipmentId: string, reason: string): Promise<void> {
    await this.step((row) => decideRefuse(row, { shipmentId, reason }, Date.now()));
  }

  /** The consumer failed before it called the provider: give the claim back so the alarm re-dispatches. */
  async release(shipmentId: string, claimId: string): Promise<void> {
    await this.step((row) => decideRelease(row, { shipmentId, claimId }, Date.now()));
  }

  /** Records what the provider answered to the claimed hand-over; `provider` names it in the status history. */
  async record(shipmentId: string, claimId: string, outcome: ProviderOutcome, provider?: string): Promise<void> {
    await this.step((row) => decideRecord(row, { shipmentId, claimId, outcome, provider, random: Math.random() }, Date.now()));
  }

  /**
   * Applies a delivery report. `dedupeKey` identifies the report itself (an event id, or message id and
   * status), so a repeated report is recognised; a late or backward report is recorded and changes nothing.
   */
  async report(shipmentId: string, outcome: ProviderOutcome, dedupeKey: string, source: string, providerRef?: string): Promise<ReportResult> {
    const d = await this.step((row) => decideReport(row, { shipmentId, outcome, dedupeKey, source, providerRef, seen: this.store.seenReport(dedupeKey) }, Date.now()));
    return d?.answer ?? { kind: "unknown" };
  }

  /**
   * The verification this order is a message of has ended: a message still waiting is not sent, and the
   * code is erased (decide/verification.ts). Answers what became of the message; null: no such shipment.
   */
  async verificationEnded(shipmentId: string): Promise<MessageOutcome | null> {
    const d = await this.step((row) => decideVerificationEnded(row, { shipmentId }, Date.now()));
    return d?.answer ?? null;
  }

  /**
   * A verification's message only: its body, still sealed, while the order holds it (until its hand-over is
   * final). The verification takes back the code it sent when its own start was cut off after this
   * registration (src/verifications/); nothing else asks for it, and it never leaves the service.
   */
  async sealedBody(shipmentId: string): Promise<string | null> {
    const row = this.store.load();
    if (row?.shipment_id !== shipmentId || !row.verification_id) return null;
    return this.store.sealedContent()?.body ?? null;
  }

  /** The delivery manifest, or null when this object holds no such shipment of this organisation. */
  async manifest(org: string, shipmentId: string): Promise<ShipmentView | null> {
    return manifestView(this.store.load(), org, shipmentId);
  }

  /** The status history (every proposal, applied or not), oldest first; empty for an unknown shipment. */
  async history(shipmentId: string): Promise<HistoryEntry[]> {
    return this.store.load()?.shipment_id === shipmentId ? historyView(this.store.events(false)) : [];
  }

  /** Hands every change not yet sent behind to the shard writer, and waits for it (tests, the bench). */
  async syncNow(): Promise<boolean> {
    return this.behind.push();
  }

  /**
   * The safety net that makes every shipment final (decide/alarm.ts). Never throws: a failure (a queue
   * send, the shard writer) sets the next alarm by this order's own backoff, so it never stops for good.
   */
  override async alarm(): Promise<void> {
    this.alarms.fired();
    try {
      const d = await this.step((row) => decideAlarm(row, Date.now(), timings(this.env)));
      if (!d) return;
      if (d.effects.some((e) => e.kind === "forget")) return await this.forget(d.state);
      await this.followAlarm();
      if (!(await this.behind.push())) throw new Error("the shard writer did not take the changes");
      await this.decideNow((row) => decideAlarmSucceeded(row, Date.now()))?.alarmSet;
    } catch (error) {
      const failed = this.decideNow((row) => decideAlarmFailure(row, Date.now()));
      if (!failed) return;
      await failed.alarmSet;
      logError("alarm.failed", error, { shipmentId: failed.state.shipment_id, failures: failed.state.alarm_failures });
      await this.alarms.exactly(failed.answer.retryAt);
    }
  }

  /**
   * The retention period is over: the shipment leaves D1 (through the shard writer, after every earlier
   * change) and then this object, and the key may be used anew. A registration that arrives meanwhile
   * waits (blockConcurrencyWhile) and finds the key free, never a half-deleted shipment.
   */
  private async forget(row: OrderState) {
    await this.ctx.blockConcurrencyWhile(async () => {
      await this.behind.pushDeletion(row);
      await this.alarms.delete();
      await this.ctx.storage.deleteAll();
      this.store.forgotten();
      log("retention.deleted", { shipmentId: row.shipment_id });
    });
  }

  /**
   * One load, one decision, one save: synchronous, so nothing can come between them. Null: no order
   * here. Each applied status is logged, unless the caller logs the change in a line of its own.
   */
  private decideNow<A>(
    decide: (row: OrderState) => Decision<A>,
    statusLines: "log each status" | "registration logs it" = "log each status",
  ): (Decision<A> & { changed: boolean; alarmSet: Promise<void> }) | null {
    const row = this.store.load();
    if (!row) return null;
    const d = decide(row);
    const changed = this.store.save(row, d);
    const alarmSet = changed ? this.followAlarm() : Promise.resolve();
    let from = row.status;
    for (const e of statusLines === "log each status" ? d.events.filter((e) => e.applied) : []) {
      log("status", { shipmentId: row.shipment_id, from, to: e.status, source: e.source });
      from = e.status;
    }
    return { ...d, changed, alarmSet };
  }

  /** A decision, then its effects. */
  private async step<A>(decide: (row: OrderState) => Decision<A>): Promise<Decision<A> | null> {
    const d = this.decideNow(decide);
    if (!d) return null;
    await d.alarmSet;
    if (d.changed) await this.follow(d);
    return d;
  }

  /**
   * After a stored change (and its alarm): its effects, from what is stored, and D1 learns of the
   * change behind the answer. The alarm resumes an effect a crash cut off: a lost dispatch message is
   * sent again, a hand-off that never happened is retried.
   */
  private async follow(d: Decision<unknown>) {
    const failed = failureToTell(d.events, isFinal);
    const verificationId = d.state.verification_id;
    if (failed && verificationId) this.ctx.waitUntil(tellVerificationFailed(this.env, verificationId, d.state.shipment_id, failed));
    for (const effect of d.effects) {
      if (effect.kind !== "enqueue") continue;
      const row = this.store.load()!;
      await enqueueDispatch(this.env, { orderRef: this.ctx.id.toString(), shipmentId: row.shipment_id, channel: row.channel });
      log("redispatched", { shipmentId: row.shipment_id, attempts: row.attempts });
    }
    this.behind.soon();
  }

  /**
   * Sets the alarm the stored state needs. Called in the same synchronous step as the save, so the
   * alarm is committed with the change it follows: a crash after the save still finds it set.
   */
  private followAlarm(): Promise<void> {
    const row = this.store.load();
    if (!row) return Promise.resolve();
    const wake = nextWake(row, timings(this.env), row.change_seq > row.pushed_seq, Date.now());
    return this.alarms.exactly(wake);
  }

  /** The opened body and subject, or null when they cannot be opened (or are gone). */
  private async openedContent(shipmentId: string, sealed: SealedContent | null): Promise<{ body: string; subject: string | null } | null> {
    if (!sealed) return null;
    const keys = contentKeysOf(this.env);
    try {
      return {
        body: await openContent(keys, shipmentId, sealed.body),
        subject: sealed.subject === null ? null : await openContent(keys, shipmentId, sealed.subject),
      };
    } catch (error) {
      logError("dispatch.content_unreadable", error, { shipmentId });
      return null;
    }
  }
}
