// The shard writer's outbox of status events for the organisations' callback objects. The writer adds
// events in the same synchronous step that stores the changes (so they are as durable as those) and
// answers the order at once; the outbox hands them over in the background, each organisation on its
// own: at most one hand-off per organisation at a time (events that arrive meanwhile go together with
// its next), each bounded by a timeout, and none awaited by another's. An organisation whose callback
// object fails (or times out) backs off (callback-handoffs.ts); its events stay, unread, and the
// writer's alarm tries again once its backoff has passed. So one slow or failing organisation holds up
// only its own callbacks, never those of the others on its shard.
//
// The backoffs live in this instance's memory: a restarted writer asks a failing organisation again at
// once, which costs one call more, and then backs off anew.
//
// An organisation without a subscription costs no call: the writer keeps which organisations have one
// (`callback_orgs`: 'final' or 'all'; 'none' learnt from the callback object's answer; absent = not known,
// so forwarded, as every organisation was before this table existed; src/webhooks/subscription-filter.ts). The subscription routes note a
// PUT before it is stored (and again after) and forget the entry before a DELETE, so an entry can only
// err towards forwarding, and a new subscription gets every status change after it exists.
import { logError } from "../log";
import type { ShipmentChange } from "./changes";
import { callbackEventsOf } from "./callback-events";
import { backoffAfter, orgsToHandOver, type OrgBackoff } from "./callback-handoffs";
import type { CallbackEvent } from "../webhooks/events";
import { webhookStub } from "../webhooks/stub";
import { forwards, learntFromHandOff, type FilterNote, type SubscriptionFilter } from "../webhooks/subscription-filter";

/** While the outbox is not empty, the writer's alarm comes back after this long. */
export const OUTBOX_RETRY_MS = 1_000;
/** At most this many events in one hand-off; an organisation with more gets the rest in its next. */
const HANDOFF_LIMIT = 500;
/** A callback object answers a hand-off within milliseconds; one that has not after this long is treated as failed. */
const HANDOFF_TIMEOUT_MS = 2_000;

/**
 * The organisations with events waiting, without reading their events: a skip scan of the index, one
 * seek per organisation, so a backlog of one that is backing off costs nothing here (exported for its test).
 */
export const WAITING_ORGS = `
  WITH RECURSIVE waiting (org) AS (
    SELECT MIN(org) FROM callback_outbox
    UNION ALL
    SELECT (SELECT MIN(org) FROM callback_outbox WHERE org > waiting.org) FROM waiting WHERE waiting.org IS NOT NULL
  )
  SELECT org FROM waiting WHERE org IS NOT NULL`;

export class CallbackOutbox {
  /** Organisations whose hand-off is under way. */
  private readonly inFlight = new Set<string>();
  /** Organisations whose last hand-offs failed (memory only: see above). */
  private readonly backoffs = new Map<string, OrgBackoff>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS callback_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, org TEXT NOT NULL, event TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS callback_outbox_by_org ON callback_outbox (org);
      CREATE TABLE IF NOT EXISTS callback_orgs (org TEXT PRIMARY KEY, events TEXT NOT NULL);
    `);
  }

  /** Stores the changes' status events (synchronously), but none of an organisation known to have no subscription; true when there was any. */
  add(changes: readonly ShipmentChange[]): boolean {
    const events = callbackEventsOf(changes).filter((event) => forwards(this.subscriptionOf(event.org)));
    for (const event of events) this.sql.exec("INSERT INTO callback_outbox (org, event) VALUES (?, ?)", event.org, JSON.stringify(event));
    return events.length > 0;
  }

  /** What the writer knows of the organisation's subscription: its event filter, 'none', or null (not known). */
  subscriptionOf(org: string): SubscriptionFilter | null {
    return this.sql.exec<{ events: SubscriptionFilter }>("SELECT events FROM callback_orgs WHERE org = ?", org).toArray()[0]?.events ?? null;
  }

  /**
   * From a subscription route: the filter of a subscription about to be stored, or null to forget what is
   * known (before a DELETE). Returns what was known before.
   */
  note(org: string, events: FilterNote): SubscriptionFilter | null {
    const previous = this.subscriptionOf(org);
    if (events === null) this.sql.exec("DELETE FROM callback_orgs WHERE org = ?", org);
    else this.sql.exec("INSERT INTO callback_orgs (org, events) VALUES (?, ?) ON CONFLICT (org) DO UPDATE SET events = excluded.events", org, events);
    return previous;
  }

  isEmpty(): boolean {
    return this.sql.exec("SELECT 1 FROM callback_outbox LIMIT 1").toArray().length === 0;
  }

  /**
   * Hands over the waiting events of every organisation that is neither in a hand-off nor backing off,
   * each on its own. Resolves when these hand-offs have ended (each within HANDOFF_TIMEOUT_MS); never rejects.
   */
  forward(): Promise<void> {
    const waiting = this.sql.exec<{ org: string }>(WAITING_ORGS).toArray().map((row) => row.org);
    const orgs = orgsToHandOver(waiting, this.inFlight, this.backoffs, Date.now());
    return Promise.all(orgs.map((org) => this.handOver(org))).then(() => undefined);
  }

  /**
   * One hand-off of an organisation's oldest waiting events; never rejects. After a success, its events
   * that came meanwhile follow in a hand-off of their own, which the caller does not wait for (an
   * organisation with steady traffic would otherwise keep the writer's alarm running).
   */
  private async handOver(org: string): Promise<void> {
    this.inFlight.add(org);
    let succeeded = false;
    let count = 0;
    try {
      const rows = this.sql.exec<{ id: number; event: string }>("SELECT id, event FROM callback_outbox WHERE org = ? ORDER BY id LIMIT ?", org, HANDOFF_LIMIT).toArray();
      if (rows.length === 0) return;
      const events = rows.map((row) => JSON.parse(row.event) as CallbackEvent);
      count = events.length;
      const answer = await within(webhookStub(this.env, org).enqueue(events), HANDOFF_TIMEOUT_MS);
      this.sql.exec(`DELETE FROM callback_outbox WHERE id IN (${rows.map((row) => row.id).join(",")})`);
      // Only where nothing is known: a route's note made meanwhile wins (an older object answers no `subscribed`).
      const learnt = learntFromHandOff(answer);
      if (learnt) this.sql.exec("INSERT INTO callback_orgs (org, events) VALUES (?, ?) ON CONFLICT (org) DO NOTHING", org, learnt);
      succeeded = true;
    } catch (error) {
      logError("callbacks.forward_failed", error, { org, events: count }); // kept for the alarm
    } finally {
      this.inFlight.delete(org);
    }
    const next = backoffAfter(this.backoffs.get(org), succeeded, Date.now());
    if (next) this.backoffs.set(org, next);
    else this.backoffs.delete(org);
    if (succeeded) void this.handOver(org);
  }
}

/**
 * The call's answer, or a rejection once `ms` have passed. The call itself goes on: should it still
 * succeed, its events are handed over again later, and the callback object ignores an event id it has.
 */
function within<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}
