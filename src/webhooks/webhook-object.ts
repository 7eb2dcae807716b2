// One Durable Object per organisation: its status-callback subscription and its deliveries. Events come
// in by `enqueue` (from the shard writer), are stored before anything is sent, leave at once, and are
// retried from storage by the alarm until delivered or failed. Decisions are pure functions
// (subscription.ts, schedule.ts); this class reads a row, asks them, writes the result and sends.
import { DurableObject } from "cloudflare:workers";
import { log, logError } from "../log";
import { isLocal } from "../config/environment";
import { retentionMs } from "../config/settings";
import { callbackBody, type CallbackEvent } from "./events";
import { afterAttempt, attemptTimeoutMs, leaseUntil, resultOfError, resultOfResponse, type AttemptResult, type DeliveryState } from "./schedule";
import type { Delivery, Subscription, SubscriptionPutAnswer, SubscriptionRequest } from "./schemas";
import { webhookHeaders } from "./signing";
import { allowedPortsOf, receiverUrlProblem } from "./url-rules";
import { handOffAnswer, type HandOffAnswer } from "./subscription-filter";
import { applyPut, iso, makesSecret, putAnswer, signingSecrets, subscriptionView, wants, type SubscriptionRow } from "./subscription";

export type RetryResult = "accepted" | "no_subscription" | "unknown" | "not_failed" | "disabled";

/** The list shows this many; at least this many of each finished state are kept. */
export const DELIVERIES_SHOWN = 100;
/** Finished deliveries younger than this are kept, so a repeated event is still recognised. */
const DEDUPE_WINDOW_MS = 3600 * 1000;
const PRUNE_EVERY_MS = 60 * 1000;
/** At most this many attempts leave at once; the rest follow as these finish. */
const SEND_BATCH = 50;

interface LeasedBatch {
  sub: SubscriptionRow;
  rows: DeliveryRow[];
  /** When the attempts start (their webhook-timestamp). */
  now: number;
  timeoutMs: number;
}

interface DeliveryRow {
  seq: number;
  id: string;
  shipment_id: string;
  status: string;
  /** The signed body; erased once delivered. */
  body: string | null;
  state: DeliveryState;
  attempts: number;
  series_start: number;
  /** 1 while an attempt is in flight: next_attempt_at is then the end of its lease. */
  leased: number;
  created_at: number;
  last_attempt_at: number | null;
  last_response_status: number | null;
  next_attempt_at: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subscription (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  org TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,
  secret TEXT NOT NULL, previous_secret TEXT, previous_secret_until INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, disabled_reason TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,               -- the event id, sent as webhook-id on every attempt
  shipment_id TEXT NOT NULL, status TEXT NOT NULL, body TEXT,
  state TEXT NOT NULL,                   -- pending | delivered | failed
  attempts INTEGER NOT NULL DEFAULT 0, series_start INTEGER NOT NULL DEFAULT 0, leased INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, last_attempt_at INTEGER, last_response_status INTEGER, next_attempt_at INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, seq);
`;

export class WebhookObject extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  private lastPrunedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(SCHEMA);
  }

  // ── The subscription ───────────────────────────────────────────────────────────────────────

  /** Creates or replaces the subscription; answers it, with its secret only when this call made it (the only place the secret leaves). */
  async subscribe(org: string, request: SubscriptionRequest): Promise<SubscriptionPutAnswer> {
    const existing = this.subscriptionRow();
    const secretMade = makesSecret(existing, request);
    const row = applyPut(existing, org, request, Date.now());
    this.sql.exec(
      `INSERT OR REPLACE INTO subscription (id, org, url, events, secret, previous_secret, previous_secret_until, created_at, updated_at, disabled_reason)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.org,
      row.url,
      row.events,
      row.secret,
      row.previous_secret,
      row.previous_secret_until,
      row.created_at,
      row.updated_at,
      row.disabled_reason,
    );
    log("callbacks.subscribed", { org, host: hostOf(row.url), events: row.events, rotated: request.rotateSecret === true });
    // Deliveries kept while it was disabled go out again.
    if (existing?.disabled_reason) await this.startDue();
    return putAnswer(row, secretMade);
  }

  async subscription(): Promise<Subscription | null> {
    const row = this.subscriptionRow();
    return row ? subscriptionView(row) : null;
  }

  /** Deletes the subscription and every delivery, pending ones included. False when there was none. */
  async unsubscribe(): Promise<boolean> {
    const row = this.subscriptionRow();
    if (!row) return false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.sql.exec(SCHEMA);
    log("callbacks.unsubscribed", { org: row.org });
    return true;
  }

  // ── Deliveries ─────────────────────────────────────────────────────────────────────────────

  /**
   * Stores a delivery for each event the subscription wants (a repeated event id is ignored) and starts
   * their first attempt without waiting for it. Returns how many were new.
   */
  async enqueue(events: CallbackEvent[]): Promise<HandOffAnswer> {
    const sub = this.subscriptionRow();
    // `subscribed` lets the shard writer stop forwarding to an organisation without one (subscription-filter.ts).
    if (!sub || sub.disabled_reason !== null) return handOffAnswer(sub, 0);
    const now = Date.now();
    let accepted = 0;
    for (const event of events) {
      if (!wants(sub, event)) continue;
      const inserted = this.sql
        .exec(
          `INSERT INTO deliveries (id, shipment_id, status, body, state, created_at, next_attempt_at)
           VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq`,
          event.eventId,
          event.shipmentId,
          event.status,
          callbackBody(event),
          now,
          now,
        )
        .toArray();
      accepted += inserted.length;
    }
    if (accepted > 0) await this.startDue();
    this.pruneNowAndThen(now);
    return handOffAnswer(sub, accepted);
  }

  /** The latest deliveries, newest first; null when there is no subscription. */
  async deliveries(state?: DeliveryState): Promise<Delivery[] | null> {
    if (!this.subscriptionRow()) return null;
    const rows = (
      state
        ? this.sql.exec("SELECT * FROM deliveries WHERE state = ? ORDER BY seq DESC LIMIT ?", state, DELIVERIES_SHOWN)
        : this.sql.exec("SELECT * FROM deliveries ORDER BY seq DESC LIMIT ?", DELIVERIES_SHOWN)
    ).toArray() as unknown as DeliveryRow[];
    return rows.map(deliveryView);
  }

  /** A failed delivery goes again now, same id, with a new run of the retry schedule. */
  async retry(id: string): Promise<RetryResult> {
    const sub = this.subscriptionRow();
    if (!sub) return "no_subscription";
    const row = this.deliveryRow(id);
    if (!row) return "unknown";
    if (row.state !== "failed") return "not_failed";
    if (sub.disabled_reason !== null) return "disabled";
    this.sql.exec("UPDATE deliveries SET state = 'pending', series_start = attempts, leased = 0, next_attempt_at = ? WHERE id = ?", Date.now(), id);
    await this.startDue();
    return "accepted";
  }

  // ── Sending ────────────────────────────────────────────────────────────────────────────────

  /**
   * Leases the due deliveries and sets the alarm to cover the leases, then sends them without making the
   * caller wait for the receivers. If this instance dies before or during the attempts, the alarm finds
   * the leases run out and tries again.
   */
  private async startDue(): Promise<void> {
    const batch = this.leaseDue(Date.now());
    const alarmSet = this.scheduleAlarm();
    if (batch) this.ctx.waitUntil(this.send(batch).catch((error) => logError("callbacks.send_failed", error)));
    await alarmSet;
  }

  /** Leases and sends batch after batch, until nothing is due (the alarm's way). */
  private async sendAllDue(): Promise<void> {
    for (;;) {
      const batch = this.leaseDue(Date.now());
      if (!batch) return;
      await this.scheduleAlarm();
      await this.send(batch);
      if (batch.rows.length < SEND_BATCH) return;
    }
  }

  /** Marks up to SEND_BATCH due deliveries as in flight, in one synchronous step (no other call can take them). */
  private leaseDue(now: number): LeasedBatch | null {
    const sub = this.subscriptionRow();
    if (!sub || sub.disabled_reason !== null) return null;
    const timeoutMs = attemptTimeoutMs(this.env);
    const rows = this.sql
      .exec("SELECT * FROM deliveries WHERE state = 'pending' AND leased = 0 AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?", now, SEND_BATCH)
      .toArray() as unknown as DeliveryRow[];
    if (rows.length === 0) return null;
    for (const row of rows) {
      this.sql.exec("UPDATE deliveries SET leased = 1, attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ? WHERE id = ?", now, leaseUntil(now, timeoutMs), row.id);
    }
    return { sub, rows, now, timeoutMs };
  }

  private async send({ sub, rows, now, timeoutMs }: LeasedBatch): Promise<void> {
    await Promise.all(rows.map((row) => this.attempt(sub, row, row.attempts + 1, now, timeoutMs)));
    await this.scheduleAlarm();
  }

  private async attempt(sub: SubscriptionRow, row: DeliveryRow, attempt: number, now: number, timeoutMs: number): Promise<void> {
    const result = await this.post(sub, row, now, timeoutMs);
    this.settle(row.id, attempt, result, Date.now());
    log("callbacks.attempt", { org: sub.org, deliveryId: row.id, host: hostOf(sub.url), attempt, result: result.kind, ...(result.httpStatus ? { httpStatus: result.httpStatus } : {}) });
  }

  private async post(sub: SubscriptionRow, row: DeliveryRow, now: number, timeoutMs: number): Promise<AttemptResult> {
    // A URL the rules refuse now (stored before the rule existed) is never called: a failed attempt.
    const refused = receiverUrlProblem(sub.url, !isLocal(this.env), allowedPortsOf(this.env.CALLBACK_ALLOWED_PORTS));
    if (refused !== null) return { kind: "failed", reason: `the receiver URL is not allowed: ${refused}` };
    try {
      const body = row.body ?? "";
      const response = await fetch(sub.url, {
        method: "POST",
        headers: await webhookHeaders(signingSecrets(sub, now), row.id, Math.floor(now / 1000), body),
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      return resultOfResponse(response.status);
    } catch (error) {
      return resultOfError(error);
    }
  }

  /** Records the end of attempt number `attempt`, unless that attempt is no longer the current one (or the delivery is gone). */
  private settle(id: string, attempt: number, result: AttemptResult, now: number) {
    const row = this.deliveryRow(id);
    if (!row || row.state !== "pending" || row.leased !== 1 || row.attempts !== attempt) return;
    const next = afterAttempt({ attempts: row.attempts, seriesStart: row.series_start }, result, now);
    this.sql.exec(
      `UPDATE deliveries SET state = ?, leased = 0, next_attempt_at = ?, last_response_status = ?,
         body = CASE WHEN ? = 'delivered' THEN NULL ELSE body END WHERE id = ?`,
      next.state,
      next.nextAttemptAt,
      result.httpStatus ?? null,
      next.state,
      id,
    );
    if (next.disable) {
      this.sql.exec("UPDATE subscription SET disabled_reason = ? WHERE id = 1", `The receiver answered 410 Gone at ${iso(now)}.`);
      log("callbacks.disabled", { deliveryId: id, reason: "410" });
    }
  }

  // ── The alarm: retries, and attempts whose sender died ─────────────────────────────────────

  override async alarm(): Promise<void> {
    const now = Date.now();
    const interrupted = this.sql
      .exec("SELECT id, attempts FROM deliveries WHERE state = 'pending' AND leased = 1 AND next_attempt_at <= ?", now)
      .toArray() as unknown as Pick<DeliveryRow, "id" | "attempts">[];
    for (const row of interrupted) {
      this.settle(row.id, row.attempts, { kind: "failed", reason: "the attempt was interrupted" }, now);
      log("callbacks.attempt_interrupted", { deliveryId: row.id, attempt: row.attempts });
    }
    await this.sendAllDue();
    await this.scheduleAlarm();
    this.pruneNowAndThen(now);
  }

  /**
   * The alarm follows the earliest due attempt or lease end (while disabled: only leases). Computed and set
   * without an await in between, so the last call always reflects the latest state.
   */
  private scheduleAlarm(): Promise<void> {
    const enabled = this.subscriptionRow()?.disabled_reason === null ? 1 : 0;
    const { wake } = this.sql
      .exec<{ wake: number | null }>("SELECT MIN(next_attempt_at) AS wake FROM deliveries WHERE state = 'pending' AND (leased = 1 OR ? = 1)", enabled)
      .one();
    return wake === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(wake);
  }

  /**
   * Keeps the table small: finished deliveries beyond the newest 100 of their state go once older than the
   * de-duplication window, and every finished one goes at the retention period (a manifest holds the recipient).
   */
  private pruneNowAndThen(now: number) {
    if (now - this.lastPrunedAt < PRUNE_EVERY_MS) return;
    this.lastPrunedAt = now;
    for (const state of ["delivered", "failed"] as const) {
      this.sql.exec(
        `DELETE FROM deliveries WHERE state = ?1 AND created_at < ?2
           AND seq <= (SELECT seq FROM deliveries WHERE state = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?3)`,
        state,
        now - DEDUPE_WINDOW_MS,
        DELIVERIES_SHOWN,
      );
    }
    this.sql.exec("DELETE FROM deliveries WHERE state != 'pending' AND created_at < ?", now - retentionMs(this.env));
  }

  // ── Rows ───────────────────────────────────────────────────────────────────────────────────

  private subscriptionRow(): SubscriptionRow | null {
    return (this.sql.exec("SELECT * FROM subscription WHERE id = 1").toArray()[0] as unknown as SubscriptionRow | undefined) ?? null;
  }

  private deliveryRow(id: string): DeliveryRow | null {
    return (this.sql.exec("SELECT * FROM deliveries WHERE id = ?", id).toArray()[0] as unknown as DeliveryRow | undefined) ?? null;
  }
}

function deliveryView(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    shipmentId: row.shipment_id,
    status: row.status,
    state: row.state,
    attempts: row.attempts,
    createdAt: iso(row.created_at),
    ...(row.last_attempt_at !== null ? { lastAttemptAt: iso(row.last_attempt_at) } : {}),
    ...(row.last_response_status !== null ? { lastResponseStatus: row.last_response_status } : {}),
    // While an attempt is in flight next_attempt_at is its lease, not a planned attempt.
    ...(row.state === "pending" && row.leased === 0 && row.next_attempt_at !== null ? { nextAttemptAt: iso(row.next_attempt_at) } : {}),
  };
}

/** Receivers' URLs are logged by host only (a path or query may carry the caller's own tokens). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "invalid";
  }
}

/** The organisation's status-callback object. */
export function webhookStub(env: Env, org: string) {
  return env.WEBHOOKS.get(env.WEBHOOKS.idFromName(org));
}
