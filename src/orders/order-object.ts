// One Durable Object per (organisation, idempotencyId). It serialises everything that happens to one
// order: registration (exactly once), dispatch claims (at most one hand-over), provider results and
// reports (forward only), and the alarm that makes every shipment final.
import { DurableObject } from "cloudflare:workers";
import type { ProviderOutcome } from "../providers/outcome";
import type { OutboundMessage } from "../providers/provider";
import type { RecipientStatus } from "../status/statuses";
import { isFinal, orderStatusOf, transition } from "../status/transitions";
import {
  deleteShipmentByIdStatements,
  deleteShipmentStatements,
  insertShipmentStatements,
  statusUpdateStatements,
  type NewShipment,
} from "../store/shipments";
import { retryDelay } from "../dispatch/backoff";
import { openContent, sealContent } from "./content-cipher";
import { destinationOf, fingerprintOf, type Order } from "./order";
import { shipmentIdFor } from "./order-key";
import { nextWake, timings, type LifecycleState } from "./lifecycle";
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
}

export type ClaimResult =
  | { kind: "send"; claimId: string; timeoutMs: number; message: OutboundMessage }
  /** Nothing to do for this message: handed over already, final, or not this order's shipment. */
  | { kind: "skip"; reason: string };

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
  channel: "sms" | "email";
  destination: string;
  sender: string;
  content_type: string | null;
  fingerprint: string;
  salt: string;
  response: string;
  claim_id: string | null;
  provider_ref: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shipment (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  org TEXT NOT NULL, shipment_id TEXT NOT NULL, channel TEXT NOT NULL,
  destination TEXT NOT NULL, sender TEXT NOT NULL, content_type TEXT,
  fingerprint TEXT NOT NULL, salt TEXT NOT NULL, response TEXT NOT NULL,
  created_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
  status TEXT NOT NULL, last_update INTEGER NOT NULL,
  handover TEXT NOT NULL,               -- waiting | claimed | in_doubt | accepted | done
  dispatch_at INTEGER NOT NULL, enqueued INTEGER NOT NULL,
  claim_id TEXT, claim_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  provider_ref TEXT
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

export class OrderObject extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(SCHEMA);
  }

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

  /** Stores in D1 and enqueues first, and only then remembers the key: a failed step leaves nothing. */
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
    const db = this.env.DB;

    // Sealed first: a missing CONTENT_KEY must fail before anything is written.
    let sealedBody: string, sealedSubject: string | null;
    try {
      sealedBody = await sealContent(this.env.CONTENT_KEY, shipmentId, order.body);
      sealedSubject = order.channel === "email" ? await sealContent(this.env.CONTENT_KEY, shipmentId, order.subject) : null;
    } catch (error) {
      logError("register.seal_failed", error, { shipmentId });
      return { kind: "unavailable" };
    }

    const rows: NewShipment = {
      shipmentId,
      orderId: response.notificationOrderId,
      org,
      idempotencyId: order.idempotencyId,
      orderRef: this.ctx.id.toString(),
      ...(order.sendersReference !== undefined ? { sendersReference: order.sendersReference } : {}),
      channel: order.channel,
      destination: destinationOf(order),
      orderStatus: orderStatusOf(status),
      recipientStatus: status,
      createdAt: new Date(now).toISOString(),
      deadline: new Date(deadline).toISOString(),
    };
    // D1 and the queue at once. A queue message whose registration then fails finds no shipment and is skipped.
    const [stored, enqueued] = await Promise.allSettled([this.storeInD1(rows), this.enqueue(order.channel, shipmentId)]);
    if (stored.status === "rejected" || enqueued.status === "rejected") {
      if (stored.status === "rejected") logError("register.d1_failed", stored.reason, { shipmentId });
      if (enqueued.status === "rejected") logError("register.enqueue_failed", enqueued.reason, { shipmentId });
      // Undo the D1 rows; if even that fails, the next attempt under this key removes them first.
      if (stored.status === "fulfilled") await db.batch(deleteShipmentStatements(db, org, order.idempotencyId)).catch(() => undefined);
      return { kind: "unavailable" };
    }

    const salt = crypto.randomUUID();
    this.sql.exec(
      `INSERT INTO shipment (id, org, shipment_id, channel, destination, sender, content_type, fingerprint, salt, response,
         created_at, deadline, status, last_update, handover, dispatch_at, enqueued)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, 1)`,
      org,
      shipmentId,
      order.channel,
      destinationOf(order),
      order.channel === "sms" ? order.sender : order.senderEmailAddress,
      order.channel === "email" ? order.contentType : null,
      await fingerprintOf(order, salt),
      salt,
      JSON.stringify(response),
      now,
      deadline,
      status,
      now,
      now,
    );
    this.sql.exec("INSERT INTO content (id, body, subject) VALUES (1, ?, ?)", sealedBody, sealedSubject);
    await this.scheduleAlarm();
    log("registered", { shipmentId, channel: order.channel });
    return { kind: "created", response };
  }

  /** Inserts the shipment; rows an earlier, failed attempt under this key left behind (no 201 was answered for them) are cleared first. */
  private async storeInD1(rows: NewShipment) {
    const db = this.env.DB;
    try {
      await db.batch(insertShipmentStatements(db, rows));
    } catch (error) {
      if (!String(error).includes("UNIQUE constraint failed")) throw error;
      await db.batch([...deleteShipmentStatements(db, rows.org, rows.idempotencyId), ...insertShipmentStatements(db, rows)]);
    }
  }

  // ── Dispatch: claim, release, record ───────────────────────────────────────────────────────

  /**
   * Claims the one hand-over. Only a waiting shipment inside its deadline can be claimed; the claim
   * holds a lease that covers the provider call. Redelivered or duplicate queue messages find it
   * claimed or handed over and skip.
   */
  async claim(shipmentId: string): Promise<ClaimResult> {
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

    const { providerTimeoutMs, leaseMarginMs } = timings(this.env);
    const timeoutMs = Math.min(providerTimeoutMs, row.deadline - now);
    const claimId = crypto.randomUUID();
    this.sql.exec(
      "UPDATE shipment SET handover = 'claimed', claim_id = ?, claim_until = ?, attempts = attempts + 1 WHERE id = 1",
      claimId,
      now + timeoutMs + leaseMarginMs,
    );
    this.apply(row.channel === "sms" ? "SMS_Sending" : "Email_Sending", "dispatch", `attempt ${row.attempts + 1}`);
    // D1 learns of "Sending" with the provider's answer (record syncs both): the hand-over waits for nothing.
    await this.scheduleAlarm();

    const sealed = this.sql.exec<{ body: string; subject: string | null }>("SELECT body, subject FROM content").toArray()[0];
    if (!sealed) throw new Error("a waiting shipment without its content"); // erased only when handed over or final
    const content = {
      body: await openContent(this.env.CONTENT_KEY, shipmentId, sealed.body),
      subject: sealed.subject === null ? null : await openContent(this.env.CONTENT_KEY, shipmentId, sealed.subject),
    };
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

  /** The status history (every proposal, applied or not), oldest first; empty for an unknown shipment. */
  async history(shipmentId: string): Promise<HistoryEntry[]> {
    const row = this.row();
    if (!row || row.shipment_id !== shipmentId) return [];
    return this.sql
      .exec<{ status: RecipientStatus; applied: number; source: string; detail: string | null; at: number }>(
        "SELECT status, applied, source, detail, at FROM events ORDER BY seq",
      )
      .toArray()
      .map((e) => ({ status: e.status, applied: e.applied === 1, source: e.source, ...(e.detail !== null ? { detail: e.detail } : {}), at: new Date(e.at).toISOString() }));
  }

  // ── The alarm: the safety net that makes every shipment final ──────────────────────────────

  override async alarm(): Promise<void> {
    const row = this.row();
    if (!row) return;
    const now = Date.now();
    const { reportGraceMs, retentionMs } = timings(this.env);
    if (isFinal(row.status) && now >= row.created_at + retentionMs) return this.forget(row);
    if (!isFinal(row.status)) {
      if (row.handover === "claimed" && now >= row.claim_until) {
        // The consumer vanished mid-call: the provider may have accepted, so never hand over again.
        this.sql.exec("UPDATE shipment SET handover = 'in_doubt' WHERE id = 1");
        this.addEvent(row.status, false, "alarm", "claim expired without an answer; waiting for a report");
      }
      const current = this.row()!;
      const reportDeadline = current.channel === "sms" ? current.deadline + reportGraceMs : current.deadline;
      if (current.handover === "waiting" && now >= current.deadline) {
        this.finalizeTtl(current, "deadline passed before hand-over");
      } else if (current.handover !== "waiting" && now >= reportDeadline) {
        this.finalizeTtl(current, "no final report by the deadline");
      } else if (current.handover === "waiting" && now >= current.dispatch_at) {
        // A retry is due, or the queue message seems lost: put a new one on the queue.
        await this.enqueue(current.channel, current.shipment_id);
        this.sql.exec("UPDATE shipment SET enqueued = 1, dispatch_at = ? WHERE id = 1", now);
        log("redispatched", { shipmentId: current.shipment_id, attempts: current.attempts });
      }
    }
    await this.afterChange();
  }

  /** The retention period is over: the shipment and its key are deleted, and the key may be used anew. */
  private async forget(row: Row) {
    await this.env.DB.batch(deleteShipmentByIdStatements(this.env.DB, row.shipment_id));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.sql.exec(SCHEMA); // this instance may live on and take the key anew
    log("retention.deleted", { shipmentId: row.shipment_id });
  }

  // ── State helpers ──────────────────────────────────────────────────────────────────────────

  private row(): Row | null {
    return (this.sql.exec("SELECT * FROM shipment WHERE id = 1").toArray()[0] as unknown as Row | undefined) ?? null;
  }

  /** Moves the recipient status if the transition table allows it; every proposal is kept as an event. */
  private apply(proposed: RecipientStatus, source: string, detail?: string): boolean {
    const row = this.row()!;
    const result = transition(row.status, proposed);
    if (result.applied) {
      this.sql.exec("UPDATE shipment SET status = ?, last_update = ? WHERE id = 1", result.status, Date.now());
      if (isFinal(result.status)) this.eraseContent();
      log("status", { shipmentId: row.shipment_id, from: row.status, to: result.status, source });
    }
    this.addEvent(proposed, result.applied, source, detail);
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

  private addEvent(status: RecipientStatus, applied: boolean, source: string, detail?: string) {
    this.sql.exec("INSERT INTO events (status, applied, source, detail, at) VALUES (?, ?, ?, ?, ?)", status, applied ? 1 : 0, source, detail ?? null, Date.now());
  }

  private setProviderRef(ref: string) {
    this.sql.exec("UPDATE shipment SET provider_ref = ? WHERE id = 1", ref);
  }

  private async enqueue(channel: "sms" | "email", shipmentId: string) {
    const message: DispatchMessage = { orderRef: this.ctx.id.toString(), shipmentId };
    await (channel === "sms" ? this.env.SMS_QUEUE : this.env.EMAIL_QUEUE).send(message, { contentType: "json" });
  }

  /** After every change: D1 is brought up to date, and the alarm follows the new state. */
  private async afterChange() {
    await this.syncToD1();
    await this.scheduleAlarm();
  }


  private async scheduleAlarm() {
    const row = this.row();
    if (!row) return;
    const unsynced = this.sql.exec("SELECT 1 FROM events WHERE synced = 0 LIMIT 1").toArray().length > 0;
    const wake = nextWake(row, timings(this.env), unsynced, Date.now());
    if (wake === null) await this.ctx.storage.deleteAlarm();
    else if ((await this.ctx.storage.getAlarm()) !== wake) await this.ctx.storage.setAlarm(wake);
  }

  /**
   * Writes the current state and the unsynced events to D1, within the calling request. Concurrent syncs
   * are safe: `version` keeps an older state from overwriting a newer one and events are written once.
   * A failure leaves the events unsynced and the alarm tries again, so D1 always catches up.
   */
  private async syncToD1(): Promise<void> {
    const row = this.row();
    const events = this.sql
      .exec<{ seq: number; status: string; applied: number; source: string; detail: string | null; at: number }>(
        "SELECT seq, status, applied, source, detail, at FROM events WHERE synced = 0 ORDER BY seq",
      )
      .toArray();
    if (!row || events.length === 0) return;
    const lastSeq = events[events.length - 1]!.seq;
    try {
      await this.env.DB.batch(
        statusUpdateStatements(this.env.DB, {
          shipmentId: row.shipment_id,
          org: row.org,
          version: lastSeq,
          orderStatus: orderStatusOf(row.status),
          recipientStatus: row.status,
          lastUpdate: new Date(row.last_update).toISOString(),
          providerRef: row.provider_ref,
          events: events.map((e) => ({ ...e, applied: e.applied === 1, at: new Date(e.at).toISOString() })),
          completed: isFinal(row.status),
        }),
      );
      this.sql.exec("UPDATE events SET synced = 1 WHERE seq <= ?", lastSeq);
    } catch (error) {
      logError("sync.d1_failed", error, { shipmentId: row.shipment_id });
    }
  }
}


