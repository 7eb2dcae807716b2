// npm run bench [-- --seconds 10 --connections 20 --warmup 2 --paced-rate 10 --paced-seconds 10 --jit-warmup 300 --json]
//
// Starts the service locally (the same workerd `wrangler dev` uses; simulator providers) from the bench
// build (bench/worker.ts), drives it over loopback, and prints a markdown table (docs/benchmark.md).
// First, on the fresh service, the paced phases (open loop at --paced-rate per second, the simulator's
// report delay at 1 s): the order floor, registration (metered: Durable Object requests, queue
// operations, rows written, CPU per shipment), registration with the limits on and off alternating,
// registration and the order floor alternating, with every D1 call delayed 150 ms, with a
// status-callback subscription, and with the feed polled. Then the saturated
// phases with autocannon (report delay 0): bare, primitive, order floor, register (fresh keys), with the
// limits off, replay (one existing key), get (one shipment), dispatch bursts, sustained dispatch.
// Then the targets, each a ratio within this run, met or not, and the cost per million shipments
// (docs/cost.md). With --json the last line is one JSON object with the figures.
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { costPerMillion, PRICES, targets, ticksBetween, workCpuMs } from "./lib/figures.mjs";
import {
  API,
  clockTicksPerSecond,
  makeToken,
  machineInfo,
  markdownTable,
  note,
  parseFlags,
  percentile,
  ROOT,
  sampleGroupTicks,
  sleep,
  startRssSampler,
  startService,
  stopAllGroups,
} from "./lib/local-service.mjs";

const flags = parseFlags(process.argv.slice(2), {
  seconds: 10,
  connections: 20,
  warmup: 2,
  "paced-rate": 10,
  "paced-seconds": 10,
  "jit-warmup": 300,
  json: false,
  keep: false,
});
const SECONDS = flags.seconds;
const CONNECTIONS = Math.round(flags.connections);
const DISPATCH_CONNECTIONS = 20;
const WARMUP_SECONDS = flags.warmup;
const DRAIN_TIMEOUT_MS = 60_000;
const BURSTS = 10;
const FINAL_TIMEOUT_MS = 60_000;
const PACED_RATE = flags["paced-rate"];
const PACED_SECONDS = flags["paced-seconds"];
// Before the paced phases, each path runs this many times (registrations and order-floor requests) at
// JIT_WARMUP_RATE: measured here, the registration path (zod, Hono, libphonenumber, jose and the
// service's own code) takes a few hundred requests before V8 has compiled it for good, while the floor's
// few lines are warm after a handful. Without it, the first registration phase measured the compiler.
const JIT_WARMUP_REQUESTS = Math.round(flags["jit-warmup"]);
const JIT_WARMUP_RATE = 30;
const JIT_WARMUP_ORG = "bench-warmup";
// As a real provider's first report; the saturated phases keep 0, so their drains stay short.
const PACED_REPORT_DELAY_MS = 1000;
// The CPU windows: the quiet one lasts the paced phase plus this, the time its shipments take to be
// final and written behind at a 1 s report delay.
const CPU_TAIL_MS = 4000;
const CLOCK_TICKS = clockTicksPerSecond();
// Durable Object requests are counted until no alarm is due within this horizon (a final order's
// next alarm is its retention, 90 days on; the limits' clean-up is 10 minutes on), waiting at most ALARM_WAIT_MS.
const ALARM_HORIZON_MS = 60_000;
const ALARM_WAIT_MS = 30_000;
const D1_SLOW_MS = 150; // a D1 primary in another region
const FEED_POLL_MS = 100;
// Drawn per request: the limits allow only a few SMS to one number (+4799 and six digits).
const RECIPIENTS = "+4799xxxxxx";
const recipient = () => `+4799${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;
const SMS_PATH = `${API}/future/orders/instant/sms`;
// The limits stay on for the bench's organisations, with a request rate the load cannot reach, so every
// check runs; one organisation has them off, for register_rps_no_limits.
const NO_LIMITS_ORG = "bench-no-limits";
const UNREACHABLE_RATE = { requestsPerMinute: 100_000_000 };
const PACED_NO_LIMITS_ORG = "bench-paced-no-limits";
const PACED_ORGS = ["bench-paced", "bench-paced-observed", "bench-paced-polled", "bench-slow", JIT_WARMUP_ORG];
const BENCH_LIMITS = {
  bench: UNREACHABLE_RATE,
  "bench-burst": UNREACHABLE_RATE,
  "bench-dispatch": UNREACHABLE_RATE,
  ...Object.fromEntries(PACED_ORGS.map((org) => [org, UNREACHABLE_RATE])),
  [NO_LIMITS_ORG]: { enabled: false },
  [PACED_NO_LIMITS_ORG]: { enabled: false },
};

const round = (n, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));

function smsOrder(idempotencyId) {
  return JSON.stringify({
    idempotencyId,
    sendersReference: "bench",
    recipientSms: { phoneNumber: recipient(), timeToLiveInSeconds: 300, smsSettings: { sender: "Altinn", body: "Your code is 428516" } },
  });
}

/** One autocannon run; returns its figures. `request` is one autocannon request object. */
async function load(base, request, { connections, seconds }) {
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
async function measure(name, base, makeRequest, connections = CONNECTIONS, afterWarmup = async () => undefined) {
  if (WARMUP_SECONDS > 0) await load(base, makeRequest(false), { connections, seconds: WARMUP_SECONDS });
  await afterWarmup();
  note(`bench: ${name} (${SECONDS} s, ${connections} connections)…`);
  const figures = await load(base, makeRequest(true), { connections, seconds: SECONDS });
  if (figures.errors > 0) note(`bench: ${name}: ${figures.errors} errors ${JSON.stringify(figures.statusCodes)}, socket errors ${figures.socketErrors}`);
  return figures;
}

async function getJson(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Fresh-key registrations as `token`'s organisation; the shipment ids of measured 201s go into `registered`. */
const freshRegistrations = (token, registered) => (measured) => ({
  method: "POST",
  path: SMS_PATH,
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  setupRequest: (req) => ({ ...req, body: smsOrder(crypto.randomUUID()) }),
  onResponse: (status, body) => {
    if (measured && status === 201) registered.add(JSON.parse(body).notification.shipmentId);
  },
});

/**
 * The registration phase again, for an organisation with the limits off: register_rps against this, in
 * the same run, is what the limit check costs. Waits until its shipments complete, like the first.
 */
async function registerWithoutLimits(base) {
  const registered = new Set();
  const figures = await measure("register (fresh keys, limits off)", base, freshRegistrations(await makeToken(NO_LIMITS_ORG), registered));
  await waitCompleted(base, NO_LIMITS_ORG, registered, DRAIN_TIMEOUT_MS);
  return figures;
}

/** Waits (at most 15 s) until the floor's consumer has seen about as many messages as were sent. */
async function waitFloorQueue(base, sent) {
  const until = Date.now() + 15_000;
  for (;;) {
    const stats = await getJson(`${base}/bench/floor-queue`);
    if (stats.count >= sent || Date.now() > until) return stats;
    await sleep(250);
  }
}

/** One SMS registration with a fresh key; its shipment id, or a throw for anything but 201. */
async function registerOne(base, token, timeoutMs) {
  const res = await fetch(`${base}${SMS_PATH}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: smsOrder(crypto.randomUUID()),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`${res.status}`);
  return JSON.parse(text).notification.shipmentId;
}

/**
 * When the service answered each 201 (its own clock, as for hand-over and final times): measured from
 * the client's receipt, a hand-over that starts before the 201 reaches the client came out negative.
 */
function registeredAt(base) {
  return getJson(`${base}/bench/registered`);
}

/**
 * BURSTS times: 20 registrations at once (one per connection), then wait until all 20 are handed over
 * and final before the next. Returns the 201 → hand-over and 201 → final times of all of them.
 */
async function dispatchBursts(base, token) {
  const toHandover = [];
  const toFinal = [];
  let errors = 0;
  let count = 0;
  for (let b = 0; b < BURSTS; b++) {
    const accepted = new Set();
    await Promise.all(
      Array.from({ length: DISPATCH_CONNECTIONS }, async () => {
        try {
          accepted.add(await registerOne(base, token, 10_000));
        } catch {
          errors++;
        }
      }),
    );
    count += accepted.size;
    const finals = await waitCompleted(base, "bench-burst", accepted, 30_000, 100);
    const handovers = await getJson(`${base}/simulator/handovers`);
    const answeredAt = await registeredAt(base);
    for (const id of accepted) {
      const t201 = answeredAt[id];
      if (t201 === undefined) continue;
      if (handovers.times[id] !== undefined) toHandover.push(handovers.times[id] - t201);
      const row = finals.byId.get(id);
      if (row?.status === "Order_Completed") toFinal.push(Date.parse(row.last_update) - t201);
    }
  }
  return { toHandover, toFinal, errors, count };
}

/** Polls the bench build's D1 view until every shipment of `org` (at least `expected`) is completed. */
async function waitCompleted(base, org, expectedIds, timeoutMs, pollMs = 500) {
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

// ── Paced phase ───────────────────────────────────────────────────────────────────────────────

/**
 * Open loop: starts `send()` every 1000/rate ms for `seconds`, on a timer that never waits for answers
 * (saturated latency is only connections ÷ throughput; this is latency below saturation).
 * Returns each answer's latency (ms, send → answer) and what `send` resolved to.
 */
async function openLoop(rate, seconds, send) {
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
async function settle(base, orgs, timeoutMs = DRAIN_TIMEOUT_MS) {
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
async function startCallbackReceiver() {
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
async function subscribeCallbacks(base, token, port) {
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
function startFeedPoller(base, token) {
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

/** Registrations for `org` at `rate` for PACED_SECONDS: latencies, and the shipment ids answered 201. */
async function pacedRegistrations(base, org, rate, seconds = PACED_SECONDS) {
  const token = await makeToken(org);
  const run = await openLoop(rate, seconds, () => registerOne(base, token, 30_000));
  return { ...run, ids: new Set(run.values) };
}

/** Waits (bounded) until every id is in `map`. */
async function waitAllIn(map, ids, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while ([...ids].some((id) => !map.has(id)) && Date.now() < until) await sleep(100);
}

/**
 * Two kinds of request in one phase, alternating request by request at `rate`, for twice
 * --paced-seconds (so each gets as many requests as a phase of its own), after a warm-up of both: they
 * see the same service at the same moments, so their ratio is what sets them apart, not the drift
 * between two phases (on this machine the p50 of one phase to the next moves by more than 10 %, and
 * the order floor's moved from 13 to 21 ms between runs). Returns each side's latencies and values.
 */
async function pacedAlternating(rate, what, first, second) {
  let n = 0;
  const send = () => {
    const isSecond = n++ % 2 === 1;
    return (isSecond ? second : first)().then((value) => ({ isSecond, value }));
  };
  if (WARMUP_SECONDS > 0) await openLoop(rate, WARMUP_SECONDS, send);
  note(`bench: paced ${what}, alternating (${rate}/s, open loop, ${PACED_SECONDS * 2} s)…`);
  const run = await openLoop(rate, PACED_SECONDS * 2, send);
  const side = (isSecond) => {
    const picked = run.values.map((v, i) => ({ ...v, ms: run.latencies[i] })).filter((v) => v.isSecond === isSecond);
    return { latencies: picked.map((v) => v.ms), values: picked.map((v) => v.value) };
  };
  return { first: side(false), second: side(true), errors: run.errors };
}

/** Registration with the limits on (`bench-paced`) and off (PACED_NO_LIMITS_ORG), alternating: what the limits cost. */
async function pacedLimitsOnAndOff(base, rate) {
  const [onToken, offToken] = await Promise.all([makeToken("bench-paced"), makeToken(PACED_NO_LIMITS_ORG)]);
  const run = await pacedAlternating(
    rate,
    "registration with the limits on and off",
    () => registerOne(base, onToken, 30_000),
    () => registerOne(base, offToken, 30_000),
  );
  const side = ({ latencies, values }, errors) => ({ latencies, ids: new Set(values), errors });
  return { on: side(run.first, 0), off: side(run.second, run.errors), errors: run.errors };
}

/**
 * Registration (`bench-paced`) and the order floor, alternating: the registration's p50 and p99 against
 * the floor's with no drift between them (the separate phases' ratio stays the target the issue named;
 * this one shows how much of its spread is the machine's).
 */
async function pacedRegisterAndFloor(base, rate, floorRequest) {
  const token = await makeToken("bench-paced");
  const run = await pacedAlternating(rate, "registration and order floor", () => registerOne(base, token, 30_000), floorRequest);
  return { register: run.first.latencies, floor: run.second.latencies, errors: run.errors };
}

/**
 * Runs `work` inside a CPU window of the service's process groups: first a quiet window as long as
 * the work is expected to take (`quietMs`), then the work; when it ends early the window is held open
 * to the same length. The work's CPU is the difference (scripts/lib/figures.mjs, workCpuMs).
 */
async function cpuWindow(service, quietMs, work) {
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
async function waitAlarms(base, timeoutMs = ALARM_WAIT_MS) {
  const started = Date.now();
  for (;;) {
    const { alarms } = await getJson(`${base}/bench/meter?horizonMs=${ALARM_HORIZON_MS}`);
    if (alarms.due === 0 || Date.now() - started > timeoutMs) return { ...alarms, waitedMs: Date.now() - started };
    await sleep(250);
  }
}

/**
 * The paced phases, first, on the fresh service, each at `rate` per second with the simulator's report
 * delay at 1 s (as a real provider's first report): the order floor, registration (metered: Durable
 * Object requests, queue operations, rows written, CPU), registration with the limits off, with every
 * D1 call delayed, with a final-status callback subscription, and with the feed polled. Each is warmed
 * up at the same rate first.
 */
async function pacedPhases(base, service, rate) {
  await getJson(`${base}/bench/report-delay?ms=${PACED_REPORT_DELAY_MS}`);
  const quietMs = PACED_SECONDS * 1000 + CPU_TAIL_MS;
  let errors = 0;
  const floorRequest = () => fetch(`${base}/bench/order-floor`, { signal: AbortSignal.timeout(30_000) }).then(async (r) => {
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${r.status}`);
  });

  if (JIT_WARMUP_REQUESTS > 0) {
    note(`bench: warming the compiler up: ${JIT_WARMUP_REQUESTS} registrations and order-floor requests at ${JIT_WARMUP_RATE}/s…`);
    const seconds = JIT_WARMUP_REQUESTS / JIT_WARMUP_RATE;
    const warm = await pacedRegistrations(base, JIT_WARMUP_ORG, JIT_WARMUP_RATE, seconds);
    const floorWarm = await openLoop(JIT_WARMUP_RATE, seconds, floorRequest);
    errors += warm.errors + floorWarm.errors;
    await waitFloorQueue(base, floorWarm.sent);
    await settle(base, [JIT_WARMUP_ORG]);
  }

  note(`bench: paced order floor (${rate}/s, open loop, ${PACED_SECONDS} s, after a quiet ${quietMs / 1000} s for its CPU)…`);
  if (WARMUP_SECONDS > 0) {
    const warm = await openLoop(rate, WARMUP_SECONDS, floorRequest);
    await waitFloorQueue(base, warm.sent);
  }
  await getJson(`${base}/bench/floor-queue?reset=1`);
  const floorCpu = await cpuWindow(service, quietMs, async () => {
    const run = await openLoop(rate, PACED_SECONDS, floorRequest);
    await waitFloorQueue(base, run.latencies.length); // until its queue messages are consumed
    return run;
  });
  const floor = floorCpu.result;
  errors += floor.errors;

  const plain = await pacedRegistrationsObserved(base, "bench-paced", rate, { meterFor: service, quietMs });
  errors += plain.register.errors;
  const onOff = await pacedLimitsOnAndOff(base, rate);
  errors += onOff.errors;
  const interleaved = await pacedRegisterAndFloor(base, rate, floorRequest);
  errors += interleaved.errors;

  note(`bench: paced registration with every D1 call delayed ${D1_SLOW_MS} ms (${rate}/s, open loop, ${PACED_SECONDS} s)…`);
  await settle(base, ["bench-paced", PACED_NO_LIMITS_ORG]); // the alternating phases' shipments, before D1 slows
  await getJson(`${base}/bench/d1?delayMs=${D1_SLOW_MS}`);
  let slow;
  try {
    if (WARMUP_SECONDS > 0) await pacedRegistrations(base, "bench-slow", rate, WARMUP_SECONDS);
    slow = await pacedRegistrations(base, "bench-slow", rate);
  } finally {
    await getJson(`${base}/bench/d1?delayMs=0`);
  }
  errors += slow.errors;
  await settle(base, ["bench-slow"]);

  // The subscription and the feed reader each on its own, so each one's cost shows.
  const observed = await pacedRegistrationsObserved(base, "bench-paced-observed", rate, { subscribe: true });
  errors += observed.register.errors;
  await settle(base, ["bench-paced-observed"]);
  const polled = await pacedRegistrationsObserved(base, "bench-paced-polled", rate, { pollFeed: true });
  errors += polled.register.errors;
  await settle(base, ["bench-paced-polled"]);
  await getJson(`${base}/bench/report-delay?ms=0`);

  return {
    rate,
    floor,
    floorCpuMs: floorCpu.cpuMs,
    register: plain.register,
    toFinal: plain.toFinal,
    toHandover: plain.toHandover,
    delivered: plain.delivered,
    metered: plain.metered,
    notFinal: plain.register.ids.size - plain.toFinal.length,
    noLimits: onOff.off,
    limitsOn: onOff.on,
    interleaved,
    observed: observed.register,
    polled: polled.register,
    feedLag: polled.feedLag,
    callbackLag: observed.callbackLag,
    slow,
    errors,
  };
}

/**
 * Paced registrations for `org` after a warm-up at the same rate; with `subscribe`, the organisation
 * has a final-status callback subscription to a local receiver; with `pollFeed` its feed is polled.
 * With `meterFor` (the service), the warm-up settles first (final, no alarm due), the bench build's
 * meters start from zero, and the registrations run in a CPU window until their shipments are final
 * and written behind; the meters are read once every alarm they set within ALARM_HORIZON_MS has fired.
 * Returns the registrations, 201 → hand-over and 201 → final (on the service's clock), final → feed /
 * callback (null without a webhook API), the delivered shipments and what the meters counted.
 */
async function pacedRegistrationsObserved(base, org, rate, { subscribe = false, pollFeed = false, meterFor = null, quietMs = 0 } = {}) {
  const token = await makeToken(org);
  const receiver = subscribe ? await startCallbackReceiver() : null;
  const subscribed = receiver ? await subscribeCallbacks(base, token, receiver.port) : false;
  const feed = pollFeed ? startFeedPoller(base, token) : null;
  if (WARMUP_SECONDS > 0) {
    const warm = await pacedRegistrations(base, org, rate, WARMUP_SECONDS);
    if (meterFor) {
      await waitCompleted(base, org, warm.ids, FINAL_TIMEOUT_MS, 100);
      await waitAlarms(base);
    }
  }
  const what = subscribe ? " with a callback subscription" : pollFeed ? " with the feed polled" : org === PACED_NO_LIMITS_ORG ? " with the limits off" : "";
  note(`bench: paced registration${what} (${rate}/s, open loop, ${PACED_SECONDS} s${meterFor ? `, metered, after a quiet ${quietMs / 1000} s for its CPU` : ""})…`);
  await getJson(`${base}/bench/registered?reset=1`);
  if (meterFor) {
    await getJson(`${base}/bench/meter?reset=1`);
    await getJson(`${base}/bench/d1?reset=1`);
  }
  const work = async () => {
    const register = await pacedRegistrations(base, org, rate);
    // Final and written behind: D1 has each shipment completed.
    const finals = await waitCompleted(base, org, register.ids, FINAL_TIMEOUT_MS, meterFor ? 100 : 500);
    return { register, finals };
  };
  const cpu = meterFor ? await cpuWindow(meterFor, quietMs, work) : null;
  const { register, finals } = cpu ? cpu.result : await work();
  let metered = null;
  if (meterFor) {
    const alarms = await waitAlarms(base);
    metered = { meter: await getJson(`${base}/bench/meter?horizonMs=${ALARM_HORIZON_MS}`), d1: await getJson(`${base}/bench/d1`), alarms, cpuMs: cpu.cpuMs };
  }
  if (feed) await waitAllIn(feed.seen, register.ids, 30_000);
  if (subscribed) await waitAllIn(receiver.received, register.ids, 30_000);
  await feed?.stop();
  await receiver?.close();
  const answeredAt = await registeredAt(base);
  const handovers = await getJson(`${base}/simulator/handovers`);
  const toFinal = [];
  const toHandover = [];
  const feedLag = [];
  const callbackLag = [];
  let delivered = 0;
  for (const id of register.ids) {
    if (answeredAt[id] !== undefined && handovers.times[id] !== undefined) toHandover.push(handovers.times[id] - answeredAt[id]);
    const row = finals.byId.get(id);
    if (row?.recipient_status === "SMS_Delivered") delivered++;
    if (row?.status !== "Order_Completed") continue;
    const finalAt = Date.parse(row.last_update);
    if (answeredAt[id] !== undefined) toFinal.push(finalAt - answeredAt[id]);
    const seen = feed?.seen.get(id);
    if (seen) feedLag.push(seen.at - finalAt);
    const callback = receiver?.received.get(id);
    if (callback) callbackLag.push(callback.at - finalAt);
  }
  return { register, toFinal, toHandover, delivered, metered, feedLag, callbackLag: subscribed ? callbackLag : null };
}

/** Per delivered shipment of the metered paced registration: what the meters counted, and its cost. */
function perShipment(paced) {
  const n = paced.delivered;
  const m = paced.metered;
  if (!m || n === 0) return null;
  const classes = Object.entries(m.meter.classes).sort(([a], [b]) => a.localeCompare(b));
  const sum = (pick) => classes.reduce((total, [, c]) => total + pick(c), 0);
  const per = {
    doRequests: sum((c) => c.calls + c.alarms) / n,
    doWallMs: sum((c) => c.wallMs) / n,
    doRowsWritten: sum((c) => c.rowsWritten) / n,
    queueOps: (m.meter.queue.writes + m.meter.queue.reads + m.meter.queue.deletes) / n,
    d1RowsWritten: m.d1.rowsWritten / n,
    d1Transactions: m.d1.transactions / n,
    workerRequestsMeasured: m.meter.workerRequests / n,
    // A real provider's delivery report reaches the Worker as one more request; the simulator's reaches the order directly.
    workerRequests: m.meter.workerRequests / n + 1,
    cpuMs: m.cpuMs === null ? Number.NaN : m.cpuMs / n,
  };
  return { n, classes, per, cost: costPerMillion(per) };
}

function wranglerVersions() {
  const read = (p) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, "node_modules", p, "package.json"), "utf8")).version;
    } catch {
      return "?";
    }
  };
  return { wrangler: read("wrangler"), workerd: read("workerd"), autocannon: read("autocannon") };
}

async function main() {
  const started = Date.now();
  const machine = machineInfo();
  const load1 = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  note(`bench: starting the service (bench build, simulator)…`);
  // The no-limits organisation is pinned to the shard /bench/shipments reads (DB), so its drain can be seen.
  const vars = { SIMULATOR_REPORT_DELAY_MS: "0", LIMITS_ORGANISATIONS: BENCH_LIMITS, ORG_SHARDS: JSON.stringify({ [NO_LIMITS_ORG]: "DB" }) };
  const service = await startService({ vars, label: "bench", keep: flags.keep });
  const rss = startRssSampler(() => service.pgids);
  note(`bench: service ready at ${service.baseUrl} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const base = service.baseUrl;
  try {
    // ── Paced (open loop), first, on the fresh service ──
    const paced = await pacedPhases(base, service, PACED_RATE);
    const metered = perShipment(paced);

    const token = await makeToken("bench");
    const dispatchToken = await makeToken("bench-dispatch");
    const auth = (t) => ({ authorization: `Bearer ${t}`, "content-type": "application/json" });

    // ── Floor ──
    const bare = await measure("bare floor", base, () => ({ method: "GET", path: "/bench/bare" }));
    const primitive = await measure("primitive floor", base, () => ({ method: "GET", path: "/bench/primitive" }), CONNECTIONS, () =>
      getJson(`${base}/bench/floor-queue?reset=1`),
    );
    // The platform's own queue delay (send → consumer) under that load: the floor for dispatch latency.
    const floorQueue = await waitFloorQueue(base, primitive.total);
    // What any exactly-once registration needs at least, without D1: new DO + one storage write + one queue send.
    const orderFloor = await measure("order floor", base, () => ({ method: "GET", path: "/bench/order-floor" }));

    // ── Registration with fresh keys ──
    const registered = new Set();
    const register = await measure("register (fresh keys)", base, freshRegistrations(token, registered));

    // Let the dispatch of what was just registered finish, so the next figures measure only themselves.
    note(`bench: waiting for the ${registered.size} registered shipments to complete (at most ${DRAIN_TIMEOUT_MS / 1000} s)…`);
    const drain = await waitCompleted(base, "bench", registered, DRAIN_TIMEOUT_MS);
    note(`bench: drained in ${(drain.waitedMs / 1000).toFixed(1)} s; ${drain.open} of ${drain.rows.length} not completed`);
    const registerNoLimits = await registerWithoutLimits(base);

    // ── Replay of an existing key, and GET of its shipment ──
    const replayBody = smsOrder(`bench-replay-${crypto.randomUUID()}`);
    const first = await getJson(`${base}${SMS_PATH}`, { method: "POST", headers: auth(token), body: replayBody });
    const shipmentId = first.notification.shipmentId;
    const replay = await measure("replay (existing key)", base, () => ({ method: "POST", path: SMS_PATH, headers: auth(token), body: replayBody }));
    const get = await measure("GET shipment", base, () => ({
      method: "GET",
      path: `${API}/future/shipment/${shipmentId}`,
      headers: { authorization: `Bearer ${token}` },
    }));

    // ── Dispatch latency of bursts of 20 concurrent registrations, each burst on a quiet service ──
    note(`bench: dispatch, ${BURSTS} bursts of ${DISPATCH_CONNECTIONS} concurrent registrations…`);
    const burst = await dispatchBursts(base, await makeToken("bench-burst"));

    // ── Dispatch latency at 20 concurrent registrations, sustained; D1 write transactions meanwhile ──
    const accepted = new Set();
    const warmedUp = new Set();
    const dispatchRun = await measure(
      "dispatch (registrations)",
      base,
      (measured) => ({
        method: "POST",
        path: SMS_PATH,
        headers: auth(measured ? dispatchToken : token),
        setupRequest: (req) => ({ ...req, body: smsOrder(crypto.randomUUID()) }),
        onResponse: (status, body) => {
          if (status === 201) (measured ? accepted : warmedUp).add(JSON.parse(body).notification.shipmentId);
        },
      }),
      DISPATCH_CONNECTIONS,
      // The warm-up's shipments complete (and are written to D1) before the meter starts.
      async () => {
        await waitCompleted(base, "bench", warmedUp, DRAIN_TIMEOUT_MS);
        await getJson(`${base}/bench/d1?reset=1`);
      },
    );
    const dispatchLoadEnded = Date.now();
    note(`bench: waiting for the ${accepted.size} dispatch shipments to complete (at most ${FINAL_TIMEOUT_MS / 1000} s)…`);
    const finals = await waitCompleted(base, "bench-dispatch", accepted, FINAL_TIMEOUT_MS);
    const d1Sustained = await getJson(`${base}/bench/d1`);
    const handovers = await getJson(`${base}/simulator/handovers`);
    const answeredAt = await registeredAt(base);
    const toHandover = [];
    const toFinal = [];
    for (const id of accepted) {
      const t201 = answeredAt[id];
      if (t201 === undefined) continue;
      const handedOver = handovers.times[id];
      if (handedOver !== undefined) toHandover.push(handedOver - t201);
      const row = finals.byId.get(id);
      if (row?.status === "Order_Completed") toFinal.push(Date.parse(row.last_update) - t201);
    }
    const handedDuringLoad = [...accepted].filter((id) => handovers.times[id] !== undefined && handovers.times[id] <= dispatchLoadEnded).length;

    const rssPeak = rss.stop();

    // ── Report ──
    const phases = { bare, primitive, orderFloor, register, registerNoLimits, replay, get, dispatch: dispatchRun };
    const errors = Object.values(phases).reduce((sum, p) => sum + p.errors, 0) + burst.errors + paced.errors;
    const figures = {
      seconds: SECONDS,
      connections: CONNECTIONS,
      dispatch_connections: DISPATCH_CONNECTIONS,
      bare_rps: round(bare.rps),
      bare_p50_ms: bare.p50,
      bare_p99_ms: bare.p99,
      floor_rps: round(primitive.rps),
      floor_p50_ms: primitive.p50,
      floor_p99_ms: primitive.p99,
      floor_queue_p50_ms: floorQueue.p50,
      floor_queue_p99_ms: floorQueue.p99,
      register_rps: round(register.rps),
      register_p50_ms: register.p50,
      register_p99_ms: register.p99,
      register_floor_ratio: round(register.rps / primitive.rps, 3),
      register_rps_no_limits: round(registerNoLimits.rps),
      replay_rps: round(replay.rps),
      replay_p50_ms: replay.p50,
      replay_p99_ms: replay.p99,
      replay_bare_ratio: round(replay.rps / bare.rps, 3),
      get_rps: round(get.rps),
      get_p50_ms: get.p50,
      get_p99_ms: get.p99,
      burst_dispatch_p50_ms: percentile(burst.toHandover, 50),
      burst_dispatch_p99_ms: percentile(burst.toHandover, 99),
      burst_final_p50_ms: percentile(burst.toFinal, 50),
      burst_final_p99_ms: percentile(burst.toFinal, 99),
      burst_samples: burst.toHandover.length,
      dispatch_rps: round(dispatchRun.rps),
      dispatch_samples: toHandover.length,
      dispatch_p50_ms: percentile(toHandover, 50),
      dispatch_p99_ms: percentile(toHandover, 99),
      final_samples: toFinal.length,
      final_p50_ms: percentile(toFinal, 50),
      final_p99_ms: percentile(toFinal, 99),
      handed_over_during_load: handedDuringLoad,
      not_final: accepted.size - toFinal.length,
      duplicate_handovers: handovers.duplicateHandovers,
      order_floor_rps: round(orderFloor.rps),
      order_floor_p50_ms: orderFloor.p50,
      order_floor_p99_ms: orderFloor.p99,
      d1_txn_per_shipment: toFinal.length > 0 ? round(d1Sustained.transactions / toFinal.length, 2) : null,
      d1_txn_sustained: d1Sustained.transactions,
      paced_rate: paced.rate,
      paced_floor_p50_ms: round(percentile(paced.floor.latencies, 50)),
      paced_floor_p99_ms: round(percentile(paced.floor.latencies, 99)),
      paced_register_p50_ms: round(percentile(paced.register.latencies, 50)),
      paced_register_p99_ms: round(percentile(paced.register.latencies, 99)),
      paced_final_p50_ms: percentile(paced.toFinal, 50),
      paced_final_p99_ms: percentile(paced.toFinal, 99),
      paced_register_p50_ms_subscribed: round(percentile(paced.observed.latencies, 50)),
      paced_register_p99_ms_subscribed: round(percentile(paced.observed.latencies, 99)),
      paced_register_p50_ms_feed_polled: round(percentile(paced.polled.latencies, 50)),
      paced_register_p99_ms_feed_polled: round(percentile(paced.polled.latencies, 99)),
      paced_register_p50_ms_d1_slow: round(percentile(paced.slow.latencies, 50)),
      paced_register_p99_ms_d1_slow: round(percentile(paced.slow.latencies, 99)),
      paced_register_p50_ms_no_limits: round(percentile(paced.noLimits.latencies, 50)),
      paced_register_p99_ms_no_limits: round(percentile(paced.noLimits.latencies, 99)),
      paced_register_p50_ms_limits_on: round(percentile(paced.limitsOn.latencies, 50)),
      paced_register_p99_ms_limits_on: round(percentile(paced.limitsOn.latencies, 99)),
      paced_register_p50_ms_interleaved: round(percentile(paced.interleaved.register, 50)),
      paced_register_p99_ms_interleaved: round(percentile(paced.interleaved.register, 99)),
      paced_floor_p50_ms_interleaved: round(percentile(paced.interleaved.floor, 50)),
      paced_floor_p99_ms_interleaved: round(percentile(paced.interleaved.floor, 99)),
      paced_dispatch_p50_ms: percentile(paced.toHandover, 50),
      paced_dispatch_p99_ms: percentile(paced.toHandover, 99),
      paced_seconds: PACED_SECONDS,
      paced_report_delay_ms: PACED_REPORT_DELAY_MS,
      paced_delivered: paced.delivered,
      do_requests_per_shipment: metered ? round(metered.per.doRequests, 2) : null,
      do_requests_by_class: metered ? Object.fromEntries(metered.classes.map(([name, c]) => [name, { calls: c.calls, alarms: c.alarms }])) : null,
      do_wall_ms_per_shipment: metered ? round(metered.per.doWallMs, 1) : null,
      do_rows_written_per_shipment: metered ? round(metered.per.doRowsWritten, 1) : null,
      queue_ops_per_shipment: metered ? round(metered.per.queueOps, 2) : null,
      d1_rows_written_per_shipment: metered ? round(metered.per.d1RowsWritten, 2) : null,
      paced_d1_txn_per_shipment: metered ? round(metered.per.d1Transactions, 2) : null,
      worker_requests_per_shipment: metered ? round(metered.per.workerRequestsMeasured, 2) : null,
      cpu_ms_per_shipment: metered ? round(metered.per.cpuMs, 1) : null,
      cpu_ms_per_order_floor: paced.floorCpuMs === null || paced.floor.latencies.length === 0 ? null : round(paced.floorCpuMs / paced.floor.latencies.length, 1),
      cost_per_million_usd: metered ? round(metered.cost.total, 2) : null,
      cost_per_million_usd_by_item: metered ? Object.fromEntries(Object.entries(metered.cost.items).map(([k, v]) => [k, round(v, 3)])) : null,
      prices_looked_up: PRICES.lookedUp,
      paced_samples: paced.register.latencies.length,
      paced_not_final: paced.notFinal,
      feed_lag_p50_ms: percentile(paced.feedLag, 50),
      feed_lag_p99_ms: percentile(paced.feedLag, 99),
      feed_samples: paced.feedLag.length,
      callback_p50_ms: paced.callbackLag ? percentile(paced.callbackLag, 50) : null,
      callback_p99_ms: paced.callbackLag ? percentile(paced.callbackLag, 99) : null,
      callback_samples: paced.callbackLag ? paced.callbackLag.length : null,
      errors,
      peak_rss_mb: round(rssPeak.peakMb),
      foreign_workerd_max: rssPeak.foreignMax,
      runtime_s: round((Date.now() - started) / 1000),
    };
    const judged = targets(figures);
    figures.targets = judged.map((t) => ({ name: t.name, value: round(t.value, 3), limit: t.limit, met: t.met }));
    figures.targets_met = judged.filter((t) => t.met === true).length;
    figures.targets_not_met = judged.filter((t) => t.met === false).length;

    const versions = wranglerVersions();
    const ms = (v) => (v === null || v === undefined ? null : `${round(v)}`);
    const ratio = (a, b) => (a === null || b === null || b === 0 ? "–" : `${round(a / b, 2)}`);
    const header = [
      `## npm run bench`,
      ``,
      `Machine: ${machine.nproc} CPUs (nproc), ${machine.model}, ${machine.memGb.toFixed(1)} GiB RAM, Node ${machine.node}; ` +
        `wrangler ${versions.wrangler}, workerd ${versions.workerd}, autocannon ${versions.autocannon}; load average at start ${load1}.`,
      `Paced phases first, on the fresh service: ${paced.rate}/s open loop, ${PACED_SECONDS} s each after a ${WARMUP_SECONDS} s warm-up, ` +
        `simulator report delay ${PACED_REPORT_DELAY_MS} ms. Saturated phases after them: ${SECONDS} s at ${CONNECTIONS} connections ` +
        `(dispatch: ${DISPATCH_CONNECTIONS}), after a ${WARMUP_SECONDS} s warm-up, report delay 0. Loopback, local workerd through wrangler's startWorker, no debugger attached (scripts/lib/serve-local.mjs).`,
      ...(rssPeak.foreignMax > 0
        ? [``, `**Warning:** up to ${rssPeak.foreignMax} workerd process(es) not started by this run were running meanwhile; the figures share the CPUs with them.`]
        : []),
      ``,
    ].join("\n");
    const row = (name, p, ratio, notes) => [name, round(p.rps), ms(p.p50), ms(p.p99), ratio, p.errors, notes];
    const pacedRow = (what, p50, p99, ratioText, errs, notes) => [`Paced ${paced.rate}/s: ${what}`, null, ms(p50), ms(p99), ratioText, errs, notes];
    const table = markdownTable(
      ["Measurement", "Requests/s", "p50 ms", "p99 ms", "Ratio", "Errors", "Notes"],
      [
        pacedRow("order floor", figures.paced_floor_p50_ms, figures.paced_floor_p99_ms, null, paced.floor.errors,
          `open loop, first on the fresh service; CPU ${figures.cpu_ms_per_order_floor ?? "–"} ms per request`),
        pacedRow("register", figures.paced_register_p50_ms, figures.paced_register_p99_ms,
          `${ratio(figures.paced_register_p50_ms, figures.paced_floor_p50_ms)} / ${ratio(figures.paced_register_p99_ms, figures.paced_floor_p99_ms)} × paced floor (p50 / p99)`,
          paced.register.errors, `fresh keys, a new recipient each; metered (below); CPU ${figures.cpu_ms_per_shipment ?? "–"} ms per shipment`),
        pacedRow("201 → provider hand-over", figures.paced_dispatch_p50_ms, figures.paced_dispatch_p99_ms, null, null,
          `simulator time; ${paced.toHandover.length} of ${paced.register.ids.size}`),
        pacedRow("201 → final status", figures.paced_final_p50_ms, figures.paced_final_p99_ms,
          `${ratio(figures.paced_final_p99_ms, figures.paced_floor_p99_ms)} × paced floor p99`, null,
          `report delay ${PACED_REPORT_DELAY_MS} ms; the 201's time and the final status's lastUpdate; ${paced.toFinal.length} of ${paced.register.ids.size}`),
        pacedRow("register, limits on (alternating)", figures.paced_register_p50_ms_limits_on, figures.paced_register_p99_ms_limits_on,
          `${ratio(figures.paced_register_p50_ms_limits_on, figures.paced_register_p50_ms_no_limits)} = limits on / off p50`, null,
          `one phase, request by request alternating with the next row's organisation`),
        pacedRow("register, limits off (alternating)", figures.paced_register_p50_ms_no_limits, figures.paced_register_p99_ms_no_limits,
          null, paced.noLimits.errors, `another organisation, with the limits off`),
        pacedRow("register (alternating with the floor)", figures.paced_register_p50_ms_interleaved, figures.paced_register_p99_ms_interleaved,
          `${ratio(figures.paced_register_p50_ms_interleaved, figures.paced_floor_p50_ms_interleaved)} / ${ratio(figures.paced_register_p99_ms_interleaved, figures.paced_floor_p99_ms_interleaved)} × floor (p50 / p99)`,
          null, `one phase, request by request alternating with the next row: no drift between the two`),
        pacedRow("order floor (alternating with register)", figures.paced_floor_p50_ms_interleaved, figures.paced_floor_p99_ms_interleaved,
          null, paced.interleaved.errors, `the order floor in that same phase`),
        pacedRow(`register, D1 +${D1_SLOW_MS} ms`, figures.paced_register_p50_ms_d1_slow, figures.paced_register_p99_ms_d1_slow,
          `${ratio(figures.paced_register_p50_ms_d1_slow, figures.paced_register_p50_ms)} × paced register p50`, paced.slow.errors,
          `every D1 call delayed ${D1_SLOW_MS} ms in the bench build (a primary in another region)`),
        pacedRow("register, subscribed", figures.paced_register_p50_ms_subscribed, figures.paced_register_p99_ms_subscribed,
          `${ratio(figures.paced_register_p50_ms_subscribed, figures.paced_register_p50_ms)} × paced register p50`, paced.observed.errors,
          paced.callbackLag ? `another organisation, with a final-status callback subscription` : "no webhook API: a plain run"),
        pacedRow("final status → callback received", figures.callback_p50_ms, figures.callback_p99_ms, null, null,
          paced.callbackLag ? `local receiver, events "final"; ${paced.callbackLag.length} of ${paced.observed.ids.size}` : "no webhook API in this build"),
        pacedRow("register, feed polled", figures.paced_register_p50_ms_feed_polled, figures.paced_register_p99_ms_feed_polled,
          `${ratio(figures.paced_register_p50_ms_feed_polled, figures.paced_register_p50_ms)} × paced register p50`, paced.polled.errors,
          `another organisation, its feed polled every ${FEED_POLL_MS} ms`),
        pacedRow("final status → in the feed", figures.feed_lag_p50_ms, figures.feed_lag_p99_ms, null, null,
          `feed polled every ${FEED_POLL_MS} ms (adds up to that); ${paced.feedLag.length} of ${paced.polled.ids.size}`),
        row("Floor: bare", bare, null, "GET /bench/bare, answers at once"),
        row("Floor: primitive", primitive, null, "new DO call + 1 D1 insert + 1 queue send"),
        row("Floor: order", orderFloor, null, "new DO call + 1 write to its storage + 1 queue send (no D1)"),
        ["Floor: primitive's queue send → consumer", null, ms(floorQueue.p50), ms(floorQueue.p99), null, null,
          `${floorQueue.count} messages; the platform's own queue delay under that load`],
        row("Register, fresh keys", register, `${figures.register_floor_ratio} × primitive`, `POST …/instant/sms, unique idempotencyId, varied ${RECIPIENTS}`),
        row("Register, fresh keys, limits off", registerNoLimits, null, `the same for an organisation with the limits off`),
        row("Replay, existing key", replay, `${figures.replay_bare_ratio} × bare`, "same request again: 200, identical body"),
        row("GET shipment", get, null, "GET …/future/shipment/{id}"),
        ["Bursts of 20: 201 → provider hand-over", null, ms(figures.burst_dispatch_p50_ms), ms(figures.burst_dispatch_p99_ms), null, burst.errors,
          `${BURSTS} bursts of ${DISPATCH_CONNECTIONS} at once, each on a quiet service; ${burst.toHandover.length} of ${burst.count}`],
        ["Bursts of 20: 201 → final status", null, ms(figures.burst_final_p50_ms), ms(figures.burst_final_p99_ms), null, null,
          `${burst.toFinal.length} of ${burst.count} completed (D1 last_update)`],
        row("Dispatch run (registrations)", dispatchRun, null, `${accepted.size} × 201, sustained ${SECONDS} s at ${DISPATCH_CONNECTIONS} connections`),
        ["Sustained: 201 → provider hand-over", null, ms(figures.dispatch_p50_ms), ms(figures.dispatch_p99_ms), null, null,
          `${toHandover.length} of ${accepted.size} handed over (simulator time)`],
        ["Sustained: 201 → final status", null, ms(figures.final_p50_ms), ms(figures.final_p99_ms), null, null,
          `${toFinal.length} of ${accepted.size} completed (D1 last_update)`],
        ["Sustained: D1 write transactions per shipment", null, null, null, figures.d1_txn_per_shipment, null,
          `${d1Sustained.transactions} write transactions (each batch, each write outside one) for ${toFinal.length} completed shipments`],
      ],
    );
    const per = metered?.per;
    const workPerShipment = metered
      ? [
          ``,
          `### Work per delivered SMS (paced registration, ${metered.n} delivered)`,
          ``,
          `Counted by the bench build from the phase's start until its shipments were final and written behind and no alarm was due within ` +
            `${ALARM_HORIZON_MS / 1000} s (${paced.metered.alarms.later} alarm(s) set later, such as each order's retention alarm, not counted); ` +
            `the simulator's own object is not counted, GETs and replays are not made.`,
          ``,
          markdownTable(
            ["Durable Object class", "Calls", "Alarms", "Requests per shipment", "Wall ms per shipment", "Rows written per shipment"],
            [
              ...metered.classes.map(([name, c]) => [name, c.calls, c.alarms, round((c.calls + c.alarms) / metered.n, 2), round(c.wallMs / metered.n, 1), round(c.rowsWritten / metered.n, 1)]),
              ["All", null, null, figures.do_requests_per_shipment, figures.do_wall_ms_per_shipment, figures.do_rows_written_per_shipment],
            ],
          ),
          ``,
          `Queue operations per shipment ${figures.queue_ops_per_shipment} (writes ${paced.metered.meter.queue.writes}, reads ${paced.metered.meter.queue.reads}, ` +
            `deletes ${paced.metered.meter.queue.deletes}); D1 rows written per shipment ${figures.d1_rows_written_per_shipment} (D1's meta.rows_written), ` +
            `D1 write transactions per shipment ${figures.paced_d1_txn_per_shipment}; Worker invocations per shipment ${figures.worker_requests_per_shipment} ` +
            `(+1 in the cost for the provider's report, which the simulator hands to the order directly); ` +
            `CPU per shipment ${figures.cpu_ms_per_shipment} ms against ${figures.cpu_ms_per_order_floor} ms per order-floor request (this machine's processes, less their idle CPU).`,
          ``,
          `### Cost per million shipments (USD, Cloudflare's prices looked up ${PRICES.lookedUp}; docs/cost.md)`,
          ``,
          markdownTable(
            ["Item", "Per shipment", "USD per million shipments"],
            [
              ["Workers requests", round(per.workerRequests, 2), round(metered.cost.items.workers_requests, 3)],
              ["Workers CPU ms", round(per.cpuMs, 1), round(metered.cost.items.workers_cpu, 3)],
              ["Durable Object requests", round(per.doRequests, 2), round(metered.cost.items.durable_object_requests, 3)],
              ["Durable Object duration (GB-s at 128 MB)", round((per.doWallMs / 1000) * PRICES.durableObjectGb, 4), round(metered.cost.items.durable_object_duration, 3)],
              ["Durable Object rows written", round(per.doRowsWritten, 1), round(metered.cost.items.durable_object_rows_written, 3)],
              ["Queue operations", round(per.queueOps, 2), round(metered.cost.items.queue_operations, 3)],
              ["D1 rows written", round(per.d1RowsWritten, 2), round(metered.cost.items.d1_rows_written, 3)],
              ["Total", null, figures.cost_per_million_usd],
            ],
          ),
        ]
      : [``, `(No delivered shipment in the metered paced phase: no work per shipment or cost.)`];
    const targetTable = [
      ``,
      `### Targets (ratios within this run)`,
      ``,
      markdownTable(
        ["Target", "Value", "Limit", "Met"],
        judged.map((t) => [t.name, t.value === null ? null : round(t.value, 3), t.limit, t.met === null ? "not measured" : t.met ? "met" : "not met"]),
      ),
    ];
    const footer = [
      ``,
      `Errors (non-2xx, socket errors, timeouts) in all measurements: ${errors}. ` +
        `Peak resident memory of this run's workerd processes: ${figures.peak_rss_mb} MB (sum of VmRSS, sampled every 200 ms). ` +
        `Duplicate hand-overs: ${handovers.duplicateHandovers}. Runtime ${figures.runtime_s} s.`,
      `Sustained dispatch run: ${handedDuringLoad} of ${accepted.size} shipments were handed over while the load ran, the rest after it stopped ` +
        `(compare the floor's own queue delay above).`,
      `Ratios: register_rps / floor_rps ${ratio(figures.register_rps, figures.floor_rps)} (a whole shipment against one write: a figure, not a target); ` +
        `paced_register_p50 / paced_floor_p50 ${ratio(figures.paced_register_p50_ms, figures.paced_floor_p50_ms)}; ` +
        `paced_register_p99 / paced_floor_p99 ${ratio(figures.paced_register_p99_ms, figures.paced_floor_p99_ms)}; ` +
        `paced_register_p50_d1_slow / paced_register_p50 ${ratio(figures.paced_register_p50_ms_d1_slow, figures.paced_register_p50_ms)}; ` +
        `paced_register_p50_subscribed / paced_register_p50 ${ratio(figures.paced_register_p50_ms_subscribed, figures.paced_register_p50_ms)}; ` +
        `paced_final_p99 / paced_floor_p99 ${ratio(figures.paced_final_p99_ms, figures.paced_floor_p99_ms)}.`,
      `201 → hand-over and 201 → final are measured on the service's clock (when it answered the 201, when the simulator took the ` +
        `hand-over, the final status's lastUpdate); the feed and callback lags compare the client's receipt with the final lastUpdate.`,
      ...workPerShipment,
      ...targetTable,
    ].join("\n");
    process.stdout.write(`${header}\n${table}\n${footer}\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
  } catch (error) {
    note(`bench: failed: ${error?.stack ?? error}${error?.cause ? `\ncause: ${error.cause}` : ""}\n--- service log (tail) ---\n${service.tail()}`);
    process.exitCode = 1;
  } finally {
    rss.stop();
    await service.stop();
  }
}

try {
  await main();
} catch (error) {
  note(`bench: failed: ${error?.stack ?? error}${error?.cause ? `\ncause: ${error.cause}` : ""}`);
  process.exitCode = 1;
} finally {
  await stopAllGroups();
}
