// The order's write-behind: D1 learns of its changes through the organisation's shard writer, after
// the answer. What to send is read from what is stored (`change_seq` above `pushed_seq`, events not yet
// synced), so a hand-off that fails or never runs is simply sent again by the next one or the alarm.
import { logError } from "../log";
import type { ShipmentChange } from "../store/changes";
import { shardOf, shardWriter } from "../store/shards";
import { isFinal, orderStatusOf } from "../status/transitions";
import type { OrderState } from "./decide/state";
import { isoTime, utcDay } from "../status/manifest";
import { learnCallbacks, mayWantEveryStatus } from "../webhooks/subscription-filter";
import type { OrderStore } from "./order-store";

/** How long an order gathers its changes before it hands them to the shard writer. */
const PUSH_GATHER_MS = 15;
/**
 * How long a non-final change may wait for the next one when its organisation is known to have no
 * subscription that wants every status (`events: "all"`): a shipment's changes up to its final status
 * then usually go in one hand-off. D1 learns of them within this, and before the alarm's sync retry
 * (lifecycle.ts, `syncRetryMs`) would fire.
 */
export const PUSH_GATHER_QUIET_MS = 1_500;

export class WriteBehind {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Infinity;
  /** Pushes run one after another, so D1 learns of changes in order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: OrderStore,
    private readonly env: Env,
    private readonly ctx: DurableObjectState,
    /** After a hand-off: the alarm follows (nothing unsent: no sync retry left to fire). */
    private readonly afterPush: () => Promise<void>,
  ) {}

  /**
   * Changes that come close together (registration and claim, say) go to the shard writer in one
   * hand-off. A final status goes at once (its callback leaves within a second), and so does any
   * change of an organisation that may want every status; otherwise a non-final change waits for the
   * next, up to PUSH_GATHER_QUIET_MS.
   */
  soon(): void {
    const row = this.store.load();
    if (!row) return;
    const now = Date.now();
    const urgent = isFinal(row.status) || mayWantEveryStatus(row.org, now);
    const at = now + (urgent ? PUSH_GATHER_MS : PUSH_GATHER_QUIET_MS);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.ctx.waitUntil(this.push());
    }, at - now);
  }

  /** Hands over everything not yet sent behind. Resolves false when the writer could not take it: it stays unsent. */
  push(): Promise<boolean> {
    const next = this.chain.then(() => this.pushOnce());
    this.chain = next.catch(() => undefined);
    return next.catch((error) => {
      logError("sync.push_failed", error, { shipmentId: this.store.load()?.shipment_id });
      return false;
    });
  }

  /** Retention is over: the deletion follows every earlier change to D1. */
  async pushDeletion(row: OrderState): Promise<void> {
    if (!(await this.push())) throw new Error("the shard writer did not take the last changes");
    const shard = await this.shard(row);
    await shardWriter(this.env, shard).append(shard, [{ kind: "delete", shipmentId: row.shipment_id, org: row.org }]);
  }

  private async pushOnce(): Promise<boolean> {
    const row = this.store.load();
    if (!row || row.change_seq <= row.pushed_seq) return true;
    const events = this.store.events(true);
    const changes = [stateChange(row, this.ctx.id.toString(), events), ...verificationStart(row)];
    const shard = await this.shard(row);
    learnCallbacks(row.org, await shardWriter(this.env, shard).append(shard, changes), Date.now());
    this.store.markPushed(row.change_seq, events.length > 0 ? events[events.length - 1]!.seq : null);
    await this.afterPush();
    return true;
  }

  /** The organisation's D1 shard, learnt once and kept with the order. */
  private async shard(row: OrderState): Promise<string> {
    if (row.shard) return row.shard;
    const shard = await shardOf(this.env, row.org);
    this.store.setShard(shard);
    return shard;
  }
}

/** The order's state as D1 keeps it; `version` (the change counter) keeps an older one from overwriting it. */
export function stateChange(row: OrderState, orderRef: string, events: ReturnType<OrderStore["events"]>): ShipmentChange {
  return {
    kind: "state",
    shipmentId: row.shipment_id,
    org: row.org,
    orderId: row.order_id,
    idempotencyId: row.idempotency_id,
    orderRef,
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
    verificationId: row.verification_id ?? null,
    statusDescription: row.status_detail ?? null,
  };
}

/**
 * A verification's start goes behind with its first message's first hand-off (no request of its own);
 * a repeat (a hand-off sent again) counts once in D1.
 */
function verificationStart(row: OrderState): ShipmentChange[] {
  if (!row.verification_id || row.verification_first !== 1 || row.pushed_seq > 0) return [];
  const at = isoTime(row.created_at);
  return [{ kind: "verification", org: row.org, verificationId: row.verification_id, channel: row.channel, day: utcDay(row.created_at), event: "started", at }];
}
