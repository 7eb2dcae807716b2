// The SMS failover walk-through against a running local service (`npm start`): starts an outage of the
// primary simulator, sends N SMS to varied ordinary numbers, waits (at most 60 s) until each is final,
// and prints one JSON line: how many ended SMS_Delivered and how fast, and the hand-overs per provider.
//   npm run --silent outage -- [--count 50] [--seconds 30] [--provider primary]   (PORT picks the service)
import { parseArgs } from "node:util";
import { signDevToken } from "./dev-key.mjs";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "50" },
    seconds: { type: "string", default: "30" },
    provider: { type: "string", default: "primary" },
    org: { type: "string", default: "ttd" },
  },
});
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1 || count > 500) throw new Error("--count must be an integer from 1 to 500");
const origin = `http://127.0.0.1:${process.env.PORT || 8787}`;
const base = `${origin}/notifications/api/v1`;
const token = await signDevToken({ org: values.org });
const deadline = Date.now() + 60_000;

/** One call; a 503 is tried again (a registration is idempotent by its key, so that is safe). */
async function call(method, url, body) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status === 503 && attempt < 3) {
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      continue;
    }
    if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

const before = await call("GET", `${origin}/simulator/handovers`);
const outage = await call("POST", `${origin}/simulator/outage`, { provider: values.provider, seconds: Number(values.seconds) });

// Ordinary Norwegian mobile numbers (9xxxxxxx), all different, none a sandbox recipient.
const started = Date.now();
const numbers = new Set();
while (numbers.size < count) numbers.add(`+479${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}`);
const shipments = await Promise.all(
  [...numbers].map(async (phoneNumber, i) => {
    const order = await call("POST", `${base}/future/orders/instant/sms`, {
      idempotencyId: `outage-${started}-${i}`,
      recipientSms: { phoneNumber, timeToLiveInSeconds: 120, smsSettings: { sender: "Altinn", body: `Your code is ${100000 + i}` } },
    });
    return order.notification.shipmentId;
  }),
);

// Poll a few at a time (a slow read is asked again next round), until all are final or 60 s have passed.
const final = new Map();
while (final.size < shipments.length && Date.now() < deadline) {
  const open = shipments.filter((id) => !final.has(id));
  for (let i = 0; i < open.length; i += 10) {
    await Promise.all(
      open.slice(i, i + 10).map(async (id) => {
        const shipment = await call("GET", `${base}/future/shipment/${id}`).catch(() => null);
        if (shipment?.status === "Order_Completed") final.set(id, { status: shipment.recipients[0].status, ms: Date.now() - started });
      }),
    );
  }
  if (final.size < shipments.length) await new Promise((resolve) => setTimeout(resolve, 250));
}

const after = await call("GET", `${origin}/simulator/handovers`);
const delivered = [...final.values()].filter((f) => f.status === "SMS_Delivered");
const perProvider = Object.fromEntries(
  Object.entries(after.providers).map(([name, p]) => [name, p.handovers - (before.providers[name]?.handovers ?? 0)]).filter(([, n]) => n > 0),
);
const result = {
  outage,
  sent: shipments.length,
  delivered: delivered.length,
  not_final: shipments.length - final.size,
  slowest_delivered_ms: Math.max(0, ...delivered.map((d) => d.ms)),
  handovers: after.handovers - before.handovers,
  handovers_per_provider: perProvider,
  duplicate_handovers: after.duplicateHandovers - before.duplicateHandovers,
};
console.log(JSON.stringify(result));
process.exitCode = result.delivered >= Math.ceil(count * 0.98) && result.duplicate_handovers === 0 ? 0 : 1;
