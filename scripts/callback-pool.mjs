// The callback object's pool, measured (issue 30, item 5): one organisation's 300 SMS (events "final")
// registered within 10 s, to a receiver on loopback that answers each callback after 2 s. With at most
// 6 deliveries in flight, 300 × 2 s / 6 = 100 s at best: every callback must arrive within 120 s of the
// first registration, none twice, and the receiver must never hold more than 6 at once.
// Not part of `npm test` (it takes about two minutes). Runs the local service (bench build, simulator
// providers) on --port (default: a free one), then stops it.
//
//   node scripts/callback-pool.mjs [--port 8818] [--count 300] [--delay-ms 2000] [--within-s 120]
import { startCallbackReceiver } from "./lib/callback-receiver.mjs";
import { API, makeToken, note, parseFlags, sleep, startService } from "./lib/local-service.mjs";

const flags = parseFlags(process.argv.slice(2), { port: 0, count: 300, "delay-ms": 2_000, "within-s": 120, "register-s": 10 });
const ORG = "poolcheck";
const COUNT = Number(flags.count);

/** Varied Norwegian mobile numbers (9xxxxxxx), never hundreds to one. */
const phone = (i) => `+479${String(1_000_000 + ((i * 7_919) % 8_900_000)).padStart(7, "0")}`;

let registrationRetries = 0;

/** One registration; a 503 is retried with the same idempotencyId (safe by the contract), as a client would. */
async function register(base, headers, body, i) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}/future/orders/instant/sms`, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status === 201 || res.status === 200) return (await res.json()).notification.shipmentId;
    const text = await res.text();
    if (res.status !== 503 || attempt >= 3) throw new Error(`registration ${i} answered ${res.status}: ${text}`);
    registrationRetries++;
    await sleep(1_000 * Number(res.headers.get("retry-after") ?? 1));
  }
}

async function main() {
  const receiver = await startCallbackReceiver({ delayMs: Number(flags["delay-ms"]) });
  let service = null;
  try {
    service = await startService({ label: "callback-pool", ...(Number(flags.port) ? { port: Number(flags.port) } : {}) });
    const base = `${service.baseUrl}${API}`;
    const token = await makeToken(ORG);
    const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const put = await fetch(`${base}/future/webhook`, { method: "PUT", headers, body: JSON.stringify({ url: receiver.url, events: "final" }) });
    if (put.status !== 200) throw new Error(`PUT /future/webhook answered ${put.status}: ${await put.text()}`);
    receiver.secret = (await put.json()).secret;

    note(`callback-pool: registering ${COUNT} SMS within ${flags["register-s"]} s against ${service.baseUrl}…`);
    const started = Date.now();
    const spacing = (Number(flags["register-s"]) * 1000) / COUNT;
    const shipments = [];
    for (let i = 0; i < COUNT; i++) {
      const at = started + i * spacing;
      if (at > Date.now()) await sleep(at - Date.now());
      const body = { idempotencyId: `pool-${started}-${i}`, sendersReference: "pool-check", recipientSms: { phoneNumber: phone(i), timeToLiveInSeconds: 300, smsSettings: { body: "Your code is 428516" } } };
      shipments.push(register(base, headers, body, i));
    }
    const ids = await Promise.all(shipments);
    const registeredIn = Date.now() - started;
    note(`callback-pool: ${ids.length} registered in ${(registeredIn / 1000).toFixed(1)} s; waiting for their callbacks…`);
    const deadline = started + Number(flags["within-s"]) * 1000 + 30_000; // a little past the bound, to report how far
    const arrivals = await Promise.all(ids.map((id) => receiver.waitFor(id, { timeoutMs: Math.max(1, deadline - Date.now()) }).catch(() => null)));
    const got = arrivals.filter(Boolean);
    const last = Math.max(...got.map((r) => r.at));
    const figures = {
      registered: ids.length,
      registeredInSeconds: +(registeredIn / 1000).toFixed(1),
      registrationRetries,
      callbacksDelivered: got.length,
      allDeliveredWithinSeconds: got.length === ids.length ? +((last - started) / 1000).toFixed(1) : null,
      boundSeconds: Number(flags["within-s"]),
      duplicates: receiver.duplicates,
      mostInFlightAtReceiver: receiver.mostInFlight,
      signaturesVerified: got.filter((r) => r.verified).length,
    };
    console.log(JSON.stringify(figures, null, 2));
    const ok = got.length === ids.length && last - started <= figures.boundSeconds * 1000 && receiver.duplicates === 0 && receiver.mostInFlight <= 6;
    if (!ok) process.exitCode = 1;
    note(`callback-pool: ${ok ? "PASS" : "FAIL"}`);
  } finally {
    await service?.stop();
    await receiver.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
