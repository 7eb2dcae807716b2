// What the phases share: autocannon runs, the open loop, and reading the bench build's and the
// simulator's views (registrations, hand-overs, D1, meters), the callback receiver and the feed poller.
import autocannon from "autocannon";
import { createServer } from "node:http";
import { ticksBetween, workCpuMs } from "../lib/figures.mjs";
import { API, makeToken, note, sampleGroupTicks, sleep } from "../lib/local-service.mjs";
import {
  ALARM_HORIZON_MS,
  ALARM_WAIT_MS,
  CLOCK_TICKS,
  CONNECTIONS,
  DRAIN_TIMEOUT_MS,
  FEED_POLL_MS,
  PACED_SECONDS,
  recipient,
  SECONDS,
  SMS_PATH,
  VERIFY_PATH,
  WARMUP_SECONDS,
} from "./settings.mjs";

export function smsOrder(idempotencyId) {
  return JSON.stringify({
    idempotencyId,
    sendersReference: "bench",
    recipientSms: { phoneNumber: recipient(), timeToLiveInSeconds: 300, smsSettings: { sender: "Altinn", body: "Your code is 428516" } },
  });
}

/** A verification by SMS (issue 28) with a fresh key and recipient; the code is in the message alone. */
export function smsVerification(idempotencyId) {
  return JSON.stringify({
    idempotencyId,
    sendersReference: "bench-verify",
    phoneNumber: recipient(),
    timeToLiveInSeconds: 300,
    sender: "Altinn",
    message: "Your code is {code}.",
  });
}

/** A POST of a JSON body as `token`'s organisation: its status and text. */
async function postJson(base, token, path, body, timeoutMs) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, text: await res.text() };
}

/** One verification started with a fresh key: `{ verificationId, shipmentId }`, or a throw for anything but 201. */
export async function startVerification(base, token, timeoutMs) {
  const { status, text } = await postJson(base, token, VERIFY_PATH, smsVerification(crypto.randomUUID()), timeoutMs);
  if (status !== 201) throw new Error(`${status} ${text.slice(0, 200)}`);
  const { verificationId, shipmentId } = JSON.parse(text);
  return { verificationId, shipmentId };
}

/** One check of `code`; resolves when it is answered 200 `approved`, throws for anything else. */
export async function checkApproved(base, token, verificationId, code, timeoutMs) {
  const { status, text } = await postJson(base, token, `${API}/future/verifications/${verificationId}/check`, JSON.stringify({ code }), timeoutMs);
  if (status !== 200 || JSON.parse(text).status !== "approved") throw new Error(`${status} ${text.slice(0, 200)}`);
}

/** One autocannon run; returns its figures. `request` is one autocannon request object. */
export async function load(base, request, { connections, seconds }) {
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [request],
  });
  const errors = result.non2xx + result.errors; // autocannon counts timeouts among errors
  return {
    rps: result.requests.total / result.duration,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    non2xx: result.non2xx,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    seconds: result.duration,
    connections,
  };
}

/** A warm-up, then the measurement, both with the same request and concurrency. */
export async function measure(name, base, makeRequest, connections = CONNECTIONS, afterWarmup = async () => undefined) {
  if (WARMUP_SECONDS > 0) await load(base, makeRequest(false), { connections, seconds: WARMUP_SECONDS });
  await afterWarmup();
  note(`bench: ${name} (${SECONDS} s, ${connections} connections)…`);
  const figures = await load(base, makeRequest(true), { connections, seconds: SECONDS });
  if (figures.errors > 0) note(`bench: ${name}: ${figures.errors} errors ${JSON.stringify(figures.statusCodes)}, socket errors ${figures.socketErrors}`);
  return figures;
}

export async function getJson(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Fresh-key registrations as `token`'s organisation; the shipment ids of measured 201s go into `registered`. */
export const freshRegistrations = (token, registered) => (measured) => ({
  method: "POST",
  path: SMS_PATH,
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  setupRequest: (req) => ({ ...req, body: smsOrder(crypto.randomUUID()) }),
  onResponse: (status, body) => {
    if (measured && status === 201) registered.add(JSON.parse(body).notification.shipmentId);
  },
});

/** Waits (at most 15 s) until the floor's consumer has seen about as many messages as were sent. */
export async function waitFloorQueue(base, sent) {
  const until = Date.now() + 15_000;
  for (;;) {
    const stats = await getJson(`${base}/bench/floor-queue`);
    if (stats.count >= sent || Date.now() > until) return stats;
    await sleep(250);
  }
}

/** One SMS registration with a fresh key; its shipment id, or a throw for anything but 201. */
export async function registerOne(base, token, timeoutMs) {
  const { status, text } = await postJson(base, token, SMS_PATH, smsOrder(crypto.randomUUID()), timeoutMs);
  if (status !== 201) throw new Error(`${status}`);
  return JSON.parse(text).notification.shipmentId;
}

/**
 * When the service answered each 201 (its own clock, as for hand-over and final times): measured from
 * the client's receipt, a hand-over that starts before the 201 reaches the client came out negative.
 */
export function registeredAt(base) {
  return getJson(`${base}/bench/registered`);
}

/** Polls the bench build's D1 view until every shipment of `org` (at least `expected`) is completed. */
export async function waitCompleted(base, org, expectedIds, timeoutMs, pollMs = 500) {
  const until = Date.now() + timeoutMs;
  let rows = [];
  for (;;) {
    try {
      rows = await getJson(`${base}/bench/shipments?org=${org}`);
    } catch (error) {
      // One slow read (D1 busy with a batch, a loaded machine) is not the end of the wait.
      if (Date.now() > until) throw error;
      note(`bench: reading ${org}'s shipments failed (${error?.name ?? error}); trying again`);
      continue;
    }
    const byId = new Map(rows.map((r) => [r.shipment_id, r]));
    const pending = [...expectedIds].filter((id) => byId.get(id)?.status !== "Order_Completed").length;
    const open = rows.filter((r) => r.status !== "Order_Completed").length;
    if ((pending === 0 && open === 0) || Date.now() > until) return { rows, byId, pending, open, waitedMs: timeoutMs - (until - Date.now()) };
    await sleep(pollMs);
  }
}

/**
 * Open loop: starts `send()` every 1000/rate ms for `seconds`, on a timer that never waits for answers
 * (saturated latency is only connections ÷ throughput; this is latency below saturation).
 * Returns each answer's latency (ms, send → answer) and what `send` resolved to.
 */
export async function openLoop(rate, seconds, send) {
  const interval = 1000 / rate;
  const count = Math.max(1, Math.floor(rate * seconds));
  const started = performance.now();
  const results = [];
  let errors = 0;
  const pending = [];
  for (let i = 0; i < count; i++) {
    const wait = started + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      (async () => {
        const t0 = performance.now();
        try {
          const value = await send();
          results.push({ ms: performance.now() - t0, value });
        } catch {
          errors++;
        }
      })(),
    );
  }
  await Promise.all(pending);
  return { latencies: results.map((r) => r.ms), values: results.map((r) => r.value), errors, sent: count };
}

/** Waits until the simulator's hand-over count has not moved for 2 s and no shipment is open (bounded). */
export async function settle(base, orgs, timeoutMs = DRAIN_TIMEOUT_MS) {
  const until = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const { handovers } = await getJson(`${base}/simulator/handovers`);
    if (handovers !== last) {
      last = handovers;
      stableSince = Date.now();
    }
    const open = (await Promise.all(orgs.map((org) => getJson(`${base}/bench/shipments?org=${org}`))))
      .flat()
      .filter((r) => r.status !== "Order_Completed").length;
    if ((open === 0 && Date.now() - stableSince >= 2000) || Date.now() > until) return { open, handovers };
    await sleep(250);
  }
}

/** A local receiver of status callbacks: notes when each shipment's callback arrived. */
export async function startCallbackReceiver() {
  const received = new Map(); // shipmentId → { at, lastUpdate, status }
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      try {
        const { data } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        if (data?.shipmentId && !received.has(data.shipmentId)) received.set(data.shipmentId, { at, lastUpdate: data.lastUpdate, status: data.status });
      } catch {
        // not a status callback
      }
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { received, port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/** Subscribes `org` to final-status callbacks; null (and why, on stderr) when the service cannot. */
export async function subscribeCallbacks(base, token, port) {
  const res = await fetch(`${base}${API}/future/webhook`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ url: `http://127.0.0.1:${port}/`, events: "final" }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.ok) return true;
  note(
    res.status === 404
      ? `bench: callback_p50_ms and callback_p99_ms are null: PUT /future/webhook answered 404 (no status-callback API in this build).`
      : `bench: callback_p50_ms and callback_p99_ms are null: PUT /future/webhook answered ${res.status}: ${text.slice(0, 200)}`,
  );
  return false;
}

/** Polls the feed of `org` from the start, noting when each shipment first appears in it. */
export function startFeedPoller(base, token) {
  const seen = new Map(); // shipmentId → { at, lastUpdate }
  let seq = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const page = await getJson(`${base}${API}/future/shipment/feed?seq=${seq}&pageSize=500`, { headers: { authorization: `Bearer ${token}` } });
        const at = Date.now();
        for (const entry of page) {
          seq = Math.max(seq, entry.sequenceNumber);
          if (!seen.has(entry.shipmentId)) seen.set(entry.shipmentId, { at, lastUpdate: entry.lastUpdate });
        }
        if (page.length === 500) continue;
      } catch {
        // counted by what never shows up
      }
      await sleep(FEED_POLL_MS);
    }
  })();
  return { seen, stop: () => ((stopped = true), done) };
}

/**
 * Two kinds of request in one phase, alternating request by request at `rate`, for twice
 * --paced-seconds (so each gets as many requests as a phase of its own), after a warm-up of both: they
 * see the same service at the same moments, so their ratio is what sets them apart, not the drift
 * between two phases (on this machine the p50 of one phase to the next moves by more than 10 %, and
 * the order floor's moved from 13 to 21 ms between runs). `afterWarmup` gets the warm-up's two sides
 * and runs before the phase (to settle them, to reset the meters). Returns each side's latencies and values.
 */
export async function pacedAlternating(rate, what, first, second, { afterWarmup = async () => undefined } = {}) {
  let n = 0;
  const send = () => {
    const isSecond = n++ % 2 === 1;
    return (isSecond ? second : first)().then((value) => ({ isSecond, value }));
  };
  const sides = (run) => {
    const side = (isSecond) => {
      const picked = run.values.map((v, i) => ({ ...v, ms: run.latencies[i] })).filter((v) => v.isSecond === isSecond);
      return { latencies: picked.map((v) => v.ms), values: picked.map((v) => v.value) };
    };
    return { first: side(false), second: side(true), errors: run.errors };
  };
  if (WARMUP_SECONDS > 0) await afterWarmup(sides(await openLoop(rate, WARMUP_SECONDS, send)));
  else await afterWarmup(null);
  note(`bench: paced ${what}, alternating (${rate}/s, open loop, ${PACED_SECONDS * 2} s)…`);
  return sides(await openLoop(rate, PACED_SECONDS * 2, send));
}

/** Registrations for `org` at `rate` for PACED_SECONDS: latencies, and the shipment ids answered 201. */
export async function pacedRegistrations(base, org, rate, seconds = PACED_SECONDS) {
  const token = await makeToken(org);
  const run = await openLoop(rate, seconds, () => registerOne(base, token, 30_000));
  return { ...run, ids: new Set(run.values) };
}

/** Waits (bounded) until every id is in `map`. */
export async function waitAllIn(map, ids, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while ([...ids].some((id) => !map.has(id)) && Date.now() < until) await sleep(100);
}

/**
 * Runs `work` inside a CPU window of the service's process groups: first a quiet window as long as
 * the work is expected to take (`quietMs`), then the work; when it ends early the window is held open
 * to the same length. The work's CPU is the difference (scripts/lib/figures.mjs, workCpuMs).
 */
export async function cpuWindow(service, quietMs, work) {
  const q0 = sampleGroupTicks(service.pgids);
  const quietStarted = performance.now();
  await sleep(quietMs);
  const idleTicks = ticksBetween(q0, sampleGroupTicks(service.pgids));
  const idleMs = performance.now() - quietStarted;
  const b0 = sampleGroupTicks(service.pgids);
  const started = performance.now();
  const result = await work();
  const elapsed = performance.now() - started;
  if (elapsed < idleMs) await sleep(idleMs - elapsed);
  const busyTicks = ticksBetween(b0, sampleGroupTicks(service.pgids));
  const busyMs = performance.now() - started;
  if (busyMs > idleMs * 1.05) note(`bench: the work took ${Math.round(busyMs)} ms, its quiet window ${Math.round(idleMs)} ms: the idle CPU is scaled`);
  return { result, cpuMs: workCpuMs({ busyTicks, busyMs, idleTicks, idleMs, clockTicks: CLOCK_TICKS }), busyMs, idleMs };
}

/** Waits (bounded) until no metered Durable Object has an alarm due within ALARM_HORIZON_MS. */
export async function waitAlarms(base, timeoutMs = ALARM_WAIT_MS) {
  const started = Date.now();
  for (;;) {
    const { alarms } = await getJson(`${base}/bench/meter?horizonMs=${ALARM_HORIZON_MS}`);
    if (alarms.due === 0 || Date.now() - started > timeoutMs) return { ...alarms, waitedMs: Date.now() - started };
    await sleep(250);
  }
}
