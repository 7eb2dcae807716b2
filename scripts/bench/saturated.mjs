// The saturated phases, with autocannon at --connections (the simulator's report delay 0): bare,
// primitive and order floors, registration with fresh keys (limits on and off), replay of one key, GET
// of one shipment, dispatch bursts of 20 and sustained dispatch.
import { latencyJoin } from "../lib/figures.mjs";
import { API, makeToken, note } from "../lib/local-service.mjs";
import { freshRegistrations, getJson, measure, registeredAt, registerOne, smsOrder, waitCompleted, waitFloorQueue } from "./client.mjs";
import { BURSTS, CONNECTIONS, DISPATCH_CONNECTIONS, DRAIN_TIMEOUT_MS, FINAL_TIMEOUT_MS, NO_LIMITS_ORG, SMS_PATH } from "./settings.mjs";

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
    const joined = latencyJoin(accepted, { answeredAt: await registeredAt(base), handoverTimes: handovers.times, finalsById: finals.byId });
    toHandover.push(...joined.toHandover);
    toFinal.push(...joined.toFinal);
  }
  return { toHandover, toFinal, errors, count };
}

/** The saturated phases, one after another, each after its warm-up; their figures. */
export async function saturatedPhases(base) {
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
  const { toHandover, toFinal } = latencyJoin(accepted, { answeredAt: await registeredAt(base), handoverTimes: handovers.times, finalsById: finals.byId });
  const handedDuringLoad = [...accepted].filter((id) => handovers.times[id] !== undefined && handovers.times[id] <= dispatchLoadEnded).length;
  return {
    bare,
    primitive,
    floorQueue,
    orderFloor,
    register,
    registerNoLimits,
    replay,
    get,
    burst,
    dispatch: {
      run: dispatchRun,
      accepted: accepted.size,
      toHandover,
      toFinal,
      handedDuringLoad,
      duplicateHandovers: handovers.duplicateHandovers,
      d1Transactions: d1Sustained.transactions,
    },
  };
}
