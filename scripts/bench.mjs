// npm run bench [-- --seconds 10 --connections 20 --warmup 2 --json]
//
// Starts the service locally (the same workerd `wrangler dev` uses; simulator providers, report delay 0)
// from the bench build (bench/worker.ts), drives it over loopback with autocannon, and prints a markdown
// table. In the same run it measures the floor — what the platform alone costs on this machine — through
// routes that exist only in the bench build: `bare` (answers at once) and `primitive` (one new Durable
// Object call + one D1 insert + one queue send). Measurements run one after another:
// bare, primitive, register (fresh keys), replay (one existing key), get (one shipment), dispatch.
// With --json the last line is one JSON object with the figures.
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  API,
  makeToken,
  machineInfo,
  markdownTable,
  note,
  parseFlags,
  percentile,
  ROOT,
  sleep,
  startRssSampler,
  startService,
  stopAllGroups,
} from "./lib/local-service.mjs";

const flags = parseFlags(process.argv.slice(2), { seconds: 10, connections: 20, warmup: 2, json: false, keep: false });
const SECONDS = flags.seconds;
const CONNECTIONS = Math.round(flags.connections);
const DISPATCH_CONNECTIONS = 20;
const WARMUP_SECONDS = flags.warmup;
const DRAIN_TIMEOUT_MS = 60_000;
const BURSTS = 10;
const FINAL_TIMEOUT_MS = 60_000;
// Drawn per request: the limits allow only a few SMS to one number (+4799 and six digits).
const RECIPIENTS = "+4799xxxxxx";
const recipient = () => `+4799${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;
const SMS_PATH = `${API}/future/orders/instant/sms`;
// The limits stay on for the bench's organisations, with a request rate the load cannot reach, so every
// check runs; one organisation has them off, for register_rps_no_limits.
const NO_LIMITS_ORG = "bench-no-limits";
const UNREACHABLE_RATE = { requestsPerMinute: 100_000_000 };
const BENCH_LIMITS = { bench: UNREACHABLE_RATE, "bench-burst": UNREACHABLE_RATE, "bench-dispatch": UNREACHABLE_RATE, [NO_LIMITS_ORG]: { enabled: false } };

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
    const accepted = new Map();
    await Promise.all(
      Array.from({ length: DISPATCH_CONNECTIONS }, async () => {
        try {
          const res = await fetch(`${base}${SMS_PATH}`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: smsOrder(crypto.randomUUID()),
            signal: AbortSignal.timeout(10_000),
          });
          const text = await res.text();
          if (res.status === 201) accepted.set(JSON.parse(text).notification.shipmentId, Date.now());
          else errors++;
        } catch {
          errors++;
        }
      }),
    );
    count += accepted.size;
    const finals = await waitCompleted(base, "bench-burst", new Set(accepted.keys()), 30_000, 100);
    const handovers = await getJson(`${base}/simulator/handovers`);
    for (const [id, t201] of accepted) {
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
    rows = await getJson(`${base}/bench/shipments?org=${org}`);
    const byId = new Map(rows.map((r) => [r.shipment_id, r]));
    const pending = [...expectedIds].filter((id) => byId.get(id)?.status !== "Order_Completed").length;
    const open = rows.filter((r) => r.status !== "Order_Completed").length;
    if ((pending === 0 && open === 0) || Date.now() > until) return { rows, byId, pending, open, waitedMs: timeoutMs - (until - Date.now()) };
    await sleep(pollMs);
  }
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
  note(`bench: starting the service (bench build, simulator, report delay 0)…`);
  // The no-limits organisation is pinned to the shard /bench/shipments reads (DB), so its drain can be seen.
  const vars = { SIMULATOR_REPORT_DELAY_MS: "0", LIMITS_ORGANISATIONS: BENCH_LIMITS, ORG_SHARDS: JSON.stringify({ [NO_LIMITS_ORG]: "DB" }) };
  const service = await startService({ vars, label: "bench", keep: flags.keep });
  const rss = startRssSampler(() => service.pgids);
  note(`bench: service ready at ${service.baseUrl} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const base = service.baseUrl;
  try {
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

    // ── Dispatch latency at 20 concurrent registrations, sustained ──
    const accepted = new Map(); // shipmentId → client receive time of its 201
    const dispatchRun = await measure(
      "dispatch (registrations)",
      base,
      (measured) => ({
        method: "POST",
        path: SMS_PATH,
        headers: auth(measured ? dispatchToken : token),
        setupRequest: (req) => ({ ...req, body: smsOrder(crypto.randomUUID()) }),
        onResponse: (status, body) => {
          if (measured && status === 201) accepted.set(JSON.parse(body).notification.shipmentId, Date.now());
        },
      }),
      DISPATCH_CONNECTIONS,
    );
    const dispatchLoadEnded = Date.now();
    note(`bench: waiting for the ${accepted.size} dispatch shipments to complete (at most ${FINAL_TIMEOUT_MS / 1000} s)…`);
    const finals = await waitCompleted(base, "bench-dispatch", new Set(accepted.keys()), FINAL_TIMEOUT_MS);
    const handovers = await getJson(`${base}/simulator/handovers`);
    const toHandover = [];
    const toFinal = [];
    for (const [id, t201] of accepted) {
      const handedOver = handovers.times[id];
      if (handedOver !== undefined) toHandover.push(handedOver - t201);
      const row = finals.byId.get(id);
      if (row?.status === "Order_Completed") toFinal.push(Date.parse(row.last_update) - t201);
    }
    const handedDuringLoad = [...accepted.keys()].filter((id) => handovers.times[id] !== undefined && handovers.times[id] <= dispatchLoadEnded).length;
    const rssPeak = rss.stop();

    // ── Report ──
    const phases = { bare, primitive, register, registerNoLimits, replay, get, dispatch: dispatchRun };
    const errors = Object.values(phases).reduce((sum, p) => sum + p.errors, 0) + burst.errors;
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
      errors,
      peak_rss_mb: round(rssPeak.peakMb),
      foreign_workerd_max: rssPeak.foreignMax,
      runtime_s: round((Date.now() - started) / 1000),
    };

    const versions = wranglerVersions();
    const ms = (v) => (v === null || v === undefined ? null : `${round(v)}`);
    const header = [
      `## npm run bench`,
      ``,
      `Machine: ${machine.nproc} CPUs (nproc), ${machine.model}, ${machine.memGb.toFixed(1)} GiB RAM, Node ${machine.node}; ` +
        `wrangler ${versions.wrangler}, workerd ${versions.workerd}, autocannon ${versions.autocannon}; load average at start ${load1}.`,
      `Each figure: ${SECONDS} s at ${CONNECTIONS} connections (dispatch: ${DISPATCH_CONNECTIONS}), after a ${WARMUP_SECONDS} s warm-up; ` +
        `loopback, \`wrangler dev\` (local workerd), simulator with report delay 0.`,
      ...(rssPeak.foreignMax > 0
        ? [``, `**Warning:** up to ${rssPeak.foreignMax} workerd process(es) not started by this run were running meanwhile; the figures share the CPUs with them.`]
        : []),
      ``,
    ].join("\n");
    const row = (name, p, ratio, notes) => [name, round(p.rps), ms(p.p50), ms(p.p99), ratio, p.errors, notes];
    const table = markdownTable(
      ["Measurement", "Requests/s", "p50 ms", "p99 ms", "Ratio", "Errors", "Notes"],
      [
        row("Floor: bare", bare, null, "GET /bench/bare, answers at once"),
        row("Floor: primitive", primitive, null, "new DO call + 1 D1 insert + 1 queue send"),
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
      ],
    );
    const footer = [
      ``,
      `Errors (non-2xx, socket errors, timeouts) in all measurements: ${errors}. ` +
        `Peak resident memory of this run's workerd processes: ${figures.peak_rss_mb} MB (sum of VmRSS, sampled every 200 ms). ` +
        `Duplicate hand-overs: ${handovers.duplicateHandovers}. Runtime ${figures.runtime_s} s.`,
      `Sustained dispatch run: ${handedDuringLoad} of ${accepted.size} shipments were handed over while the load ran, the rest after it stopped ` +
        `(compare the floor's own queue delay above).`,
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
