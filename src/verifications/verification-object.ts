// One Durable Object per (organisation, verification key): the verification's system of record. It
// makes the code, keeps it sealed (content-cipher.ts), sends it as orders (each message a normal order
// in its own object, src/orders/), judges every check one at a time, and erases the code, here and in
// every message not yet handed over, when the verification ends. The code leaves it only inside the
// messages' orders; no answer, log line, queue message or D1 row holds it (docs/verifications.md).
import { DurableObject } from "cloudflare:workers";
import { registerAndDispatch } from "../dispatch/first-attempt";
import type { HandOverResult } from "../dispatch/dispatch";
import type { LimitRefusal } from "../limits/check";
import { log, logError } from "../log";
import { contentKeysOf, openContent, sealContent } from "../orders/content-cipher";
import { compareRequestFingerprint, requestFingerprint } from "../orders/fingerprint";
import { orderStubForShipment } from "../orders/order-key";
import type { OrderResponse } from "../orders/order-object";
import { retentionMs } from "../config/settings";
import { noteArrived } from "../providers/failover/health-client";
import { smsProviderNames } from "../providers/names";
import { AlarmFollower } from "../retry/alarm-follower";
import { isoTime } from "../status/manifest";
import type { RecipientStatus } from "../status/statuses";
import type { VerificationView } from "../status/verification";
import { shardOf, shardWriter } from "../store/shards";
import { sameCode, makeCode } from "./code";
import { decideCheck, decideExpiry, type CheckAnswer, type CheckState } from "./decide/check";
import { deliveryProvenByApproval, endChange, endSettled, isEnded, nextWake, resendRefusal, viewOf, type ResendRefusal } from "./lifecycle";
import { codeIn } from "./message-text";
import { canonicalRequest, channelOf, messageOrder, type MessageKind, type VerificationRequest } from "./request";
import { VerificationStore, type NewMessage, type VerificationRow } from "./store";

/** The 201 body of a verification. */
export interface VerificationCreated {
  verificationId: string;
  shipmentId: string;
  expiresAt: string;
  sendersReference?: string;
}

type Registration = { kind: "refused"; refusal: LimitRefusal } | { kind: "unavailable"; overloaded?: true };

export type StartOutcome = { kind: "created" | "replayed"; response: VerificationCreated } | { kind: "conflict" } | Registration;
/** `paidByStart`: the verification's first judged check, which its start counted against the request rate. */
export type CheckOutcome = { kind: "judged"; answer: CheckAnswer; paidByStart: boolean } | { kind: "not_found" };
export type ResendOutcome = { kind: "created" | "replayed"; shipmentId: string } | { kind: "refused_resend"; reason: ResendRefusal } | { kind: "not_found" } | Registration;

/** Sealed under this name, so a sealed value opens only as this verification's. */
const sealedAs = (verificationId: string, what: "code" | "request") => `verification:${verificationId}:${what}`;

export class VerificationObject extends DurableObject<Env> {
  private readonly store = new VerificationStore(this.ctx.storage.sql);
  private readonly alarms = new AlarmFollower(this.ctx.storage);
  /** The opened code while pending, so a check costs no decryption (memory only; gone when it ends). */
  private code: string | null = null;
  /** The end's work under way (finish), so the alarm and the check that ended it do not both run it. */
  private finishing: Promise<void> | null = null;

  /**
   * Starts the verification once (startNew). The same request again gets the stored answer; a different
   * one under the key is a conflict.
   */
  async start(org: string, verificationId: string, request: VerificationRequest, traceId?: string): Promise<StartOutcome> {
    const stored = this.store.load();
    if (stored) return this.existing(stored, request);
    return this.ctx.blockConcurrencyWhile(async () => {
      const row = this.store.load(); // another start may have stored it while this one waited
      if (row) return this.existing(row, request);
      return this.startNew(org, verificationId, request, traceId, Date.now());
    });
  }

  /** Judges a code: one decision at a time, on what is stored, in time that does not depend on the code. */
  async check(org: string, verificationId: string, given: string): Promise<CheckOutcome> {
    if (!this.owns(this.store.load(), org, verificationId)) return { kind: "not_found" };
    const code = await this.openCode();
    const now = Date.now();
    const row = this.store.load()!; // again: another check may have been judged while the code was opened
    const right = sameCode(code ?? "", given) && code !== null;
    const d = decideCheck(checkStateOf(row), { right, now });
    const after = withCheckState(row, d.state);
    if (d.ended) this.end(row, { ...after, ended_at: now });
    else this.store.save(row, after);
    log("verification.checked", { verificationId, answer: d.answer.kind, ...(d.ended ? { ended: d.ended } : {}) });
    return { kind: "judged", answer: d.answer, paidByStart: row.attempts === 0 && d.answer.kind !== "not_pending" };
  }

  /** The same code again, on the verification's channel, under the caller's resend key. */
  async resend(org: string, verificationId: string, resendKey: string, traceId?: string): Promise<ResendOutcome> {
    if (!this.owns(this.store.load(), org, verificationId)) return { kind: "not_found" };
    return this.ctx.blockConcurrencyWhile(async () => {
      const row = this.store.load()!;
      const messages = this.store.messages();
      const earlier = messages.find((m) => m.resend_key === resendKey);
      if (earlier) return { kind: "replayed" as const, shipmentId: earlier.shipment_id };
      const refusal = resendRefusal(row, messages, Date.now());
      if (refusal) return { kind: "refused_resend" as const, reason: refusal };
      const sent = await this.sendMessage(row, "resend", traceId, resendKey);
      return sent.kind === "sent" ? { kind: "created" as const, shipmentId: sent.shipmentId } : sent;
    });
  }

  /** The GET body, each message's status read from its order; null: not this organisation's. */
  async view(org: string, verificationId: string): Promise<VerificationView | null> {
    const row = this.store.load();
    if (!this.owns(row, org, verificationId)) return null;
    // Past expiresAt it has expired, whether or not its alarm has run yet (an alarm may come late).
    const now = Date.now();
    if (row.status === "pending" && now >= row.expires_at) this.end(row, { ...row, ...expired(row, now), ended_at: now });
    const messages = this.store.messages();
    const manifests = await Promise.all(messages.map((m) => orderStubForShipment(this.env, m.shipment_id).manifest(org, m.shipment_id).catch(() => null)));
    manifests.forEach((manifest, i) => {
      const status = manifest?.recipients[0]?.status;
      if (status) this.store.updateMessage(messages[i]!.shipment_id, { status });
    });
    return viewOf(this.store.load()!, this.store.messages());
  }

  /** From a message's order: it failed, so the fallback email (if asked for) need not wait for its time. */
  async messageFailed(shipmentId: string, status: RecipientStatus): Promise<void> {
    if (!this.store.load()) return;
    this.store.updateMessage(shipmentId, { status });
    await this.fallbackAfterFailure(shipmentId);
  }

  /** Expiry, the fallback's time, a retry of the end's work, and retention. Never throws: a failure tries again soon. */
  override async alarm(): Promise<void> {
    this.alarms.fired();
    try {
      const row = this.store.load();
      if (!row) return;
      const now = Date.now();
      if (row.status === "pending" && now >= row.expires_at) {
        this.end(row, { ...row, ...expired(row, now), ended_at: now });
      } else if (row.status === "pending" && row.fallback_at !== null && now >= row.fallback_at) {
        await this.fallbackDue(row);
      }
      const current = this.store.load()!;
      if (isEnded(current) && !endSettled(current, this.store.messages())) await this.finish();
      else if (isEnded(current) && now >= current.created_at + retentionMs(this.env)) return await this.forget();
      await this.followAlarm();
    } catch (error) {
      logError("verification.alarm_failed", error, { verificationId: this.store.load()?.verification_id });
      await this.alarms.exactly(Date.now() + 5_000);
    }
  }

  // ── Starting ──────────────────────────────────────────────────────────────────────────────────

  private async existing(row: VerificationRow, request: VerificationRequest): Promise<StartOutcome> {
    if (!(await this.sameRequest(row, request))) return { kind: "conflict" };
    return { kind: "replayed", response: JSON.parse(row.response) as VerificationCreated };
  }

  private async sameRequest(row: VerificationRow, request: VerificationRequest): Promise<boolean> {
    return (await compareRequestFingerprint(contentKeysOf(this.env), row, canonicalRequest(request))).same;
  }

  /**
   * A new verification: the code is made, its first message registered, and only then is anything stored
   * here. An object's outgoing calls wait until its earlier writes are durable (its output gate), so a
   * write before the registration would hold it up; the sealing runs beside it instead. A start that is
   * refused leaves nothing; one cut off after its message was registered and repeated finds that message,
   * and takes its code back from the order (recoveredCode), so the person's code is the one kept.
   */
  private async startNew(org: string, verificationId: string, request: VerificationRequest, traceId: string | undefined, now: number): Promise<StartOutcome> {
    const made = makeCode(request.codeLength);
    const salt = crypto.randomUUID();
    const expiresAt = now + request.timeToLiveInSeconds * 1000;
    const [outcome, fingerprint, sealedRequest, sealedMade] = await Promise.all([
      this.registerMessage(org, verificationId, expiresAt, request, made, 1, "first", traceId),
      requestFingerprint(this.env.CONTENT_KEY, canonicalRequest(request), salt),
      sealContent(this.env.CONTENT_KEY, sealedAs(verificationId, "request"), JSON.stringify(request)),
      sealContent(this.env.CONTENT_KEY, sealedAs(verificationId, "code"), made),
    ]);
    if (outcome.kind !== "sent") return outcome;
    const recovered = outcome.existed ? await this.recoveredCode(outcome.shipmentId, request) : null;
    const code = recovered ?? made;
    const sealedCode = recovered ? await sealContent(this.env.CONTENT_KEY, sealedAs(verificationId, "code"), recovered) : sealedMade;
    const response: VerificationCreated = {
      verificationId,
      shipmentId: outcome.shipmentId,
      expiresAt: isoTime(expiresAt),
      ...(request.sendersReference !== undefined ? { sendersReference: request.sendersReference } : {}),
    };
    const row: VerificationRow = {
      verification_id: verificationId,
      org,
      idempotency_id: request.idempotencyId,
      fingerprint,
      salt,
      response: JSON.stringify(response),
      channel: request.channel,
      status: "pending",
      attempts: 0,
      max_attempts: request.maxAttempts,
      created_at: now,
      expires_at: expiresAt,
      approved_at: null,
      ended_at: null,
      fallback_at: request.channel === "sms" && request.fallbackEmail ? now + request.fallbackEmail.afterSeconds * 1000 : null,
      fallback_refused: null,
      end_sent: 0,
    };
    this.store.insert(row, { code: sealedCode, request: sealedRequest });
    this.store.addMessage(outcome.message);
    this.code = code;
    // Logged once, by its first message's order ("registered", with the verification's id).
    await this.followAlarm();
    return { kind: outcome.existed ? "replayed" : "created", response };
  }

  /**
   * The code in the first message an earlier, cut-off start registered: its order still holds the sealed
   * body until its hand-over; opened here, in memory only. Null once the body is gone (the message went
   * out with a code this object never kept: the person needs a resend, which sends the code kept now).
   */
  private async recoveredCode(shipmentId: string, request: VerificationRequest): Promise<string | null> {
    const sealed = await orderStubForShipment(this.env, shipmentId).sealedBody(shipmentId);
    if (sealed === null) {
      log("verification.first_code_lost", { shipmentId });
      return null;
    }
    const body = await openContent(contentKeysOf(this.env), shipmentId, sealed);
    return codeIn(body, request.channel === "sms" ? request.message : request.body, request.codeLength);
  }

  // ── Messages ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Registers a message of the verification as an order (the code in its sealed body) and starts its
   * first attempt here, so this object learns which provider took it. `existed`: an earlier try had
   * registered it (a conflict too: its deadline was counted from then). The caller stores the message.
   */
  private async registerMessage(
    org: string,
    verificationId: string,
    expiresAt: number,
    request: VerificationRequest,
    code: string,
    n: number,
    kind: MessageKind,
    traceId: string | undefined,
    resendKey: string | null = null,
  ): Promise<{ kind: "sent"; shipmentId: string; existed: boolean; message: NewMessage } | Registration> {
    const plan = { verificationId, n, kind, code, expiresAt, now: Date.now() };
    const order = messageOrder(request, plan, { smsSender: this.env.DEFAULT_SMS_SENDER, emailSender: this.env.DEFAULT_EMAIL_SENDER, smsProviders: smsProviderNames(this.env) });
    const outcome = await registerAndDispatch(this.env, org, order, {
      waitUntil: (work) => this.ctx.waitUntil(work),
      traceId,
      handedOver: (shipmentId, result) => this.handedOver(shipmentId, result),
    });
    if (outcome.kind === "refused" || outcome.kind === "unavailable") return outcome;
    const response: OrderResponse | undefined = outcome.response;
    if (!response) return { kind: "unavailable" };
    const channel = channelOf(request, kind);
    const shipmentId = response.notification.shipmentId;
    const message = { n, kind, shipment_id: shipmentId, channel, resend_key: resendKey, response: JSON.stringify(response), status: channel === "sms" ? ("SMS_New" as const) : ("Email_New" as const) };
    return { kind: "sent", shipmentId, existed: outcome.kind !== "created", message };
  }

  /** The verification's next message (a resend, the fallback), from its sealed code and request. Called with concurrency blocked. */
  private async sendMessage(row: VerificationRow, kind: "resend" | "fallback", traceId: string | undefined, resendKey: string | null = null): Promise<{ kind: "sent"; shipmentId: string } | Registration> {
    const opened = await this.openSecret(row);
    if (!opened) return { kind: "unavailable" };
    const n = (this.store.messages().at(-1)?.n ?? 0) + 1;
    const sent = await this.registerMessage(row.org, row.verification_id, row.expires_at, opened.request, opened.code, n, kind, traceId, resendKey);
    if (sent.kind !== "sent") return sent;
    this.store.addMessage(sent.message);
    return { kind: "sent", shipmentId: sent.shipmentId };
  }

  /** What the first attempt at a message came to: the provider that took it, or its failure (then the fallback). */
  private async handedOver(shipmentId: string, result: HandOverResult): Promise<void> {
    if (!result) return;
    const { provider, outcome } = result;
    if (outcome.kind === "accepted") this.store.updateMessage(shipmentId, { status: outcome.status, provider, handedOver: true });
    if (outcome.kind !== "final") return;
    this.store.updateMessage(shipmentId, { status: outcome.senderRefused ? "SMS_Failed" : outcome.status, provider });
    await this.fallbackAfterFailure(shipmentId);
  }

  private async fallbackAfterFailure(shipmentId: string): Promise<void> {
    const row = this.store.load();
    const message = this.store.messages().find((m) => m.shipment_id === shipmentId);
    if (row?.status === "pending" && row.fallback_at !== null && message?.channel === "sms") await this.sendFallback();
  }

  /** The fallback's time has come: unless an SMS was delivered meanwhile (each order is asked), the email goes. */
  private async fallbackDue(row: VerificationRow): Promise<void> {
    const sms = this.store.messages().filter((m) => m.channel === "sms");
    const manifests = await Promise.all(sms.map((m) => orderStubForShipment(this.env, m.shipment_id).manifest(row.org, m.shipment_id)));
    const delivered = manifests.some((manifest) => manifest?.recipients[0]?.status === "SMS_Delivered");
    if (delivered) {
      const now = this.store.load()!;
      this.store.save(now, { ...now, fallback_at: null });
      return;
    }
    await this.sendFallback();
  }

  /** The same code once by email. Counted against the limits now; a refusal is kept for GET. */
  private async sendFallback(): Promise<void> {
    await this.ctx.blockConcurrencyWhile(async () => {
      const row = this.store.load();
      if (row?.status !== "pending" || row.fallback_at === null) return; // ended, or settled by another call
      const sent = await this.sendMessage(row, "fallback", undefined);
      const now = this.store.load()!;
      if (sent.kind === "unavailable") {
        this.store.save(now, { ...now, fallback_at: Date.now() + 5_000 });
      } else {
        const refused = sent.kind === "refused" ? (sent.refusal.kind === "limited" ? sent.refusal.code : "country") : null;
        this.store.save(now, { ...now, fallback_at: null, fallback_refused: refused });
        if (refused) log("verification.fallback_refused", { verificationId: row.verification_id, code: refused });
      }
      await this.followAlarm();
    });
  }

  // ── Ending ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores the end and erases the code and the request in the same synchronous step; what the end must
   * tell the orders and the statistics follows after the answer (finish), and the alarm retries it.
   */
  private end(before: VerificationRow, after: VerificationRow): void {
    this.store.save(before, { ...after, fallback_at: null });
    this.store.eraseSecret();
    this.code = null;
    // The answer does not wait for the end's work; if it fails, the alarm still set for the expiry (or
    // the fallback) finds the end unsettled and does it then.
    this.ctx.waitUntil(this.finish().catch((error: unknown) => logError("verification.finish_failed", error, { verificationId: after.verification_id })));
    log("verification.ended", { verificationId: after.verification_id, status: after.status, attempts: after.attempts });
  }

  private finish(): Promise<void> {
    this.finishing ??= this.finishOnce().finally(() => (this.finishing = null));
    return this.finishing;
  }

  /** Each message not handed over is told (a waiting one is then not sent); then the end goes to the statistics and the callback. */
  private async finishOnce(): Promise<void> {
    const row = this.store.load();
    if (!row || !isEnded(row)) return;
    for (const m of this.store.messages().filter((m) => m.ended === 0)) {
      if (m.handed_over === 1) {
        this.store.updateMessage(m.shipment_id, { ended: true }); // its code left with the hand-over
        continue;
      }
      const outcome = await orderStubForShipment(this.env, m.shipment_id).verificationEnded(m.shipment_id);
      this.store.updateMessage(m.shipment_id, { ended: true, ...(outcome ? { status: outcome.status, provider: outcome.provider, handedOver: outcome.handedOver } : {}) });
    }
    if (row.end_sent === 0) {
      const messages = this.store.messages();
      const proven = deliveryProvenByApproval(row, messages);
      if (proven) noteArrived(this.env, proven.provider, proven.shipmentId);
      const shard = await shardOf(this.env, row.org);
      await shardWriter(this.env, shard).append(shard, [endChange(row, messages)]);
      const now = this.store.load()!;
      this.store.save(now, { ...now, end_sent: 1 });
    }
    await this.followAlarm();
  }

  /** Retention is over: the verification leaves. */
  private async forget(): Promise<void> {
    await this.alarms.delete();
    await this.ctx.storage.deleteAll();
    this.store.forgotten();
  }

  // ── Helpers ───────────────────────────────────────────────────────────────────────────────────

  private owns(row: VerificationRow | null, org: string, verificationId: string): row is VerificationRow {
    return row !== null && row.org === org && row.verification_id === verificationId;
  }

  /** The code, opened once while pending (the request stays sealed); null once it is erased. */
  private async openCode(): Promise<string | null> {
    if (this.code !== null) return this.code;
    const row = this.store.load();
    const sealed = this.store.secret();
    if (!row || !sealed) return null;
    try {
      const code = await openContent(contentKeysOf(this.env), sealedAs(row.verification_id, "code"), sealed.code);
      if (this.store.secret()) this.code = code; // not erased while it was opened
      return code;
    } catch (error) {
      logError("verification.secret_unreadable", error, { verificationId: row.verification_id });
      return null;
    }
  }

  private async openSecret(row: VerificationRow): Promise<{ code: string; request: VerificationRequest } | null> {
    const sealed = this.store.secret();
    if (!sealed) return null;
    const keys = contentKeysOf(this.env);
    try {
      const [code, request] = await Promise.all([openContent(keys, sealedAs(row.verification_id, "code"), sealed.code), openContent(keys, sealedAs(row.verification_id, "request"), sealed.request)]);
      if (this.store.secret()) this.code = code; // not erased while it was opened
      return { code, request: JSON.parse(request) as VerificationRequest };
    } catch (error) {
      logError("verification.secret_unreadable", error, { verificationId: row.verification_id });
      return null;
    }
  }

  private followAlarm(): Promise<void> {
    const row = this.store.load();
    if (!row) return Promise.resolve();
    return this.alarms.exactly(nextWake(row, this.store.messages(), Date.now(), retentionMs(this.env)));
  }
}

function checkStateOf(row: VerificationRow): CheckState {
  return {
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    expiresAtMs: row.expires_at,
    approvedAtMs: row.approved_at,
  };
}

function withCheckState(row: VerificationRow, s: CheckState): VerificationRow {
  return { ...row, status: s.status, attempts: s.attempts, approved_at: s.approvedAtMs };
}

function expired(row: VerificationRow, now: number): Pick<VerificationRow, "status"> {
  return { status: decideExpiry(checkStateOf(row), now).state.status };
}
