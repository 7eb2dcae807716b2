// The paced phases (open loop at --paced-rate per second, the simulator's report delay at 1 s), first,
// on the fresh service: the order floor, registration (metered), the limits on and off, registration
// and the floor alternating, D1 slowed, with a callback subscription, with the feed polled.
import { finalLags, latencyJoin } from "../lib/figures.mjs";
import { makeToken, note } from "../lib/local-service.mjs";
import {
  cpuWindow,
  getJson,
  openLoop,
  pacedAlternating,
  pacedRegistrations,
  registeredAt,
  registerOne,
  settle,
  startCallbackReceiver,
  startFeedPoller,
  subscribeCallbacks,
  waitAlarms,
  waitAllIn,
  waitCompleted,
  waitFloorQueue,
} from "./client.mjs";
import {
  ALARM_HORIZON_MS,
  CPU_TAIL_MS,
  D1_SLOW_MS,
  FINAL_TIMEOUT_MS,
  JIT_WARMUP_ORG,
  JIT_WARMUP_RATE,
  JIT_WARMUP_REQUESTS,
  PACED_NO_LIMITS_ORG,
  PACED_REPORT_DELAY_MS,
  PACED_SECONDS,
  WARMUP_SECONDS,
} from "./settings.mjs";
import { pacedVerifications } from "./verifications.mjs";

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
 * The paced phases, first, on the fresh service, each at `rate` per second with the simulator's report
 * delay at 1 s (as a real provider's first report): the order floor, registration (metered: Durable
 * Object requests, queue operations, rows written, CPU), registration with the limits off, with every
 * D1 call delayed, with a final-status callback subscription, and with the feed polled, and the
 * verification phase (verifications.mjs). Each is warmed up at the same rate first. With `verifyOnly`
 * (--verify-only), only the floor, the metered registration and the verification phase, whose figures
 * need those two.
 */
export async function pacedPhases(base, service, rate, { verifyOnly = false } = {}) {
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
  /** The verification phase, once the earlier phases' shipments are final (it resets the meters). */
  const verificationPhase = async (orgs) => {
    await settle(base, orgs);
    const verify = await pacedVerifications(base, rate);
    errors += verify?.errors ?? 0;
    return verify;
  };
  if (verifyOnly) {
    const verify = await verificationPhase(["bench-paced"]);
    await getJson(`${base}/bench/report-delay?ms=0`);
    return { rate, floor, floorCpuMs: floorCpu.cpuMs, register: plain.register, delivered: plain.delivered, metered: plain.metered, verify, errors };
  }
  const onOff = await pacedLimitsOnAndOff(base, rate);
  errors += onOff.errors;
  const interleaved = await pacedRegisterAndFloor(base, rate, floorRequest);
  errors += interleaved.errors;
  const verify = await verificationPhase(["bench-paced", PACED_NO_LIMITS_ORG]);

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
    verify,
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
  const { toHandover, toFinal } = latencyJoin(register.ids, { answeredAt, handoverTimes: handovers.times, finalsById: finals.byId });
  const delivered = [...register.ids].filter((id) => finals.byId.get(id)?.recipient_status === "SMS_Delivered").length;
  const feedLag = feed ? finalLags(register.ids, finals.byId, feed.seen) : [];
  const callbackLag = subscribed ? finalLags(register.ids, finals.byId, receiver.received) : null;
  return { register, toFinal, toHandover, delivered, metered, feedLag, callbackLag };
}
