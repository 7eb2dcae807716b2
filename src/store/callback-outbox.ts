// The shard writer's outbox of status events for the organisations' callback objects. The writer adds
// events in the same synchronous step that stores the changes (so they are as durable as those) and
// answers the order at once; the outbox forwards them in the background, one forward at a time, so
// events that arrive meanwhile go together (at most one call per organisation per round). What could not
// be forwarded stays, and the writer's alarm tries again.
//
// An organisation without a subscription costs no call: the writer keeps which organisations have one
// (`callback_orgs`: 'final' or 'all'; 'none' learnt from the callback object's answer; absent = not known,
// so forwarded, as every organisation was before this table existed). The subscription routes note a
// PUT before it is stored (and again after) and forget the entry before a DELETE, so an entry can only
// err towards forwarding, and a new subscription gets every status change after it exists.
import { logError } from "../log";
import type { ShipmentChange } from "./changes";
import { callbackEventsOf } from "./callback-events";
import type { CallbackEvent } from "../webhooks/events";
import { webhookStub } from "../webhooks/webhook-object";

/** While the outbox is not empty, the writer's alarm comes back after this long. */
export const OUTBOX_RETRY_MS = 1_000;
const ROUND_LIMIT = 500;

export type SubscriptionFilter = "final" | "all" | "none";

export class CallbackOutbox {
  private forwarding: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS callback_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, org TEXT NOT NULL, event TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS callback_orgs (org TEXT PRIMARY KEY, events TEXT NOT NULL);
    `);
  }

  /** Stores the changes' status events (synchronously), but none of an organisation known to have no subscription; true when there was any. */
  add(changes: readonly ShipmentChange[]): boolean {
    const events = callbackEventsOf(changes).filter((event) => this.subscriptionOf(event.org) !== "none");
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
  note(org: string, events: "final" | "all" | null): SubscriptionFilter | null {
    const previous = this.subscriptionOf(org);
    if (events === null) this.sql.exec("DELETE FROM callback_orgs WHERE org = ?", org);
    else this.sql.exec("INSERT INTO callback_orgs (org, events) VALUES (?, ?) ON CONFLICT (org) DO UPDATE SET events = excluded.events", org, events);
    return previous;
  }

  isEmpty(): boolean {
    return this.sql.exec("SELECT 1 FROM callback_outbox LIMIT 1").toArray().length === 0;
  }

  /** Forwards what the outbox holds; never throws. A call during a round makes one more round. */
  forward(): Promise<void> {
    if (this.forwarding) {
      this.again = true;
      return this.forwarding;
    }
    this.forwarding = this.rounds().finally(() => (this.forwarding = null));
    return this.forwarding;
  }

  private async rounds(): Promise<void> {
    do {
      this.again = false;
      const rows = this.sql.exec<{ id: number; org: string; event: string }>("SELECT id, org, event FROM callback_outbox ORDER BY id LIMIT ?", ROUND_LIMIT).toArray();
      const byOrg = new Map<string, { ids: number[]; events: CallbackEvent[] }>();
      for (const row of rows) {
        const group = byOrg.get(row.org) ?? { ids: [], events: [] };
        group.ids.push(row.id);
        group.events.push(JSON.parse(row.event) as CallbackEvent);
        byOrg.set(row.org, group);
      }
      let failed = false;
      await Promise.all(
        [...byOrg].map(async ([org, { ids, events }]) => {
          try {
            const answer = await webhookStub(this.env, org).enqueue(events);
            this.sql.exec(`DELETE FROM callback_outbox WHERE id IN (${ids.join(",")})`);
            // Only where nothing is known: a route's note made meanwhile wins (an older object answers no `subscribed`).
            if (answer.subscribed === false) this.sql.exec("INSERT INTO callback_orgs (org, events) VALUES (?, 'none') ON CONFLICT (org) DO NOTHING", org);
          } catch (error) {
            failed = true; // kept for the alarm
            logError("callbacks.forward_failed", error, { org, events: events.length });
          }
        }),
      );
      if (failed) return;
      if (rows.length === ROUND_LIMIT) this.again = true;
    } while (this.again);
  }
}
