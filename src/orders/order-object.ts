// One Durable Object per (organisation, idempotencyId). It serialises everything that happens to one
// order: registration (exactly once), dispatch claims (at most one hand-over), provider results and
// reports (forward only), and the alarm that makes every shipment final.
import { DurableObject } from "cloudflare:workers";
import type { ProviderOutcome } from "../providers/outcome";
import type { OutboundMessage } from "../providers/provider";
import type { RecipientStatus } from "../status/statuses";
import { isFinal, orderStatusOf, transition } from "../status/transitions";
import type { ShipmentChange } from "../store/changes";
import { shardOf, shardWriter } from "../store/shards";
import { retryDelay } from "../retry/backoff";
import { openContent, sealContent } from "./content-cipher";
import { destinationOf, fingerprintOf, type Order } from "./order";
import { shipmentIdFor } from "./order-key";
import { lostMessageWait, nextWake, retryAfterFailure, timings, type LifecycleState } from "./lifecycle";
import { isoTime, manifestOf, type ShipmentView } from "../status/manifest";
import { log, logError } from "../log";
import { checkLimits, type LimitRefusal } from "../limits/check";

export interface OrderResponse {
  notificationOrderId: string;
  notification: { shipmentId: string; sendersReference?: string };
}

export type RegisterOutcome =
  | { kind: "created" | "replayed"; response: OrderResponse }
  | { kind: "conflict" }
  | { kind: "refused"; refusal: LimitRefusal }
  | { kind: "unavailable" };

/** What a queue message carries: a reference to the order, never its content. */
export interface DispatchMessage {
  orderRef: string;
  shipmentId: string;
  /** So the dispatcher can choose the provider before it claims (absent in messages of older versions). */
  channel?: "sms" | "email";
}

export type ClaimResult =
  | { kind: "send"; claimId: string; timeoutMs: number; message: OutboundMessage }
  /**
   * Nothing to do for this message: handed over already, final, or not this order's shipment; or
   * `pinnedTo`: an earlier hand-over to that provider is in doubt, and only it may be asked again.
   */
  | { kind: "skip"; reason: string; pinnedTo?: string };

/** The provider a dispatcher means to call. `idempotent`: it honours our idempotency key (the shipment id). */
export interface ProviderChoice {
  name: string;
  idempotent: boolean;
}

export interface HistoryEntry {
  status: RecipientStatus;
  applied: boolean;
  source: string;
  detail?: string;
  at: string;
}

export type ReportResult = { kind: "applied" | "recorded" | "duplicate" | "unknown" };

interface Row extends LifecycleState {
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
  /** Counts every change D1 must learn of; `pushed_seq` is the last one handed to the shard writer. */
  change_seq: number;
  pushed_seq: number;
  alarm_failures: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shipment (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  org TEXT NOT NULL, shipment_id TEXT NOT NULL, order_id TEXT NOT NULL, idempotency_id TEXT NOT NULL,
  senders_reference TEXT, channel TEXT NOT NULL,
  destination TEXT NOT NULL, sender TEXT NOT NULL, content_type TEXT,
  fingerprint TEXT NOT NULL, salt TEXT NOT NULL, response TEXT NOT NULL,
  created_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
  status TEXT NOT NULL, last_update INTEGER NOT NULL,
  handover TEXT NOT NULL,               -- waiting | claimed | in_doubt | accepted | done
  dispatch_at INTEGER NOT NULL, enqueued INTEGER NOT NULL,
  redispatches INTEGER NOT NULL DEFAULT 0,
  claim_id TEXT, claim_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  provider_ref TEXT,
  claim_provider TEXT, claim_idempotent INTEGER NOT NULL DEFAULT 0, pinned_provider TEXT,
  shard TEXT, change_seq INTEGER NOT NULL DEFAULT 0, pushed_seq INTEGER NOT NULL DEFAULT 0,
  alarm_failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  status TEXT NOT NULL, applied INTEGER NOT NULL, source TEXT NOT NULL, detail TEXT,
  at INTEGER NOT NULL, synced INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seen_reports (key TEXT PRIMARY KEY);
-- The body (and subject), sealed (content-cipher.ts), apart from the state that changes: written once, erased once.
CREATE TABLE IF NOT EXISTS content (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL, subject TEXT);
`;

/** How long an order gathers its changes before it hands them to the shard writer. */
const PUSH_GATHER_MS = 15;

export class OrderObject extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  /** Whether this object holds an order at all: a read of an unknown id must not create storage. */
  private hasSchema = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shipment'").toArray().length > 0;
  /** The alarm as this instance last set it (undefined: not read yet): saves a storage read per change. */
  private alarmAt: number | null | undefined;
  private pushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Pushes to the shard writer run one after another, so D1 learns of changes in order. */
  private pushChain: Promise<unknown> = Promise.resolve();

  // ── Registration ────────────────────────────────────────────────────────────────────────────

  /**
   * Registers the order once. A repeat of the same request gets the stored answer; a different request
   * under the same key is a conflict. Concurrent calls wait for the first (blockConcurrencyWhile), so a
   * race never makes a second shipment and never fails.
   */
  async register(org: string, order: Order): Promise<RegisterOutcome> {
    const stored = this.row();
    if (stored) return this.compare(stored, order);
    return this.ctx.blockConcurrencyWhile(async () => {
      const current = this.row(); // another call may have registered while this one waited
      if (current) return this.compare(current, order);
      return this.registerNew(org, order);
    });
  }

  private async compare(stored: Row, order: Order): Promise<RegisterOutcome> {
    const same = (await fingerprintOf(order, stored.salt)) === stored.fingerprint;
    return same ? { kind: "replayed", response: JSON.parse(stored.response) as OrderResponse } : { kind: "conflict" };
  }

  /**
   * The order becomes durable here and its dispatch is assured (a queue message, and the alarm behind
   * it); D1 learns of it afterwards, through the shard writer. A failed step leaves nothing behind.
   */
  private async registerNew(org: string, order: Order): Promise<RegisterOutcome> {
    const now = Date.now();
    // Limits count only new requests, before anything is stored: a refused one leaves nothing behind.
    const verdict = await checkLimits(this.env, org, order, now);
    if (verdict.kind === "unavailable") return verdict;
    if (verdict.kind !== "ok") return { kind: "refused", refusal: verdict };
    const shipmentId = await shipmentIdFor(org, order.idempotencyId);
    const response: OrderResponse = {
      notificationOrderId: crypto.randomUUID(),
      notification: { shipmentId, ...(order.sendersReference !== undefined ? { sendersReference: order.sendersReference } : {}) },
    };
    const deadline = now + (order.channel === "sms" ? order.timeToLiveInSeconds * 1000 : timings(this.env).emailLifetimeMs);
    const status: RecipientStatus = order.channel === "sms" ? "SMS_New" : "Email_New";

    // Sealed first: a missing CONTENT_KEY must fail before anything is written.
    let sealedBody: string, sealedSubject: string | null;
    try {
      sealedBody = await sealContent(this.env.CONTENT_KEY, shipmentId, order.body);
      sealedSubject = order.channel === "email" ? await sealContent(this.env.CONTENT_KEY, shipmentId, order.subject) : null;
    } catch (error) {
      logError("register.seal_failed", error, { shipmentId });
      return { kind: "unavailable" };
    }
    // The queue message before the order: it cannot be claimed before this call ends (blockConcurrencyWhile),
    // and a message whose registration then fails finds no order and is skipped.
    try {
      await this.enqueue(order.channel, shipmentId);
    } catch (error) {
      logError("register.enqueue_failed", error, { shipmentId });
      return { kind: "unavailable" };
    }

    const salt = crypto.randomUUID();
    const fingerprint = await fingerprintOf(order, salt);
    this.ensureSchema();
    this.sql.exec(
      `INSERT INTO shipment (id, org, shipment_id, order_id, idempotency_id, senders_reference, channel, destination, sender, content_type,
         fingerprint, salt, response, created_at, deadline, status, last_update, handover, dispatch_at, enqueued)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, 1)`,
      org,
      shipmentId,
      response.notificationOrderId,
      order.idempotencyId,
      order.sendersReference ?? null,
      order.channel,
      destinationOf(order),
      order.channel === "sms" ? order.sender : order.senderEmailAddress,
      order.channel === "email" ? order.contentType : null,
      fingerprint,
      salt,
      JSON.stringify(response),
      now,
      deadline,
      status,
      now,
      now,
    );
    this.sql.exec("INSERT INTO content (id, body, subject) VALUES (1, ?, ?)", sealedBody, sealedSubject);
    this.addEvent(status, true, "registration");
    await this.afterChange();
    log("registered", { shipmentId, channel: order.channel });
    return { kind: "created", response };
  }

  // ── Dispatch: claim, release, record ───────────────────────────────────────────────────────

  /**
   * Claims the one hand-over for `via` (the provider the dispatcher chose). Only a waiting shipment
   * inside its deadline can be claimed; the claim holds a lease that covers the provider call.
   * Redelivered or duplicate queue messages find it claimed or handed over and skip. The content is
   * opened before the claim is taken: an unreadable body fails at once and never counts as "maybe sent".
   */
  async claim(shipmentId: string, via?: ProviderChoice): Promise<ClaimResult> {
    const row = this.row();
    if (!row || row.shipment_id !== shipmentId) return { kind: "skip", reason: "unknown shipment" };
    const now = Date.now();
    if (isFinal(row.status)) return { kind: "skip", reason: "final" };
    if (row.handover !== "waiting") return { kind: "skip", reason: row.handover };
    if (now >= row.deadline) {
      this.finalizeTtl(row, "deadline passed before hand-over");
      await this.afterChange();
      return { kind: "skip", reason: "deadline passed" };
    }
    if (now < row.dispatch_at) return { kind: "skip", reason: "retry not due" };
    if (row.pinned_provider && via?.name !== row.pinned_provider) return { kind: "skip", reason: "pinned", pinnedTo: row.pinned_provider };

    let content: { body: string; subject: string | null };
    try {
      content = await this.openedContent(shipmentId);
    } catch (error) {
      logError("dispatch.content_unreadable", error, { shipmentId });
      this.sql.exec("UPDATE shipment SET handover = 'done' WHERE id = 1");
      this.eraseContent();
      this.apply(row.channel === "sms" ? "SMS_Failed" : "Email_Failed", "dispatch", "the message content could not be opened (was CONTENT_KEY changed?); nothing was sent");
      await this.afterChange();
      return { kind: "skip", reason: "content unreadable" };
    }
    if (this.row()!.handover !== "waiting") return { kind: "skip", reason: "claimed meanwhile" };

    const { providerTimeoutMs, leaseMarginMs } = timings(this.env);
    const timeoutMs = Math.min(providerTimeoutMs, row.deadline - now);
    const claimId = crypto.randomUUID();
    this.sql.exec(
      `UPDATE shipment SET handover = 'claimed', claim_id = ?, claim_until = ?, attempts = attempts + 1,
         claim_provider = ?, claim_idempotent = ? WHERE id = 1`,
      claimId,
      now + timeoutMs + leaseMarginMs,
      via?.name ?? null,
      via?.idempotent ? 1 : 0,
    );
    this.apply(row.channel === "sms" ? "SMS_Sending" : "Email_Sending", "dispatch", `attempt ${row.attempts + 1}${via ? ` via ${via.name}` : ""}`);
    await this.afterChange();
    return {
      kind: "send",
      claimId,
      timeoutMs,
      message: {
        channel: row.channel,
        shipmentId,
        orderRef: this.ctx.id.toString(),
        to: row.destination,
        from: row.sender,
        body: content.body,
        ...(content.subject !== null ? { subject: content.subject } : {}),
        ...(row.content_type ? { contentType: row.content_type as "Plain" | "Html" } : {}),
        validitySeconds: Math.max(1, Math.floor((row.deadline - now) / 1000)),
      },
    };
  }

  private async openedContent(shipmentId: string): Promise<{ body: string; subject: string | null }> {
    const sealed = this.sql.exec<{ body: string; subject: string | null }>("SELECT body, subject FROM content").toArray()[0];
    if (!sealed) throw new Error("a waiting shipment without its content"); // erased only when handed over or final
    return {
      body: await openContent(this.env.CONTENT_KEY, shipmentId, sealed.body),
      subject: sealed.subject === null ? null : await openContent(this.env.CONTENT_KEY, shipmentId, sealed.subject),
    };
  }

  /**
   * The hand-over cannot be attempted at all (no usable provider is configured): the shipment fails at
   * once with the reason, while nothing has been handed over. A claimed or in-doubt hand-over is not touched.
   */
  async refuse(shipmentId: string, reason: string): Promise<void> {
    const row = this.row();
    if (!row || row.shipment_id !== shipmentId || isFinal(row.status) || row.handover !== "waiting") return;
    this.sql.exec("UPDATE shipment SET handover = 'done' WHERE id = 1");
    this.eraseContent();
    this.apply(row.channel === "sms" ? "SMS_Failed" : "Email_Failed", "dispatch", reason);
    await this.afterChange();
  }

  /** The consumer failed before it called the provider: give the claim back so the alarm re-dispatches. */
  async release(shipmentId: string, claimId: string): Promise<void> {
    const row = this.row();
    if (!row || row.shipment_id !== shipmentId || row.claim_id !== claimId || row.handover !== "claimed") return;
    this.sql.exec("UPDATE shipment SET handover = 'waiting', enqueued = 0, dispatch_at = ? WHERE id = 1", Date.now());
    await this.afterChange();
  }

  /** Records what the provider answered to the claimed hand-over; `provider` names it in the status history. */
  async record(shipmentId: string, claimId: string, outcome: ProviderOutcome, provider?: string): Promise<void> {
    const row = this.row();
    if (!row || row.shipment_id !== shipmentId || row.claim_id !== claimId) return;
    if (row.handover !== "claimed" && row.handover !== "in_doubt") {
      // A report overtook this answer and already settled the hand-over; keep the provider's id.
      if (outcome.kind === "accepted" && outcome.providerRef && !row.provider_ref) this.setProviderRef(outcome.providerRef);
      await this.afterChange();
      return;
    }
    const now = Date.now();
    const source = provider ? `provider ${provider}` : "provider";
    switch (outcome.kind) {
      case "accepted":
        this.sql.exec("UPDATE shipment SET handover = 'accepted' WHERE id = 1");
        this.eraseContent();
        if (outcome.providerRef) this.setProviderRef(outcome.providerRef);
        this.apply(outcome.status, source, outcome.providerRef ? `accepted as ${outcome.providerRef}` : "accepted");
        break;
      case "final":
        this.sql.exec("UPDATE shipment SET handover = 'done' WHERE id = 1");
        this.eraseContent();
        this.apply(outcome.status, source, outcome.detail ?? "rejected at hand-over");
        break;
      case "transient": {
        const delay = retryDelay(row.attempts, now, row.deadline, outcome.retryAfterMs);
        // No retry can start before the deadline: wait there, and the alarm makes it final.
        this.sql.exec("UPDATE shipment SET handover = 'waiting', enqueued = 0, dispatch_at = ? WHERE id = 1", delay === null ? row.deadline : now + delay);
        this.addEvent(row.status, false, source, `transient: ${outcome.detail ?? "retrying"}`);
        break;
      }
      case "unknown":
        // The answer was lost after the request left (maybe sent): settled as an expired claim is.
        this.settleExpiredClaim(row, now, source, `answer lost (${outcome.detail ?? "timeout"})`);
        break;
      case "progress":
      case "ignore":
        break;
    }
    await this.afterChange();
  }

  // ── Provider reports ───────────────────────────────────────────────────────────────────────

  /**
   * Applies a delivery report. `dedupeKey` identifies the report itself (an event id, or message id and
   * status), so a repeated report is recognised; a late or backward report is recorded and changes nothing.
   */
  async report(shipmentId: string, outcome: ProviderOutcome, dedupeKey: string, source: string, providerRef?: string): Promise<ReportResult> {
    const row = this.row();
    if (!row || row.shipment_id !== shipmentId) return { kind: "unknown" };
    if (providerRef && row.provider_ref && providerRef !== row.provider_ref) return { kind: "unknown" };
    if (this.sql.exec("SELECT 1 FROM seen_reports WHERE key = ?", dedupeKey).toArray().length > 0) return { kind: "duplicate" };
    this.sql.exec("INSERT INTO seen_reports (key) VALUES (?)", dedupeKey);

    if (providerRef && !row.provider_ref) this.setProviderRef(providerRef);
    let applied = false;
    if (outcome.kind === "accepted" || outcome.kind === "progress" || outcome.kind === "final") {
      applied = this.apply(outcome.status, source, outcome.kind === "final" ? outcome.detail : undefined);
      // A report proves the hand-over happened, also when the consumer never came back to record it, or
      // took a lost answer for a failure: nothing may be handed over again.
      if (row.handover === "waiting" || row.handover === "claimed" || row.handover === "in_doubt") {
        this.sql.exec("UPDATE shipment SET handover = 'accepted' WHERE id = 1");
        this.eraseContent();
      }
    } else {
      this.addEvent(row.status, false, source, outcome.kind === "transient" ? outcome.detail ?? "transient" : "no status change");
    }
    await this.afterChange();
    return { kind: applied ? "applied" : "recorded" };
  }

  // ── Reads ──────────────────────────────────────────────────────────────────────────────────

  /** The delivery manifest, or null when this object holds no such shipment of this organisation. */
  async manifest(org: string, shipmentId: string): Promise<ShipmentView | null> {
    const row = this.row();
    if (!row || row.org !== org || row.shipment_id !== shipmentId) return null;
    return manifestOf({
      shipmentId: row.shipment_id,
      sendersReference: row.senders_reference,
      channel: row.channel,
      destination: row.destination,
      status: row.status,
      lastUpdate: isoTime(row.last_update),
    });
  }

  /** The status history (every proposal, applied or not), oldest first; empty for an unknown shipment. */
  async history(shipmentId: string): Promise<HistoryEntry[]> {
    const row = this.row();
    if (!row || row.shipment_id !== shipmentId) return [];
    return this.sql
      .exec<{ status: RecipientStatus; applied: number; source: string; detail: string | null; at: number }>(
        "SELECT status, applied, source, detail, at FROM events ORDER BY seq",
      )
      .toArray()
      .map((e) => ({ status: e.status, applied: e.applied === 1, source: e.source, ...(e.detail !== null ? { detail: e.detail } : {}), at: isoTime(e.at) }));
  }

  /** Hands every change not yet sent behind to the shard writer, and waits for it (tests, the bench). */
  async syncNow(): Promise<boolean> {
    return this.pushBehind();
  }

  // ── The alarm: the safety net that makes every shipment final ──────────────────────────────

  /**
   * Never throws: a failure (a queue send, the shard writer, D1) sets the next alarm by this order's own
   * backoff, so the alarm never stops for good while the order has work left.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null; // it has fired
    try {
      await this.runAlarm();
      if (this.hasSchema) this.sql.exec("UPDATE shipment SET alarm_failures = 0 WHERE id = 1 AND alarm_failures > 0");
    } catch (error) {
      const row = this.row();
      if (!row) return;
      this.sql.exec("UPDATE shipment SET alarm_failures = alarm_failures + 1 WHERE id = 1");
      const now = Date.now();
      // Its own backoff, but never past an upcoming deadline: that must still be kept.
      const deadline = !isFinal(row.status) && row.deadline > now ? row.deadline : Infinity;
      const at = Math.min(now + retryAfterFailure(row.alarm_failures + 1), deadline);
      logError("alarm.failed", error, { shipmentId: row.shipment_id, failures: row.alarm_failures + 1 });
      this.alarmAt = at;
      await this.ctx.storage.setAlarm(at);
    }
  }

  private async runAlarm(): Promise<void> {
    const row = this.row();
    if (!row) return;
    const now = Date.now();
    const t = timings(this.env);
    if (isFinal(row.status) && now >= row.created_at + t.retentionMs) return this.forget(row);
    if (!isFinal(row.status)) {
      if (row.handover === "claimed" && now >= row.claim_until) this.settleExpiredClaim(row, now);
      const current = this.row()!;
      const reportDeadline = current.channel === "sms" ? current.deadline + t.reportGraceMs : current.deadline;
      if (current.handover === "waiting" && now >= current.deadline) {
        this.finalizeTtl(current, "deadline passed before hand-over");
      } else if (current.handover !== "waiting" && now >= reportDeadline) {
        this.finalizeTtl(current, "no final report by the deadline");
      } else if (current.handover === "waiting" && now >= current.dispatch_at + (current.enqueued ? lostMessageWait(current.redispatches, t) : 0)) {
        // A retry is due, or the queue message seems lost: put a new one on the queue.
        await this.enqueue(current.channel, current.shipment_id);
        this.sql.exec("UPDATE shipment SET enqueued = 1, dispatch_at = ?, redispatches = redispatches + 1 WHERE id = 1", now);
        log("redispatched", { shipmentId: current.shipment_id, attempts: current.attempts });
      }
    }
    await this.scheduleAlarm();
    if (!(await this.pushBehind())) throw new Error("the shard writer did not take the changes");
  }

  /**
   * The consumer vanished mid-call (a crash), so the provider may or may not have the message. A
   * provider that honours our idempotency key is asked again with the same key, which cannot send
   * twice; with any other, the hand-over stays in doubt and is never repeated (at most once): a report
   * or the deadline settles it.
   */
  private settleExpiredClaim(row: Row, now: number, source = "alarm", what = "claim expired without an answer") {
    if (row.claim_idempotent && row.claim_provider) {
      this.sql.exec("UPDATE shipment SET handover = 'waiting', enqueued = 0, dispatch_at = ?, pinned_provider = ? WHERE id = 1", now, row.claim_provider);
      this.addEvent(row.status, false, source, `${what}; asking ${row.claim_provider} again with the same idempotency key`);
    } else {
      this.sql.exec("UPDATE shipment SET handover = 'in_doubt' WHERE id = 1");
      this.addEvent(row.status, false, source, `${what}; waiting for a report`);
    }
  }

  /**
   * The retention period is over: the shipment leaves D1 (through the shard writer, after every earlier
   * change) and then this object, and the key may be used anew. A registration that arrives meanwhile
   * waits (blockConcurrencyWhile) and finds the key free, never a half-deleted shipment.
   */
  private async forget(row: Row) {
    await this.ctx.blockConcurrencyWhile(async () => {
      if (!(await this.pushBehind())) throw new Error("the shard writer did not take the last changes");
      const deletion: ShipmentChange = { kind: "delete", shipmentId: row.shipment_id, org: row.org };
      const shard = await this.shard(row);
      await shardWriter(this.env, shard).append(shard, [deletion]);
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.hasSchema = false;
      this.alarmAt = null;
      log("retention.deleted", { shipmentId: row.shipment_id });
    });
  }

  // ── State helpers ──────────────────────────────────────────────────────────────────────────

  private ensureSchema() {
    if (this.hasSchema) return;
    this.sql.exec(SCHEMA);
    this.hasSchema = true;
  }

  private row(): Row | null {
    if (!this.hasSchema) return null;
    return (this.sql.exec("SELECT * FROM shipment WHERE id = 1").toArray()[0] as unknown as Row | undefined) ?? null;
  }

  /** Moves the recipient status if the transition table allows it; every proposal is kept as an event. */
  private apply(proposed: RecipientStatus, source: string, detail?: string): boolean {
    const row = this.row()!;
    const result = transition(row.status, proposed);
    const now = Date.now(); // one time for the status and its event, so a callback's lastUpdate matches GET
    if (result.applied) {
      this.sql.exec("UPDATE shipment SET status = ?, last_update = ? WHERE id = 1", result.status, now);
      if (isFinal(result.status)) this.eraseContent();
      log("status", { shipmentId: row.shipment_id, from: row.status, to: result.status, source });
    }
    this.addEvent(proposed, result.applied, source, detail, now);
    return result.applied;
  }

  private finalizeTtl(row: Row, detail: string) {
    this.sql.exec("UPDATE shipment SET handover = CASE WHEN handover = 'waiting' THEN 'done' ELSE handover END WHERE id = 1");
    this.apply(row.channel === "sms" ? "SMS_Failed_TTL" : "Email_Failed_TTL", "alarm", detail);
  }

  /** Erases the (sealed) body once the hand-over is final. */
  private eraseContent() {
    this.sql.exec("DELETE FROM content");
  }

  private addEvent(status: RecipientStatus, applied: boolean, source: string, detail?: string, at = Date.now()) {
    this.sql.exec("INSERT INTO events (status, applied, source, detail, at) VALUES (?, ?, ?, ?, ?)", status, applied ? 1 : 0, source, detail ?? null, at);
    this.sql.exec("UPDATE shipment SET change_seq = change_seq + 1 WHERE id = 1");
  }

  private setProviderRef(ref: string) {
    this.sql.exec("UPDATE shipment SET provider_ref = ?, change_seq = change_seq + 1 WHERE id = 1", ref);
  }

  private async enqueue(channel: "sms" | "email", shipmentId: string) {
    const message: DispatchMessage = { orderRef: this.ctx.id.toString(), shipmentId, channel };
    await (channel === "sms" ? this.env.SMS_QUEUE : this.env.EMAIL_QUEUE).send(message, { contentType: "json" });
  }

  /**
   * After every change: the alarm follows the new state, and D1 learns of it behind the answer. Changes
   * that come close together (registration and claim, say) go to the shard writer in one hand-off; the
   * alarm covers a hand-off that never happens (this instance evicted first).
   */
  private async afterChange() {
    await this.scheduleAlarm();
    if (this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.ctx.waitUntil(this.pushBehind());
    }, PUSH_GATHER_MS);
  }

  private async scheduleAlarm() {
    const row = this.row();
    if (!row) return;
    const wake = nextWake(row, timings(this.env), row.change_seq > row.pushed_seq, Date.now());
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (wake === this.alarmAt) return;
    this.alarmAt = wake;
    if (wake === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(wake);
  }

  /** The organisation's D1 shard, learnt once and kept with the order. */
  private async shard(row: Row): Promise<string> {
    if (row.shard) return row.shard;
    const shard = await shardOf(this.env, row.org);
    this.sql.exec("UPDATE shipment SET shard = ? WHERE id = 1", shard);
    return shard;
  }

  /**
   * Sends the current state and the events D1 has not seen to the shard writer; one push at a time, in
   * order. Resolves false when the writer could not take them: they stay unsent and the alarm retries.
   */
  private pushBehind(): Promise<boolean> {
    const next = this.pushChain.then(() => this.pushOnce());
    this.pushChain = next.catch(() => undefined);
    return next.catch((error) => {
      logError("sync.push_failed", error, { shipmentId: this.row()?.shipment_id });
      return false;
    });
  }

  private async pushOnce(): Promise<boolean> {
    const row = this.row();
    if (!row || row.change_seq <= row.pushed_seq) return true;
    const events = this.sql
      .exec<{ seq: number; status: RecipientStatus; applied: number; source: string; detail: string | null; at: number }>(
        "SELECT seq, status, applied, source, detail, at FROM events WHERE synced = 0 ORDER BY seq",
      )
      .toArray();
    const change: ShipmentChange = {
      kind: "state",
      shipmentId: row.shipment_id,
      org: row.org,
      orderId: row.order_id,
      idempotencyId: row.idempotency_id,
      orderRef: this.ctx.id.toString(),
      sendersReference: row.senders_reference,
      channel: row.channel,
      destination: row.destination,
      createdAt: isoTime(row.created_at),
      deadline: isoTime(row.deadline),
      version: row.change_seq,
      orderStatus: orderStatusOf(row.status),
      recipientStatus: row.status,
      lastUpdate: isoTime(row.last_update),
      providerRef: row.provider_ref,
      events: events.map((e) => ({ seq: e.seq, status: e.status, applied: e.applied === 1, source: e.source, detail: e.detail, at: isoTime(e.at) })),
      completed: isFinal(row.status),
    };
    const shard = await this.shard(row);
    await shardWriter(this.env, shard).append(shard, [change]);
    if (events.length > 0) this.sql.exec("UPDATE events SET synced = 1 WHERE seq <= ?", events[events.length - 1]!.seq);
    this.sql.exec("UPDATE shipment SET pushed_seq = MAX(pushed_seq, ?) WHERE id = 1", row.change_seq);
    return true;
  }
}
