// The bench's report, written from its figures alone (no I/O): the JSON object `npm run bench -- --json`
// prints as its last line (every field named in docs/benchmark.md; a field is added, never renamed), and
// the markdown tables. test/unit/bench/report.test.ts holds the field names.
import { doRequestsPerVerification, percentile, perShipment, PRICES, round, targets } from "../lib/figures.mjs";
import { markdownTable } from "../lib/markdown.mjs";

/**
 * The verification phase's figures (scripts/bench/verifications.mjs; all null when the build had no
 * verifications): start and check latencies, the registrations beside the starts, the Durable Object
 * requests per verification (the plain registrations' share taken off with the metered phase's figure).
 */
export function verificationFigures(paced) {
  const v = paced.verify ?? null;
  const metered = perShipment(paced);
  const p = (values, n) => (v ? round(percentile(values, n)) : null);
  return {
    paced_verify_start_p50_ms: p(v?.start, 50),
    paced_verify_start_p99_ms: p(v?.start, 99),
    paced_register_p50_ms_beside_verify: p(v?.registerBeside, 50),
    paced_register_p99_ms_beside_verify: p(v?.registerBeside, 99),
    paced_verify_check_p50_ms: p(v?.check, 50),
    paced_verify_check_p99_ms: p(v?.check, 99),
    paced_verify_started: v ? v.started : null,
    paced_verify_approved: v ? v.approved : null,
    do_requests_per_verification: round(doRequestsPerVerification(v, metered?.per.doRequests), 2),
    // The phase's own counts, its plain registrations' included (the markdown's line says how they divide).
    do_requests_by_class_verify: v?.metered ? Object.fromEntries(Object.entries(v.metered.meter.classes).sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => [name, { calls: c.calls, alarms: c.alarms }])) : null,
  };
}

/** The verification phase's Durable Object requests, under the work per delivered SMS. */
function verificationWork(paced, figures) {
  const v = paced.verify;
  if (!v?.metered) return [];
  const total = Object.values(v.metered.meter.classes).reduce((sum, c) => sum + c.calls + c.alarms, 0);
  const byClass = Object.entries(v.metered.meter.classes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => `${name} ${c.calls + c.alarms}`)
    .join(", ");
  return [
    `Verification phase: ${total} Durable Object requests (${byClass}) for ${v.approved} verifications approved (each a start, its SMS ` +
      `delivered and one right check) and ${v.registrationsDelivered} plain registrations delivered beside them; less those at ` +
      `${figures.do_requests_per_shipment} each, ${figures.do_requests_per_verification ?? "–"} per verification.`,
    ``,
  ];
}

/** The verification phase's rows of the markdown table (pacedRow and ratio as benchMarkdown makes them). */
function verificationRows(paced, figures, pacedRow, ratio) {
  const v = paced.verify;
  const none = "no verifications API in this build";
  return [
    pacedRow("verification start (alternating with register)", figures.paced_verify_start_p50_ms, figures.paced_verify_start_p99_ms,
      v ? `${ratio(figures.paced_verify_start_p50_ms, figures.paced_register_p50_ms_beside_verify)} × the next row's p50` : null, v ? v.errors : null,
      v ? `POST …/future/verifications/sms, fresh keys, a new recipient each; one phase, request by request alternating with the next row` : none),
    pacedRow("register (alternating with verification starts)", figures.paced_register_p50_ms_beside_verify, figures.paced_register_p99_ms_beside_verify,
      null, null, v ? `the same organisation, plain SMS registrations` : none),
    pacedRow("verification check (right code)", figures.paced_verify_check_p50_ms, figures.paced_verify_check_p99_ms,
      v ? `${ratio(figures.paced_verify_check_p50_ms, figures.paced_floor_p50_ms)} × paced floor p50` : null, null,
      v
        ? `one per verification once every SMS of the phase was final, the code read from the outbox; ${v.approved} of ${v.started} approved; ` +
          `Durable Object requests per verification ${figures.do_requests_per_verification ?? "–"} (start, delivery, check; below)`
        : none),
  ];
}

/** `npm run bench -- --verify-only`: the verification figures, the two they are judged against, and those targets. */
export function verifyOnlyFigures(paced) {
  const metered = perShipment(paced);
  const figures = {
    paced_rate: paced.rate,
    paced_floor_p50_ms: round(percentile(paced.floor.latencies, 50)),
    paced_register_p50_ms: round(percentile(paced.register.latencies, 50)),
    do_requests_per_shipment: metered ? round(metered.per.doRequests, 2) : null,
    ...verificationFigures(paced),
    errors: paced.errors,
  };
  const judged = targets(figures).filter((t) => /verif/.test(t.name));
  return { ...figures, targets: judged.map((t) => ({ name: t.name, value: round(t.value, 3), limit: t.limit, met: t.met })) };
}

/**
 * The JSON figures of one run. `run`: the settings it ran with, the paced phases' results
 * (scripts/bench/paced.mjs), the saturated phases' (scripts/bench/saturated.mjs), the peak memory and the runtime.
 */
export function benchFigures(run) {
  const { SECONDS, CONNECTIONS, DISPATCH_CONNECTIONS, PACED_SECONDS, PACED_REPORT_DELAY_MS } = run.settings;
  const { paced, rss, runtimeS } = run;
  const metered = perShipment(paced);
  const { bare, primitive, floorQueue, orderFloor, register, registerNoLimits, replay, get, burst } = run.saturated;
  const { run: dispatchRun, accepted, toHandover, toFinal, handedDuringLoad, duplicateHandovers, d1Transactions } = run.saturated.dispatch;
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
    not_final: accepted - toFinal.length,
    duplicate_handovers: duplicateHandovers,
    order_floor_rps: round(orderFloor.rps),
    order_floor_p50_ms: orderFloor.p50,
    order_floor_p99_ms: orderFloor.p99,
    d1_txn_per_shipment: toFinal.length > 0 ? round(d1Transactions / toFinal.length, 2) : null,
    d1_txn_sustained: d1Transactions,
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
    ...verificationFigures(paced),
    errors,
    peak_rss_mb: round(rss.peakMb),
    foreign_workerd_max: rss.foreignMax,
    runtime_s: round(runtimeS),
  };
  const judged = targets(figures);
  figures.targets = judged.map((t) => ({ name: t.name, value: round(t.value, 3), limit: t.limit, met: t.met }));
  figures.targets_met = judged.filter((t) => t.met === true).length;
  figures.targets_not_met = judged.filter((t) => t.met === false).length;

  return figures;
}

/** The markdown report of one run (`run` as for benchFigures, with the machine, the versions and the load at start), from its figures. */
export function benchMarkdown(run, figures) {
  const { SECONDS, CONNECTIONS, DISPATCH_CONNECTIONS, WARMUP_SECONDS, PACED_SECONDS, PACED_REPORT_DELAY_MS, D1_SLOW_MS, FEED_POLL_MS, BURSTS, ALARM_HORIZON_MS, RECIPIENTS } =
    run.settings;
  const { paced, rss, machine, versions, load1 } = run;
  const metered = perShipment(paced);
  const { bare, primitive, floorQueue, orderFloor, register, registerNoLimits, replay, get, burst } = run.saturated;
  const { run: dispatchRun, accepted, toHandover, toFinal, handedDuringLoad, duplicateHandovers, d1Transactions } = run.saturated.dispatch;
  const { errors } = figures;
  const judged = targets(figures);
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
    ...(rss.foreignMax > 0
      ? [``, `**Warning:** up to ${rss.foreignMax} workerd process(es) not started by this run were running meanwhile; the figures share the CPUs with them.`]
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
      ...verificationRows(paced, figures, pacedRow, ratio),
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
      row("Dispatch run (registrations)", dispatchRun, null, `${accepted} × 201, sustained ${SECONDS} s at ${DISPATCH_CONNECTIONS} connections`),
      ["Sustained: 201 → provider hand-over", null, ms(figures.dispatch_p50_ms), ms(figures.dispatch_p99_ms), null, null,
        `${toHandover.length} of ${accepted} handed over (simulator time)`],
      ["Sustained: 201 → final status", null, ms(figures.final_p50_ms), ms(figures.final_p99_ms), null, null,
        `${toFinal.length} of ${accepted} completed (D1 last_update)`],
      ["Sustained: D1 write transactions per shipment", null, null, null, figures.d1_txn_per_shipment, null,
        `${d1Transactions} write transactions (each batch, each write outside one) for ${toFinal.length} completed shipments`],
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
        ...verificationWork(paced, figures),
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
      `Duplicate hand-overs: ${duplicateHandovers}. Runtime ${figures.runtime_s} s.`,
    `Sustained dispatch run: ${handedDuringLoad} of ${accepted} shipments were handed over while the load ran, the rest after it stopped ` +
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
  return `${header}\n${table}\n${footer}\n`;
}
