// One Durable Object per (organisation, idempotencyId): it serialises everything that happens to one
// order, so registration is exactly-once whatever the concurrency.
import { DurableObject } from "cloudflare:workers";
import { deleteShipmentStatements, insertShipmentStatements } from "../store/shipments";
import { destinationOf, fingerprintOf, type Order } from "./order";

export const EMAIL_LIFETIME_MS = 48 * 3600 * 1000;

export interface OrderResponse {
  notificationOrderId: string;
  notification: { shipmentId: string; sendersReference?: string };
}

export type RegisterOutcome =
  | { kind: "created" | "replayed"; response: OrderResponse }
  | { kind: "conflict" }
  | { kind: "unavailable" };

/** What a queue message carries: a reference to the order, never its content. */
export interface DispatchMessage {
  orderRef: string;
  shipmentId: string;
}

interface StoredOrder {
  fingerprint: string;
  salt: string;
  response: OrderResponse;
}

export class OrderObject extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS registration (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      fingerprint TEXT NOT NULL, salt TEXT NOT NULL, response TEXT NOT NULL
    )`);
  }

  /**
   * Registers the order once. A repeat of the same request gets the stored answer; a different request
   * under the same key is a conflict. Concurrent calls wait for the first (blockConcurrencyWhile), so a
   * race never makes a second shipment and never fails.
   */
  async register(org: string, order: Order): Promise<RegisterOutcome> {
    const stored = this.storedOrder();
    if (stored) return this.compare(stored, order);
    return this.ctx.blockConcurrencyWhile(async () => {
      const current = this.storedOrder(); // another call may have registered while this one waited
      if (current) return this.compare(current, order);
      return this.registerNew(org, order);
    });
  }

  private async compare(stored: StoredOrder, order: Order): Promise<RegisterOutcome> {
    const same = (await fingerprintOf(order, stored.salt)) === stored.fingerprint;
    return same ? { kind: "replayed", response: stored.response } : { kind: "conflict" };
  }

  /** Stores in D1 and enqueues first, and only then remembers the key: a failed step leaves nothing. */
  private async registerNew(org: string, order: Order): Promise<RegisterOutcome> {
    const now = Date.now();
    const shipmentId = crypto.randomUUID();
    const response: OrderResponse = {
      notificationOrderId: crypto.randomUUID(),
      notification: { shipmentId, ...(order.sendersReference !== undefined ? { sendersReference: order.sendersReference } : {}) },
    };
    const deadline = now + (order.channel === "sms" ? order.timeToLiveInSeconds * 1000 : EMAIL_LIFETIME_MS);
    const db = this.env.DB;

    try {
      await db.batch(
        insertShipmentStatements(db, {
          shipmentId,
          orderId: response.notificationOrderId,
          org,
          idempotencyId: order.idempotencyId,
          orderRef: this.ctx.id.toString(),
          ...(order.sendersReference !== undefined ? { sendersReference: order.sendersReference } : {}),
          channel: order.channel,
          destination: destinationOf(order),
          orderStatus: "Order_Registered",
          recipientStatus: order.channel === "sms" ? "SMS_New" : "Email_New",
          createdAt: new Date(now).toISOString(),
          deadline: new Date(deadline).toISOString(),
        }),
      );
    } catch (error) {
      console.error(JSON.stringify({ event: "register.d1_failed", shipmentId, error: String(error) }));
      return { kind: "unavailable" };
    }

    try {
      const message: DispatchMessage = { orderRef: this.ctx.id.toString(), shipmentId };
      await (order.channel === "sms" ? this.env.SMS_QUEUE : this.env.EMAIL_QUEUE).send(message, { contentType: "json" });
    } catch (error) {
      console.error(JSON.stringify({ event: "register.enqueue_failed", shipmentId, error: String(error) }));
      // Undo the D1 rows; if even that fails, the next attempt under this key removes them first.
      await db.batch(deleteShipmentStatements(db, org, order.idempotencyId)).catch(() => undefined);
      return { kind: "unavailable" };
    }

    const salt = crypto.randomUUID();
    this.sql.exec(
      "INSERT INTO registration (id, fingerprint, salt, response) VALUES (1, ?, ?, ?)",
      await fingerprintOf(order, salt),
      salt,
      JSON.stringify(response),
    );
    return { kind: "created", response };
  }

  private storedOrder(): StoredOrder | null {
    const row = this.sql.exec<{ fingerprint: string; salt: string; response: string }>("SELECT fingerprint, salt, response FROM registration").toArray()[0];
    return row ? { fingerprint: row.fingerprint, salt: row.salt, response: JSON.parse(row.response) as OrderResponse } : null;
  }
}
