// The verification phase (issue 28), paced and metered: verification starts (POST …/verifications/sms)
// alternating with plain SMS registrations at the paced rate, then one right check per verification
// once its SMS is delivered, its code read from the simulator's outbox (scripts/lib/outbox-reader.mjs).
import { makeToken, note } from "../lib/local-service.mjs";
import { startOutboxReader } from "../lib/outbox-reader.mjs";
import { checkApproved, getJson, openLoop, pacedAlternating, registerOne, startVerification, waitAlarms, waitCompleted } from "./client.mjs";
import { ALARM_HORIZON_MS, FINAL_TIMEOUT_MS, JIT_WARMUP_RATE, JIT_WARMUP_REQUESTS, OUTBOX_POLL_MS, VERIFY_ORG } from "./settings.mjs";

const CODE_WAIT_MS = 15_000;

/**
 * `send`, with each failure's message counted in `failures` (openLoop counts failures but keeps no
 * reason); the phase notes them at its end.
 */
function noting(failures, what, send) {
  return () =>
    send().catch((error) => {
      const reason = `${what}: ${String(error?.message ?? error).slice(0, 160)}`;
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
      throw error;
    });
}

/**
 * Checks each verification's right code, `rate` a second (open loop), each once its message is in the
 * outbox. Returns the latencies, the number approved and the errors (a code never seen counts as one).
 */
async function checkEach(base, token, outbox, verifications, rate, failures) {
  const codes = await Promise.all(verifications.map((v) => outbox.codeOf(v.shipmentId, CODE_WAIT_MS)));
  const ready = verifications.map((v, i) => ({ ...v, code: codes[i] })).filter((v) => v.code !== null);
  const unseen = verifications.length - ready.length;
  if (unseen > 0) note(`bench: ${unseen} of ${verifications.length} verification codes never reached the outbox (${outbox.missed()} messages passed unseen)`);
  if (ready.length === 0) return { latencies: [], approved: 0, errors: unseen };
  let next = 0;
  const run = await openLoop(rate, ready.length / rate, noting(failures, "check", () => {
    const v = ready[next++];
    return checkApproved(base, token, v.verificationId, v.code, 30_000);
  }));
  return { latencies: run.latencies, approved: run.latencies.length, errors: run.errors + unseen };
}

/**
 * The verification phase, on the paced phases' service (report delay 1 s): a compiler warm-up of the
 * start and check paths (as the registration's), then starts and plain registrations for VERIFY_ORG
 * alternating at `rate` (pacedAlternating). The meters start from zero once the warm-up's verifications
 * are checked and every shipment is final with no alarm due; then every shipment of the phase is waited
 * final, every verification checked once with its right code at `rate`, and the meters read once no
 * alarm is due within ALARM_HORIZON_MS. Null (and why, on stderr) when the build has no verifications.
 */
export async function pacedVerifications(base, rate) {
  const token = await makeToken(VERIFY_ORG);
  const failures = new Map();
  const start = noting(failures, "start", () => startVerification(base, token, 30_000));
  const register = noting(failures, "registration", () => registerOne(base, token, 30_000));
  let probe;
  try {
    probe = await start();
  } catch (error) {
    note(`bench: the verification figures are null: POST …/future/verifications/sms answered ${error.message} (no verifications in this build?)`);
    return null;
  }
  const outbox = startOutboxReader(base, { pollMs: OUTBOX_POLL_MS });
  const settled = async (ids) => {
    await waitCompleted(base, VERIFY_ORG, ids, FINAL_TIMEOUT_MS, 100);
    await waitAlarms(base);
  };
  try {
    let errors = 0;
    const warmups = [probe];
    if (JIT_WARMUP_REQUESTS > 0) {
      note(`bench: warming the compiler up: ${JIT_WARMUP_REQUESTS} verification starts and checks at ${JIT_WARMUP_RATE}/s…`);
      const warm = await openLoop(JIT_WARMUP_RATE, JIT_WARMUP_REQUESTS / JIT_WARMUP_RATE, start);
      warmups.push(...warm.values);
      errors += warm.errors;
    }
    const warmChecks = await checkEach(base, token, outbox, warmups, JIT_WARMUP_RATE, failures);
    errors += warmChecks.errors;

    const run = await pacedAlternating(rate, "verification starts and registrations", start, register, {
      afterWarmup: async (warm) => {
        const warmVerifications = warm ? warm.first.values : [];
        errors += (warm?.errors ?? 0) + (await checkEach(base, token, outbox, warmVerifications, rate, failures)).errors;
        await settled([...warmups, ...warmVerifications].map((v) => v.shipmentId).concat(warm ? warm.second.values : []));
        await getJson(`${base}/bench/meter?reset=1`);
        await getJson(`${base}/bench/d1?reset=1`);
      },
    });
    errors += run.errors;
    const verifications = run.first.values;
    const registrations = run.second.values;
    const finals = await waitCompleted(base, VERIFY_ORG, [...verifications.map((v) => v.shipmentId), ...registrations], FINAL_TIMEOUT_MS, 100);
    note(`bench: checking the ${verifications.length} verifications' codes (${rate}/s, open loop)…`);
    const checks = await checkEach(base, token, outbox, verifications, rate, failures);
    errors += checks.errors;
    const alarms = await waitAlarms(base);
    const metered = { meter: await getJson(`${base}/bench/meter?horizonMs=${ALARM_HORIZON_MS}`), d1: await getJson(`${base}/bench/d1`), alarms };
    if (failures.size > 0) note(`bench: the verification phase's failures: ${[...failures].map(([reason, n]) => `${n}× ${reason}`).join("; ")}`);
    const delivered = (id) => finals.byId.get(id)?.recipient_status === "SMS_Delivered";
    return {
      start: run.first.latencies,
      registerBeside: run.second.latencies,
      check: checks.latencies,
      started: verifications.length,
      approved: checks.approved,
      verificationsDelivered: verifications.filter((v) => delivered(v.shipmentId)).length,
      registrationsDelivered: registrations.filter(delivered).length,
      metered,
      missedInOutbox: outbox.missed(),
      errors,
    };
  } finally {
    await outbox.stop();
  }
}
