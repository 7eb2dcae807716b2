// The local outbox: GET /outbox (the page), GET /outbox/messages.json (what the page shows) and
// DELETE /outbox/messages (empties it). It shows
// message bodies, so it answers only in local development (ENVIRONMENT "local", src/config/environment.ts)
// and only on a loopback address (the `npm start` service); anywhere else it does not exist (404).
import type { Context, Hono } from "hono";
import { isLocal } from "../../config/environment";
import { orderStubForShipment } from "../../orders/order-key";
import type { HistoryEntry } from "../../orders/order-object";
import { simulatorStub } from "../../providers/simulator/stub";
import { logError } from "../../log";
import type { AppEnv } from "../context";
import { outboxPage } from "../outbox-page";
import { ApiError } from "../problem";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Local only: local development, reached on a loopback address. */
export function isLocalOnly(env: Env, url: string): boolean {
  return isLocal(env) && LOOPBACK_HOSTS.has(new URL(url).hostname);
}

function requireLocal(c: Context<AppEnv>) {
  if (!isLocalOnly(c.env, c.req.url)) throw new ApiError(404, { detail: "No such resource." });
}

export function registerOutboxRoutes(app: Hono<AppEnv>) {
  app.get("/outbox", (c) => {
    requireLocal(c);
    const { html, csp } = outboxPage();
    return c.html(html, 200, { "Content-Security-Policy": csp });
  });

  app.get("/outbox/messages.json", async (c) => {
    requireLocal(c);
    const messages = await simulatorStub(c.env).outboxMessages();
    const shipments = [...new Set(messages.map((m) => m.shipmentId))];
    const timelines = new Map(await Promise.all(shipments.map(async (id) => [id, await timelineOf(c.env, id)] as const)));
    return c.json({ messages: messages.map((m) => ({ ...m, timeline: timelines.get(m.shipmentId) ?? [] })) });
  });

  app.delete("/outbox/messages", async (c) => {
    requireLocal(c);
    await simulatorStub(c.env).clearOutbox();
    return c.body(null, 204);
  });
}

async function timelineOf(env: Env, shipmentId: string): Promise<HistoryEntry[]> {
  try {
    return await orderStubForShipment(env, shipmentId).history(shipmentId);
  } catch (error) {
    logError("outbox.history_failed", error, { shipmentId });
    return []; // the page shows the message; its timeline comes with the next refresh
  }
}
