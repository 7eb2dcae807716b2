// A status-callback receiver for the benchmark, the soak and manual checks: an HTTP server on loopback
// that answers 200 and records when each callback arrived, by webhook-id and by shipment id, and
// optionally verifies its Standard Webhooks signature with the reference library.
//
//   const receiver = await startCallbackReceiver();        // a free port on 127.0.0.1
//   PUT /future/webhook { "url": receiver.url, "events": "final" }
//   …register SMS…
//   await receiver.waitFor(shipmentId);                     // → { at, webhookId, status, verified, … }
//   await receiver.close();
//
// As a command it prints each callback's headers and body: `node scripts/lib/callback-receiver.mjs --port 9000`.
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { Webhook } from "standardwebhooks";

/**
 * Starts the receiver. `secret` (optional, settable later as `receiver.secret`) turns on verification;
 * `status` is what it answers (200), after `delayMs` (0: at once). Only loopback addresses are allowed as `host`.
 */
export async function startCallbackReceiver({ port = 0, host = "127.0.0.1", status = 200, delayMs = 0, secret, onCallback } = {}) {
  if (!["127.0.0.1", "::1", "localhost"].includes(host)) throw new Error("the callback receiver listens on loopback only");
  /** @type {Map<string, object>} the first arrival of each webhook-id */
  const byWebhookId = new Map();
  /** @type {Map<string, object[]>} every arrival per shipment id, in order */
  const byShipment = new Map();
  const waiters = new Set();
  let duplicates = 0;
  let holding = 0;
  let mostHeld = 0;

  const receiver = {
    secret,
    url: "",
    byWebhookId,
    byShipment,
    get count() {
      return byWebhookId.size;
    },
    /** Callbacks that carried a webhook-id seen before (retries, or at-least-once repeats). */
    get duplicates() {
      return duplicates;
    },
    /** The most callbacks this receiver held unanswered at once (with `delayMs`: the sender's concurrency). */
    get mostInFlight() {
      return mostHeld;
    },
    /** Resolves with the first callback for `shipmentId` that satisfies `match` (by default any). */
    waitFor(shipmentId, { timeoutMs = 30_000, match = () => true } = {}) {
      const found = (byShipment.get(shipmentId) ?? []).find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          check: (record) => record.shipmentId === shipmentId && match(record) && (done(), resolve(record)),
          timer: setTimeout(() => (done(), reject(new Error(`no callback for ${shipmentId} within ${timeoutMs} ms`))), timeoutMs),
        };
        const done = () => (clearTimeout(waiter.timer), waiters.delete(waiter));
        waiters.add(waiter);
      });
    },
    close: () =>
      new Promise((resolve) => {
        for (const waiter of waiters) clearTimeout(waiter.timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server = createServer((request, response) => {
    mostHeld = Math.max(mostHeld, ++holding);
    response.on("close", () => holding--);
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString("utf8");
      const webhookId = request.headers["webhook-id"] ?? "";
      let parsed = null;
      try {
        parsed = JSON.parse(body);
      } catch {}
      let verified = null;
      if (receiver.secret) {
        try {
          new Webhook(receiver.secret).verify(body, request.headers);
          verified = true;
        } catch {
          verified = false;
        }
      }
      const record = {
        at,
        webhookId,
        timestamp: Number(request.headers["webhook-timestamp"]),
        shipmentId: parsed?.data?.shipmentId ?? null,
        status: parsed?.data?.recipients?.[0]?.status ?? null,
        verified,
        headers: request.headers,
        body,
      };
      if (byWebhookId.has(webhookId)) duplicates++;
      else byWebhookId.set(webhookId, record);
      if (record.shipmentId) byShipment.set(record.shipmentId, [...(byShipment.get(record.shipmentId) ?? []), record]);
      onCallback?.(record);
      for (const waiter of [...waiters]) waiter.check(record);
      const reply = () => response.writeHead(status, { "Content-Type": "text/plain" }).end(status < 300 ? "ok" : "");
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  receiver.url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}/callbacks`;
  return receiver;
}

// As a command: print what arrives.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const flag = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const receiver = await startCallbackReceiver({
    port: Number(flag("port", "9000")),
    secret: flag("secret", process.env.WEBHOOK_SECRET),
    onCallback: (r) => console.log(JSON.stringify({ webhookId: r.webhookId, shipmentId: r.shipmentId, status: r.status, verified: r.verified, headers: r.headers, body: JSON.parse(r.body) }, null, 2)),
  });
  console.error(`listening on ${receiver.url} (Ctrl-C to stop)`);
}
