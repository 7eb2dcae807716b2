// npm run soak [-- --seconds 30 --rate 20 --concurrency 8 --crash --keep --port N]
//
// Runs the service locally from the bench build (simulator; short report delay; SMS report grace 2 s) and
// sends a bounded, mixed stream for N seconds: every sandbox recipient on both channels, normal
// recipients, the deprecated SMS endpoint, replays of used keys (200, identical body) and concurrent
// duplicates (the same new request 5× at once: one 201, four 200, one shipment). Then it waits, bounded,
// until every shipment is final, and checks: every shipment final with the sandbox's outcome, hand-overs
// = the shipments that reach the provider, no duplicate hand-over, no 5xx, and none of the one-time codes
// in D1's files or in the service's logs, and that GET /future/stats agrees with its own counts
// (`stats_mismatches`, and the service's `handed_over_within_10s_percent`). A share of the stream starts
// verifications (issue 28; 10-digit codes read from the simulator's outbox, checked right, wrong, wrong
// then right, wrong up to maxAttempts, or not at all and left to expire): each must end in the state its
// checks explain, and none of their codes may be at rest after the end outside the simulator (D1, the
// logs, every other Durable Object's files, the verification and order objects' counted apart). The last
// line is one JSON object; exit 1 when a check fails.
//
// With --crash, halfway through it kills the whole service at once (SIGKILL to its process group),
// starts it again on the same state, port and CONTENT_KEY, replays every request whose answer was lost
// (same key, same body) and every request answered before the crash, and adds `crashes`,
// `replay_mismatches` (a replay answered differently from the original, marked Idempotency-Mismatch,
// or 422) and `lost_to_crash`
// (shipments that ended otherwise than the sandbox table says and were registered or in flight before
// the restart) to the JSON line.
import { join } from "node:path";
import { codeIn, startOutboxReader } from "./lib/outbox-reader.mjs";
import { verificationProblems } from "./lib/verification-outcomes.mjs";
import {
  API,
  makeToken,
  markdownTable,
  note,
  parseFlags,
  readFilesUnder,
  sleep,
  startRssSampler,
  startService,
  stopAllGroups,
} from "./lib/local-service.mjs";

const flags = parseFlags(process.argv.slice(2), { seconds: 30, rate: 20, concurrency: 8, crash: false, keep: false, port: 0 });
const SECONDS = flags.seconds;
const RATE = flags.rate; // requests per second, at most
const CONCURRENCY = Math.max(5, Math.round(flags.concurrency)); // a duplicate burst needs 5 at once
const ORG = "soak";
const SMS_TTL_SHORT = 60; // the minimum: +4740000003 and +4740000005 become final at the deadline (+ grace)
const SMS_TTL_NORMAL = 120;
const GRACE_SECONDS = 2;
const MARGIN_SECONDS = 30;
const REPORT_DELAY_MS = 20;

// The sandbox table of src/providers/simulator/sandbox.ts: final status, and whether the simulator
// accepts a hand-over (rejected at hand-over and always-transient never count as hand-overs).
const SMS_SANDBOX = {
  "+4740000001": { status: "SMS_Failed_InvalidRecipient", handover: false },
  "+4740000002": { status: "SMS_Failed_Undelivered", handover: true },
  "+4740000003": { status: "SMS_Failed_TTL", handover: true, ttl: SMS_TTL_SHORT },
  "+4740000004": { status: "SMS_Delivered", handover: true },
  "+4740000005": { status: "SMS_Failed_TTL", handover: false, ttl: SMS_TTL_SHORT },
  "+4740000006": { status: "SMS_Failed_BarredReceiver", handover: true },
};
const EMAIL_SANDBOX = {
  "bounce@sandbox.example": { status: "Email_Failed_Bounced", handover: true },
  "spam@sandbox.example": { status: "Email_Failed_FilteredSpam", handover: true },
  "quarantine@sandbox.example": { status: "Email_Failed_Quarantined", handover: true },
  "suppressed@sandbox.example": { status: "Email_Failed_SuppressedRecipient", handover: true },
  "invalid@sandbox.example": { status: "Email_Failed_InvalidFormat", handover: false },
  "transient@sandbox.example": { status: "Email_Delivered", handover: true },
};
// Normal recipients are drawn per request from these patterns (the limits allow only a few messages to one
// recipient); the report groups them by pattern.
const digits = (n) => String(Math.floor(Math.random() * 10 ** n)).padStart(n, "0");
const NORMAL_SMS = [["+4799xxxxxx", () => `+4799${digits(6)}`], ["+4791xxxxxx", () => `+4791${digits(6)}`], ["004798xxxxxx", () => `004798${digits(6)}`]];
const NORMAL_EMAIL = [
  ["user.x@example.com", () => `user.${digits(8)}@example.com`],
  ["someone.else.x@example.org", () => `someone.else.${digits(8)}@example.org`],
  ["Mixed.Case.x@Example.com", () => `Mixed.Case.${digits(8)}@Example.com`],
];
/** A sandbox recipient (itself is its group) or a normal one drawn from its pattern. */
function pick(kind, sandbox, normal) {
  if (kind.startsWith("sandbox")) {
    const recipient = sandbox[sequenceOf(kind) % sandbox.length];
    return { recipient, group: recipient };
  }
  const [group, draw] = normal[sequenceOf(kind) % normal.length];
  // D1 keeps recipients, and the leak scan looks for the codes there: no drawn recipient may contain one.
  let recipient;
  do recipient = draw();
  while ([...usedCodes, ...canaries].some((code) => recipient.includes(code)));
  drawnRecipients.push(recipient);
  return { recipient, group };
}

// ── Requests ──────────────────────────────────────────────────────────────────────────────────

const usedCodes = new Set();
const drawnRecipients = [];
const canaries = new Set(); // put where the scan must find them: proves it can see D1's rows and the logs
function newCode(into = usedCodes) {
  for (;;) {
    const code = String(10_000_000 + Math.floor(Math.random() * 90_000_000)); // 8 digits
    if (!usedCodes.has(code) && !canaries.has(code) && !drawnRecipients.some((r) => r.includes(code))) {
      into.add(code);
      return code;
    }
  }
}

let sequence = 0;
/** A new order of the given kind: its request and what should become of it. */
function newOrder(kind) {
  const n = ++sequence;
  const code = newCode();
  const idempotencyId = `soak-${crypto.randomUUID()}`;
  const sendersReference = `soak-${n}`;
  let channel, recipient, group, expected, path, body;
  if (kind === "sandbox-sms" || kind === "normal-sms" || kind === "deprecated-sms") {
    channel = "sms";
    const sandbox = Object.keys(SMS_SANDBOX);
    ({ recipient, group } = pick(kind, sandbox, NORMAL_SMS));
    expected = SMS_SANDBOX[recipient] ?? { status: "SMS_Delivered", handover: true };
    const recipientSms = {
      phoneNumber: recipient,
      timeToLiveInSeconds: expected.ttl ?? SMS_TTL_NORMAL,
      smsSettings: { sender: n % 2 ? "Altinn" : null, body: `Your one-time code is ${code}. Do not share it.` },
    };
    if (kind === "deprecated-sms") {
      path = `${API}/future/orders/instant`;
      body = { idempotencyId, sendersReference, recipient: { recipientSms } };
    } else {
      path = `${API}/future/orders/instant/sms`;
      body = { idempotencyId, sendersReference, recipientSms };
    }
  } else {
    channel = "email";
    const sandbox = Object.keys(EMAIL_SANDBOX);
    ({ recipient, group } = pick(kind, sandbox, NORMAL_EMAIL));
    expected = EMAIL_SANDBOX[recipient] ?? { status: "Email_Delivered", handover: true };
    const html = n % 2 === 0;
    path = `${API}/future/orders/instant/email`;
    body = {
      idempotencyId,
      sendersReference,
      recipientEmail: {
        emailAddress: recipient,
        emailSettings: {
          subject: "Your one-time code",
          body: html ? `<p>Your one-time code is <b>${code}</b>.</p>` : `Your one-time code is ${code}.`,
          senderEmailAddress: "noreply@example.com",
          contentType: html ? "Html" : "Plain",
        },
      },
    };
  }
  return { kind, channel, recipient, group, code, path, body: JSON.stringify(body), expected, deprecated: kind === "deprecated-sms" };
}

const kindCounters = {};
function sequenceOf(kind) {
  kindCounters[kind] = (kindCounters[kind] ?? 0) + 1;
  return kindCounters[kind] - 1;
}

const stats = {
  requests: 0,
  byStatus: {},
  errors5xx: 0,
  requestErrors: 0,
  unexpected: [], // responses that were not what the scenario requires
  replays: 0,
  replayMismatches: 0,
  duplicateBursts: 0,
  duplicateMismatches: 0,
  lostAnswers: 0, // requests whose answer the crash took
  replayedLost: 0,
  replayedAfterCrash: 0,
};

// The crash (with --crash): while `down` is set, no new request starts; a request that fails for want
// of a connection while the service is down, or that started before the restart, lost its answer.
const crash = { count: 0, down: null, inProgress: false, restartedAt: 0, beganAt: 0, downtimeMs: 0 };
/** Requests whose answer was lost: { order, original } (original = an answer seen for it, if any). */
const lostRequests = [];
const orders = new Map(); // shipmentId → order (with response text)
const registered = []; // orders answered 201, for replays
let lastRegistrationAt = Date.now();

/**
 * A 201, or a 200 that is a replay of the same request: a 200 with `Idempotency-Mismatch: true` means the
 * service took the repeat for a different request (it forgot or changed what it stored).
 */
const answeredAsSameRequest = (r) => r.status === 201 || (r.status === 200 && !r.headers.get("idempotency-mismatch"));

async function post(base, token, path, body) {
  stats.requests++;
  const startedAt = Date.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
    if (res.status >= 500) stats.errors5xx++;
    return { status: res.status, text, headers: res.headers };
  } catch (error) {
    const lost = crash.inProgress || startedAt < crash.restartedAt;
    if (lost) stats.lostAnswers++;
    else stats.requestErrors++;
    return { status: 0, text: String(error), headers: new Headers(), lost };
  }
}

function unexpected(what, response) {
  stats.unexpected.push(`${what}: ${response.status} ${response.text.slice(0, 200)}`);
}

/** The shipment id of a 201/200 body: an order's (`notification.shipmentId`), or a verification's first message's. */
function shipmentIdOf(text) {
  const body = JSON.parse(text);
  return body.notification?.shipmentId ?? body.shipmentId;
}

function remember(order, response) {
  const shipmentId = shipmentIdOf(response.text);
  lastRegistrationAt = Date.now();
  const entry = { ...order, shipmentId, response: response.text, beforeRestart: crash.count === 0 || crash.inProgress };
  orders.set(shipmentId, entry);
  registered.push(entry);
  return entry;
}

async function registerOne(base, token, kind) {
  const order = newOrder(kind);
  const response = await post(base, token, order.path, order.body);
  if (response.lost) return void lostRequests.push({ order, original: null });
  if (response.status !== 201) return unexpected(`register ${kind} ${order.recipient}`, response);
  if (order.deprecated && !response.headers.get("deprecation")) unexpected("deprecated endpoint without Deprecation header", response);
  remember(order, response);
}

async function replayOne(base, token) {
  if (registered.length === 0) return registerOne(base, token, "normal-sms");
  const order = registered[Math.floor(Math.random() * registered.length)];
  stats.replays++;
  const response = await post(base, token, order.path, order.body);
  if (response.lost) return void lostRequests.push({ order, original: order.response });
  if (response.status !== 200 || !answeredAsSameRequest(response) || response.text !== order.response) {
    stats.replayMismatches++;
    unexpected(`replay of ${order.shipmentId}`, response);
  }
}

async function duplicateBurst(base, token, channel) {
  const order = newOrder(channel === "sms" ? "normal-sms" : "normal-email");
  stats.duplicateBursts++;
  const responses = await Promise.all(Array.from({ length: 5 }, () => post(base, token, order.path, order.body)));
  if (responses.some((r) => r.lost)) return burstCutByCrash(order, responses);
  const created = responses.filter((r) => r.status === 201);
  const replayed = responses.filter((r) => r.status === 200 && answeredAsSameRequest(r));
  const bodies = new Set(responses.filter(answeredAsSameRequest).map((r) => r.text));
  if (created.length !== 1 || replayed.length !== 4 || bodies.size !== 1) {
    stats.duplicateMismatches++;
    unexpected(`5× duplicate: ${responses.map((r) => r.status).join(",")}, ${bodies.size} distinct bodies`, responses.find((r) => r.status !== 200) ?? responses[0]);
  }
  if (created[0]) remember(order, created[0]);
}

/** A burst that the crash cut short: what was answered must agree; the rest is replayed after the restart. */
function burstCutByCrash(order, responses) {
  const answered = responses.filter(answeredAsSameRequest);
  if (new Set(answered.map((r) => r.text)).size > 1 || answered.length + responses.filter((r) => r.lost).length !== responses.length) {
    stats.duplicateMismatches++;
    unexpected(`5× duplicate cut by the crash: ${responses.map((r) => r.status).join(",")}`, responses.find((r) => !r.lost) ?? responses[0]);
  }
  lostRequests.push({ order, original: answered[0]?.text ?? null });
}

/** Sends a request until it is answered (bounded), once the service is up again: the same key and body each time. */
async function postUntilAnswered(base, token, path, body) {
  let response;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (crash.down) await crash.down;
    response = await post(base, token, path, body);
    if (response.status !== 0 && response.status < 500) break;
    await sleep(500 * (attempt + 1));
  }
  return response;
}

/**
 * Sends a request again until it is answered (bounded), as a caller that lost the answer does: the same
 * key and body. A 201 or 200 registers it (if it was not already), and must agree with any answer seen
 * before; a 422, or a 200 marked Idempotency-Mismatch, means the service forgot what it had answered.
 */
async function replayAfterCrash(base, token, { order, original }) {
  const response = await postUntilAnswered(base, token, order.path, order.body);
  if (!answeredAsSameRequest(response) || (original !== null && response.text !== original)) {
    stats.replayMismatches++;
    return unexpected(`replay after the crash of ${order.recipient} (${order.kind})`, response);
  }
  const shipmentId = shipmentIdOf(response.text);
  if (!orders.has(shipmentId)) remember({ ...order, lostInCrash: true }, response);
}

/** Runs `task` over `items`, at most CONCURRENCY at once. */
async function eachBounded(items, task) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

/**
 * The crash: kill the whole service at once, start it on the same state, then replay every request
 * whose answer was lost and every registration answered before the crash (each must be answered as
 * before: 200, the same body).
 */
async function crashAndRecover(service, token) {
  let up;
  crash.down = new Promise((r) => (up = r));
  crash.inProgress = true;
  crash.beganAt = Date.now();
  const answeredBefore = [...registered];
  note(`soak: crash: SIGKILL to the service's process group (${stats.requests} requests so far, ${orders.size} shipments)…`);
  await service.crash();
  crash.count++;
  await service.restart();
  crash.restartedAt = Date.now();
  crash.inProgress = false;
  crash.downtimeMs = crash.restartedAt - crash.beganAt;
  note(`soak: restarted on the same state in ${(crash.downtimeMs / 1000).toFixed(1)} s; replaying ${lostRequests.length} requests whose answer was lost…`);
  crash.down = null;
  up();
  const lost = lostRequests.splice(0);
  stats.replayedLost += lost.length;
  await eachBounded(lost, (entry) => replayAfterCrash(service.baseUrl, token, entry));
  note(`soak: replaying the ${answeredBefore.length} registrations answered before the crash…`);
  stats.replayedAfterCrash += answeredBefore.length;
  await eachBounded(answeredBefore, (order) => replayAfterCrash(service.baseUrl, token, { order, original: order.response }));
}

function countBy(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].map(([v, n]) => `${v} ×${n}`).join(", ");
}

class Limiter {
  constructor(size) {
    this.free = size;
    this.waiters = [];
  }
  async acquire(n) {
    while (this.free < n) await new Promise((r) => this.waiters.push(r));
    this.free -= n;
  }
  release(n) {
    this.free += n;
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** At most CONCURRENCY requests in flight: the stream's and the verifications' checks. */
const limiter = new Limiter(CONCURRENCY);

// One cycle of the stream; a duplicate burst costs 5 requests; a verification's start costs 1 (its
// checks, later, are sent beside the stream, within the same bound on requests in flight).
const PATTERN = [
  "sandbox-sms", "sandbox-email", "normal-sms", "normal-email", "replay", "verify",
  "sandbox-sms", "sandbox-email", "deprecated-sms", "normal-email", "duplicate-sms", "verify",
  "sandbox-sms", "sandbox-email", "normal-sms", "normal-email", "replay", "duplicate-email", "verify",
];

async function drive(service, token) {
  const base = service.baseUrl;
  const inflight = new Set();
  const startedAt = Date.now();
  const endAt = () => startedAt + SECONDS * 1000 + crash.downtimeMs;
  let crashed = null;
  const crashTimer = flags.crash
    ? setTimeout(() => (crashed = crashAndRecover(service, token).catch((error) => stats.unexpected.push(`crash: ${error?.stack ?? error}`))), SECONDS * 500)
    : null;
  let nextAt = Date.now();
  for (let i = 0; Date.now() < endAt() || (flags.crash && crash.count === 0); i++) {
    const kind = PATTERN[i % PATTERN.length];
    const cost = kind.startsWith("duplicate") ? 5 : 1;
    if (crash.down) {
      await crash.down;
      nextAt = Date.now();
    }
    await limiter.acquire(cost);
    const task =
      kind === "replay" ? replayOne(base, token)
      : kind === "duplicate-sms" ? duplicateBurst(base, token, "sms")
      : kind === "duplicate-email" ? duplicateBurst(base, token, "email")
      : kind === "verify" ? startVerification(base, token)
      : registerOne(base, token, kind);
    const tracked = task
      .catch((error) => stats.unexpected.push(`${kind}: ${error?.stack ?? error}`))
      .finally(() => {
        limiter.release(cost);
        inflight.delete(tracked);
      });
    inflight.add(tracked);
    nextAt += (1000 / RATE) * cost;
    const wait = nextAt - Date.now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(inflight);
  clearTimeout(crashTimer);
  await crashed;
  while (verificationFlows.size > 0) await Promise.all([...verificationFlows]);
}

// ── Verifications (issue 28) ──────────────────────────────────────────────────────────────────
//
// A share of the stream starts verifications with 10-digit codes, cycling through VERIFY_KINDS. Each
// one's code is read from the simulator's outbox (scripts/lib/outbox-reader.mjs), as a developer reads
// it; then the kind's checks are sent in order, each the right code or a wrong one. At the end each
// verification's state (GET) must be what its checks explain (scripts/lib/verification-outcomes.mjs),
// and no code may be found at rest outside the simulator. Those left pending have the shortest
// lifetime, 60 s, which the wait for +4740000005's SMS deadline covers.
const VERIFY_PATHS = { sms: `${API}/future/verifications/sms`, email: `${API}/future/verifications/email` };
const VERIFY_CODE_LENGTH = 10;
const VERIFY_TTL_SHORT = 60; // the minimum: for those left to expire
const VERIFY_TTL = 120;
const VERIFY_DEFAULT_MAX_ATTEMPTS = 5;
const CODE_WAIT_MS = 60_000; // after a crash, a message in doubt is handed over once the service is back
const VERIFY_KINDS = [
  { name: "right", channel: "sms", checks: ["right"], ttl: VERIFY_TTL, expected: "approved" },
  { name: "wrong, left to expire", channel: "sms", checks: ["wrong"], ttl: VERIFY_TTL_SHORT, expected: "expired" },
  { name: "wrong twice, then right", channel: "sms", checks: ["wrong", "wrong", "right"], ttl: VERIFY_TTL, expected: "approved" },
  { name: "wrong up to maxAttempts 3, then right", channel: "sms", checks: ["wrong", "wrong", "wrong", "right"], maxAttempts: 3, ttl: VERIFY_TTL, expected: "max_attempts" },
  { name: "left to expire", channel: "sms", checks: [], ttl: VERIFY_TTL_SHORT, expected: "expired" },
  { name: "email, right twice", channel: "email", checks: ["right", "right"], ttl: VERIFY_TTL, expected: "approved" },
];

const verifications = new Map(); // verificationId → { spec, maxAttempts, expiresAt, shipmentId, code, checks, beforeRestart }
const verificationCodes = new Set(); // the codes read from the outbox: the leak scan looks for them too
const verificationFlows = new Set(); // what each verification does after its start
let outbox = null;

/** A new verification of the next kind: its request, and its first message as an order to follow. */
function newVerification() {
  const spec = VERIFY_KINDS[sequenceOf("verify") % VERIFY_KINDS.length];
  const n = ++sequence;
  const idempotencyId = `soak-verify-${crypto.randomUUID()}`;
  const sendersReference = `soak-verify-${n}`;
  const { recipient, group } = pick(`verify-${spec.channel}`, [], spec.channel === "sms" ? NORMAL_SMS : NORMAL_EMAIL);
  const common = { idempotencyId, sendersReference, timeToLiveInSeconds: spec.ttl, codeLength: VERIFY_CODE_LENGTH, ...(spec.maxAttempts ? { maxAttempts: spec.maxAttempts } : {}) };
  const body =
    spec.channel === "sms"
      ? { ...common, phoneNumber: recipient, ...(n % 2 ? { sender: "Altinn" } : {}), message: "Your soak code is {code}. Do not share it." }
      : { ...common, emailAddress: recipient, subject: "Your code", body: "Your soak code is {code}.", contentType: "Plain", senderEmailAddress: "noreply@example.com" };
  const expected = { status: spec.channel === "sms" ? "SMS_Delivered" : "Email_Delivered", handover: true };
  return {
    spec,
    order: { kind: "verify", channel: spec.channel, recipient, group: `verification ${group}`, code: null, path: VERIFY_PATHS[spec.channel], body: JSON.stringify(body), expected, deprecated: false },
  };
}

/** Starts a verification (a lost answer is asked again, the same key and body, once the service is back), then follows it. */
async function startVerification(base, token) {
  const { spec, order } = newVerification();
  let response = await post(base, token, order.path, order.body);
  if (response.lost) {
    stats.replayedLost++;
    response = await postUntilAnswered(base, token, order.path, order.body);
    if (!answeredAsSameRequest(response)) {
      stats.replayMismatches++;
      return unexpected(`verification start after the crash (${spec.name})`, response);
    }
  } else if (response.status !== 201) return unexpected(`verification start (${spec.name}) ${order.recipient}`, response);
  // Its first message is a shipment like any other (final, handed over once, replayed as any registration).
  const entry = orders.get(shipmentIdOf(response.text)) ?? remember(order, response);
  const { verificationId, expiresAt } = JSON.parse(response.text);
  const record = { spec, maxAttempts: spec.maxAttempts ?? VERIFY_DEFAULT_MAX_ATTEMPTS, expiresAt, shipmentId: entry.shipmentId, code: null, checks: [], entry, beforeRestart: entry.beforeRestart };
  verifications.set(verificationId, record);
  const flow = checkVerification(base, token, verificationId, record)
    .catch((error) => stats.unexpected.push(`verification ${verificationId}: ${error?.stack ?? error}`))
    .finally(() => verificationFlows.delete(flow));
  verificationFlows.add(flow);
}

/** Reads the code from the outbox, then sends the kind's checks in order (each within the bound on requests in flight). */
async function checkVerification(base, token, verificationId, record) {
  const code = await outbox.codeOf(record.shipmentId, CODE_WAIT_MS);
  if (code === null) return; // counted at the end (verifications_without_code)
  record.code = code;
  record.entry.code = code;
  verificationCodes.add(code);
  for (const which of record.spec.checks) {
    const sent = which === "right" ? code : wrongCodeFor(code);
    if (crash.down) await crash.down;
    await limiter.acquire(1);
    try {
      const response = await post(base, token, `${API}/future/verifications/${verificationId}/check`, JSON.stringify({ code: sent }));
      const answer = parsedOrEmpty(response.text);
      // A 410 is a problem whose verification status may stand beside the HTTP status (`status` is a number there).
      const status = typeof answer.status === "string" ? answer.status : answer.verificationStatus;
      record.checks.push({ right: which === "right", http: response.status, status, attemptsLeft: answer.attemptsLeft });
    } finally {
      limiter.release(1);
    }
  }
}

/** Another code of the same length. */
function wrongCodeFor(code) {
  for (;;) {
    const wrong = digits(code.length);
    if (wrong !== code) return wrong;
  }
}

function parsedOrEmpty(text) {
  try {
    return JSON.parse(text) ?? {};
  } catch {
    return {};
  }
}

// ── Checks ────────────────────────────────────────────────────────────────────────────────────

async function getJson(url, token) {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function waitFinal(base) {
  // After a crash an ordinary SMS left in doubt ends only at its deadline (TTL 120 s) + grace: wait for it.
  const ttl = crash.count > 0 ? SMS_TTL_NORMAL : SMS_TTL_SHORT;
  const deadline = lastRegistrationAt + (ttl + GRACE_SECONDS + MARGIN_SECONDS) * 1000;
  note(`soak: waiting until every shipment is final (at most ${Math.round((deadline - Date.now()) / 1000)} s; SMS TTL ${ttl} s + grace ${GRACE_SECONDS} s)…`);
  let lastNote = 0;
  for (;;) {
    const rows = await getJson(`${base}/bench/shipments?org=${ORG}`);
    const open = rows.filter((r) => r.status !== "Order_Completed");
    if (open.length === 0 || Date.now() > deadline) return rows;
    if (Date.now() - lastNote > 10_000) {
      lastNote = Date.now();
      note(`soak: ${open.length} of ${rows.length} not final yet (${[...new Set(open.map((r) => orders.get(r.shipment_id)?.group ?? "?"))].join(", ")})`);
    }
    await sleep(1000);
  }
}

/** Reads the API's own view of every shipment (8 at a time); counts disagreements with D1's view. */
async function readAll(base, token, rowsById) {
  let mismatches = 0;
  const ids = [...orders.keys()];
  for (let i = 0; i < ids.length; i += CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + CONCURRENCY).map(async (id) => {
        const res = await fetch(`${base}${API}/future/shipment/${id}`, { headers: { authorization: `Bearer ${token}` } });
        if (res.status >= 500) stats.errors5xx++;
        const view = res.ok ? await res.json() : null;
        if (!view || view.status !== rowsById.get(id)?.status || view.recipients?.[0]?.status !== rowsById.get(id)?.recipient_status) mismatches++;
      }),
    );
  }
  return mismatches;
}

/**
 * Reads GET /future/stats over the days of the run and compares it with the soak's own counts, per channel:
 * shipments registered, handed over (the simulator's record), delivered, failed by final status, pending.
 * Returns the fields that differ ("sms.delivered 41≠40") and the service's share handed over within 10 s.
 */
async function checkStats(base, token, rowsById, handedOver, started) {
  const day = (t) => new Date(t).toISOString().slice(0, 10);
  const stats = await getJson(`${base}${API}/future/stats?from=${day(started)}&to=${day(Date.now())}`, token);
  const mismatches = [];
  for (const channel of ["sms", "email"]) {
    const mine = { registered: 0, handedOver: 0, delivered: 0, pending: 0, failed: {} };
    for (const o of orders.values()) {
      if (o.channel !== channel) continue;
      mine.registered++;
      if (handedOver.has(o.shipmentId)) mine.handedOver++;
      const row = rowsById.get(o.shipmentId);
      if (row?.status !== "Order_Completed") mine.pending++;
      else if (row.recipient_status.endsWith("_Delivered")) mine.delivered++;
      else mine.failed[row.recipient_status] = (mine.failed[row.recipient_status] ?? 0) + 1;
    }
    const days = stats.days.filter((d) => d.channel === channel);
    const theirs = { registered: 0, handedOver: 0, delivered: 0, pending: 0, failed: {} };
    for (const d of days) {
      for (const field of ["registered", "handedOver", "delivered", "pending"]) theirs[field] += d[field];
      for (const [status, n] of Object.entries(d.failed)) theirs.failed[status] = (theirs.failed[status] ?? 0) + n;
    }
    for (const field of ["registered", "handedOver", "delivered", "pending"]) {
      if (mine[field] !== theirs[field]) mismatches.push(`${channel}.${field} ${theirs[field]}≠${mine[field]}`);
    }
    for (const status of new Set([...Object.keys(mine.failed), ...Object.keys(theirs.failed)])) {
      if ((mine.failed[status] ?? 0) !== (theirs.failed[status] ?? 0)) mismatches.push(`${channel}.failed.${status} ${theirs.failed[status] ?? 0}≠${mine.failed[status] ?? 0}`);
    }
  }
  const t = stats.totals;
  const denominator = t.registered - t.failedForRecipientBeforeHandOver;
  const within10sPercent = denominator > 0 ? Number(((100 * t.handedOverWithin10s) / denominator).toFixed(2)) : null;
  return { mismatches, within10sPercent };
}

/**
 * Reads every verification (GET, 8 at a time) until none is pending, waiting for those left to expire
 * (bounded: the latest `expiresAt` of those still pending, plus 15 s). Returns the views by id (null:
 * not readable).
 */
async function waitVerificationsFinal(base, token) {
  const views = new Map();
  let pending = [...verifications.keys()];
  for (;;) {
    const still = [];
    for (let i = 0; i < pending.length; i += CONCURRENCY) {
      await Promise.all(
        pending.slice(i, i + CONCURRENCY).map(async (id) => {
          const res = await fetch(`${base}${API}/future/verifications/${id}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
          if (res.status >= 500) stats.errors5xx++;
          const view = res.ok ? await res.json() : (await res.arrayBuffer(), null);
          views.set(id, view);
          if (view?.status === "pending") still.push(id);
        }),
      );
    }
    pending = still;
    const deadline = Math.max(0, ...pending.map((id) => Date.parse(verifications.get(id).expiresAt))) + 15_000;
    if (pending.length === 0 || Date.now() > deadline) return views;
    note(`soak: ${pending.length} verifications still pending; waiting for them to expire (at most ${Math.round((deadline - Date.now()) / 1000)} s)…`);
    await sleep(2000);
  }
}

/**
 * GET /future/stats's verification counts per channel (started, approved, expired, maxAttempts) against
 * the soak's own, from its verifications' final states: the same once written behind (polled, at most
 * 15 s). Returns the fields that differ ("sms.verifications.approved 16≠17").
 */
async function checkVerificationStats(base, token, views, started) {
  const FIELDS = ["started", "approved", "expired", "maxAttempts"];
  const END_FIELD = { approved: "approved", expired: "expired", max_attempts: "maxAttempts" };
  const zero = () => Object.fromEntries(FIELDS.map((f) => [f, 0]));
  const mine = { sms: zero(), email: zero() };
  for (const [id, record] of verifications) {
    mine[record.spec.channel].started++;
    const end = END_FIELD[views.get(id)?.status];
    if (end) mine[record.spec.channel][end]++;
  }
  const day = (t) => new Date(t).toISOString().slice(0, 10);
  const until = Date.now() + 15_000;
  for (;;) {
    const stats = await getJson(`${base}${API}/future/stats?from=${day(started)}&to=${day(Date.now())}`, token);
    const mismatches = [];
    for (const channel of ["sms", "email"]) {
      const theirs = zero();
      for (const d of stats.days.filter((d) => d.channel === channel)) for (const f of FIELDS) theirs[f] += d.verifications?.[f] ?? 0;
      for (const f of FIELDS) if (theirs[f] !== mine[channel][f]) mismatches.push(`${channel}.verifications.${f} ${theirs[f]}≠${mine[channel][f]}`);
    }
    if (mismatches.length === 0 || Date.now() > until) return mismatches;
    await sleep(1000);
  }
}

/** What is wrong with each verification: its final state against its checks, its view against its start. */
function judgeVerifications(views) {
  const judged = [];
  for (const [id, record] of verifications) {
    const view = views.get(id) ?? null;
    const problems = verificationProblems(view, record.checks, record.maxAttempts);
    if (view && view.shipments?.[0]?.shipmentId !== record.shipmentId) problems.push(`its first message is ${view.shipments?.[0]?.shipmentId}, the 201 said ${record.shipmentId}`);
    if (view && view.channel !== record.spec.channel) problems.push(`channel ${view.channel}, started on ${record.spec.channel}`);
    judged.push({ id, record, view, problems });
  }
  return judged;
}

/**
 * Which of the codes occur in the given files as a digit run of their own (not inside hex or longer
 * numbers): the orders' 8-digit codes and the verifications' 10-digit ones alike.
 */
function codesIn(files, codes = usedCodes) {
  const found = new Map(); // code → first file
  if (codes.size === 0) return found;
  for (const { path, bytes } of files) {
    const text = bytes.toString("latin1");
    for (const m of text.matchAll(/(?<![0-9A-Fa-f])[0-9]+(?![0-9A-Fa-f])/g)) {
      if (codes.has(m[0]) && !found.has(m[0])) found.set(m[0], path);
    }
  }
  return found;
}

/**
 * Canaries: a code in a sendersReference (which D1 stores) and one in a request path (which the log
 * shows). The scan must find both, or it is blind and its "no leak" means nothing.
 */
async function plantCanaries(base, token) {
  const d1Canary = newCode(canaries);
  const order = newOrder("normal-sms");
  const body = JSON.parse(order.body);
  body.sendersReference = `canary-${d1Canary}-x`;
  order.body = JSON.stringify(body);
  const response = await post(base, token, order.path, order.body);
  if (response.status !== 201) unexpected("canary registration", response);
  else remember(order, response);
  const logCanary = newCode(canaries);
  await fetch(`${base}/soak-canary/${logCanary}/x`).then((r) => r.arrayBuffer());
  return { d1Canary, logCanary };
}

/**
 * The verifications' codes at rest after the end. None may be in D1's files, the logs or any Durable
 * Object's files but the simulator's (whose outbox keeps what it "sent"); those in the verification
 * objects' and the order objects' files are counted apart too. The codes the outbox still lists must be
 * found in the simulator's files, or the scan cannot read the Durable Objects' files.
 */
function scanVerificationCodes({ d1Files, logFiles, doFiles }, outboxMessages) {
  // A code that is also a drawn recipient's digits would be found for that alone (about 1 in 10^10 a pair).
  const codes = new Set([...verificationCodes].filter((code) => !drawnRecipients.some((r) => r.includes(code))));
  const isSimulator = (f) => /ProviderSimulator/.test(f.path);
  const verificationFiles = doFiles.filter((f) => /VerificationObject/.test(f.path));
  const d1 = codesIn(d1Files, codes);
  const logs = codesIn(logFiles, codes);
  const objects = codesIn(doFiles.filter((f) => !isSimulator(f)), codes);
  const listed = new Set(outboxMessages.map((m) => codeIn(m.text ?? m.body)).filter((code) => code !== null && codes.has(code)));
  return {
    codes: codes.size,
    leaked: new Map([...objects, ...logs, ...d1]), // code → a file it is in
    d1: d1.size,
    logs: logs.size,
    objects: objects.size,
    inVerificationObjects: codesIn(verificationFiles, codes).size,
    inOrderObjects: codesIn(doFiles.filter((f) => /OrderObject/.test(f.path)), codes).size,
    verificationObjectFiles: verificationFiles.length,
    listedInOutbox: listed.size,
    foundInSimulator: codesIn(doFiles.filter(isSimulator), listed).size,
  };
}

/** The verifications' final states, by kind, and those their checks do not explain. */
function summariseVerifications(judged) {
  const finals = { approved: 0, expired: 0, max_attempts: 0 };
  const byKind = new Map();
  const sum = { notFinal: 0, unexplained: 0, checks: 0, withoutCode: 0, beforeCrash: 0, beforeCrashUnexplained: 0 };
  for (const { record, view, problems } of judged) {
    const status = view?.status ?? "unreadable";
    if (status in finals) finals[status]++;
    else sum.notFinal++;
    if (problems.length > 0) sum.unexplained++;
    if (record.code === null) sum.withoutCode++;
    sum.checks += record.checks.length;
    if (crash.count > 0 && record.beforeRestart) {
      sum.beforeCrash++;
      if (problems.length > 0) sum.beforeCrashUnexplained++;
    }
    const kind = byKind.get(record.spec.name) ?? { spec: record.spec, n: 0, statuses: new Map(), unexplained: 0 };
    kind.n++;
    kind.statuses.set(status, (kind.statuses.get(status) ?? 0) + 1);
    if (problems.length > 0) kind.unexplained++;
    byKind.set(record.spec.name, kind);
  }
  return { finals, ...sum, byKind, unexplainedExamples: judged.filter((j) => j.problems.length > 0).slice(0, 10) };
}

async function main() {
  note(`soak: starting the service (bench build, simulator report delay ${REPORT_DELAY_MS} ms, SMS grace ${GRACE_SECONDS} s)…`);
  const service = await startService({
    vars: { SIMULATOR_REPORT_DELAY_MS: String(REPORT_DELAY_MS), SMS_REPORT_GRACE_SECONDS: String(GRACE_SECONDS) },
    label: "soak",
    keep: flags.keep,
    port: flags.port || undefined,
  });
  const rss = startRssSampler(() => service.pgids);
  const base = service.baseUrl;
  let halted = false;
  try {
    const token = await makeToken(ORG);
    note(`soak: ${SECONDS} s of mixed traffic at ≤ ${RATE} requests/s, ≤ ${CONCURRENCY} in flight, against ${base}…`);
    const started = Date.now();
    const { d1Canary, logCanary } = await plantCanaries(base, token);
    outbox = startOutboxReader(base, { pollMs: 1000 });
    await drive(service, token);
    note(`soak: sent ${stats.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; ${orders.size} shipments registered`);

    const rows = await waitFinal(base);
    const rowsById = new Map(rows.map((r) => [r.shipment_id, r]));
    const handovers = await getJson(`${base}/simulator/handovers`);
    const readMismatches = await readAll(base, token, rowsById);
    const statsCheck = await checkStats(base, token, rowsById, new Set(Object.keys(handovers.times)), started);
    const verificationViews = await waitVerificationsFinal(base, token);
    const judgedVerifications = judgeVerifications(verificationViews);
    const verificationStatsMismatches = await checkVerificationStats(base, token, verificationViews, started);
    await outbox.stop();
    // The verifications' codes the simulator's outbox still lists: the scan must find them in its files.
    const outboxAtEnd = await getJson(`${base}/bench/outbox`);

    const notFinal = rows.filter((r) => r.status !== "Order_Completed");
    const expectedHandover = new Set([...orders.values()].filter((o) => o.expected.handover).map((o) => o.shipmentId));
    const handedOver = new Set(Object.keys(handovers.times));
    const handoverSetMismatch =
      [...expectedHandover].filter((id) => !handedOver.has(id)).length + [...handedOver].filter((id) => !expectedHandover.has(id)).length;
    const wrongStatus = [...orders.values()].filter((o) => {
      const row = rowsById.get(o.shipmentId);
      return row && row.status === "Order_Completed" && row.recipient_status !== o.expected.status;
    });
    // Shipments that ended otherwise than the sandbox says and that the crash could have touched.
    const lostToCrash = wrongStatus.filter((o) => crash.count > 0 && (o.beforeRestart || o.lostInCrash));
    const missingInD1 = [...orders.keys()].filter((id) => !rowsById.has(id)).length;
    const unknownInD1 = rows.filter((r) => !orders.has(r.shipment_id)).length;

    // By recipient (normal ones by pattern): what was sent and what became of it.
    const byRecipient = new Map();
    for (const o of orders.values()) {
      const row = rowsById.get(o.shipmentId);
      const key = o.group;
      const entry = byRecipient.get(key) ?? { channel: o.channel, expected: o.expected.status, n: 0, final: 0, statuses: new Map() };
      entry.n++;
      if (row?.status === "Order_Completed") entry.final++;
      const s = row?.recipient_status ?? "missing";
      entry.statuses.set(s, (entry.statuses.get(s) ?? 0) + 1);
      byRecipient.set(key, entry);
    }

    // Stop the service (its logs are complete and its files closed), then look for the codes.
    const peak = rss.stop();
    await service.halt();
    halted = true;
    const d1Files = readFilesUnder(join(service.persistDir, "v3", "d1"));
    const logFiles = [
      ...readFilesUnder(service.workDir).filter((f) => f.path.endsWith(".log") || f.path.includes("wrangler-logs")),
    ];
    const doFiles = readFilesUnder(join(service.persistDir, "v3", "do"));
    const leakedD1 = codesIn(d1Files);
    const leakedLogs = codesIn(logFiles);
    const leaked = new Set([...leakedD1.keys(), ...leakedLogs.keys()]);
    const leakedDo = codesIn(doFiles); // informational: the order object holds the body until the hand-over is final
    // Of those, the ones in the order objects' own files (the rest: the local simulator's outbox, which keeps what it "sent").
    const leakedOrders = codesIn(doFiles.filter((f) => /OrderObject/.test(f.path)));
    const canariesFound = (codesIn(d1Files, new Set([d1Canary])).size) + (codesIn(logFiles, new Set([logCanary])).size);
    const verificationScan = scanVerificationCodes({ d1Files, logFiles, doFiles }, outboxAtEnd.messages);
    const verificationSummary = summariseVerifications(judgedVerifications);

    const result = {
      shipments: rows.length,
      final: rows.length - notFinal.length,
      handovers: handovers.handovers,
      duplicate_handovers: handovers.duplicateHandovers,
      not_final: notFinal.length,
      errors_5xx: stats.errors5xx,
      body_leaks: leaked.size,
      expected_handovers: expectedHandover.size,
      handover_set_mismatches: handoverSetMismatch,
      unexpected_status: wrongStatus.length,
      unexpected_responses: stats.unexpected.length,
      request_errors: stats.requestErrors,
      replays: stats.replays,
      replay_mismatches: stats.replayMismatches,
      duplicate_bursts: stats.duplicateBursts,
      duplicate_mismatches: stats.duplicateMismatches,
      read_mismatches: readMismatches,
      missing_in_d1: missingInD1,
      unknown_in_d1: unknownInD1,
      requests: stats.requests,
      codes: usedCodes.size,
      scan_canaries_found: canariesFound,
      do_storage_codes: leakedDo.size,
      order_storage_codes: leakedOrders.size,
      peak_rss_mb: Number(peak.peakMb.toFixed(1)),
      seconds: SECONDS,
      crashes: crash.count,
      lost_to_crash: lostToCrash.length,
      lost_answers: stats.lostAnswers,
      replayed_lost: stats.replayedLost,
      replayed_after_crash: stats.replayedAfterCrash,
      crash_downtime_s: Number((crash.downtimeMs / 1000).toFixed(1)),
      stats_mismatches: statsCheck.mismatches.length,
      handed_over_within_10s_percent: statsCheck.within10sPercent,
      verifications: verifications.size,
      verification_checks: verificationSummary.checks,
      verifications_approved: verificationSummary.finals.approved,
      verifications_expired: verificationSummary.finals.expired,
      verifications_max_attempts: verificationSummary.finals.max_attempts,
      verifications_not_final: verificationSummary.notFinal,
      verifications_unexplained: verificationSummary.unexplained,
      verifications_without_code: verificationSummary.withoutCode,
      verifications_before_crash: verificationSummary.beforeCrash,
      verification_codes: verificationScan.codes,
      verification_code_leaks: verificationScan.leaked.size,
      verification_storage_codes: verificationScan.inVerificationObjects,
      verification_order_storage_codes: verificationScan.inOrderObjects,
      verification_object_files: verificationScan.verificationObjectFiles,
      verification_codes_in_outbox: verificationScan.listedInOutbox,
      verification_codes_found_in_simulator: verificationScan.foundInSimulator,
      outbox_missed: outbox.missed(),
      verification_stats_mismatches: verificationStatsMismatches.length,
    };
    const failures = [
      result.not_final > 0 && `${result.not_final} shipments not final`,
      result.duplicate_handovers > 0 && `${result.duplicate_handovers} duplicate hand-overs`,
      result.errors_5xx > 0 && `${result.errors_5xx} 5xx answers`,
      flags.crash && result.crashes < 1 && `the service was never crashed`,
      result.replay_mismatches > 0 && `${result.replay_mismatches} replays answered otherwise than the original (or as a different request)`,
      result.lost_to_crash > 0 && `${result.lost_to_crash} shipments lost to the crash (e.g. ${lostToCrash[0].group} ${lostToCrash[0].shipmentId}: ${rowsById.get(lostToCrash[0].shipmentId)?.recipient_status})`,
      result.body_leaks > 0 && `${result.body_leaks} codes found (D1: ${leakedD1.size}, logs: ${leakedLogs.size}; e.g. in ${[...leakedD1.values(), ...leakedLogs.values()][0]})`,
      result.handovers !== result.expected_handovers && `${result.handovers} hand-overs, expected ${result.expected_handovers}`,
      result.handover_set_mismatches > 0 && `${result.handover_set_mismatches} shipments handed over that should not be, or not handed over that should`,
      result.unexpected_status > 0 && `${result.unexpected_status} shipments with another final status than the sandbox table's`,
      result.unexpected_responses > 0 && `${result.unexpected_responses} unexpected answers`,
      result.request_errors > 0 && `${result.request_errors} requests failed (network/timeout)`,
      result.read_mismatches > 0 && `${result.read_mismatches} shipments where GET …/shipment/{id} disagrees with D1`,
      result.stats_mismatches > 0 && `GET …/future/stats disagrees with the soak's own counts: ${statsCheck.mismatches.slice(0, 5).join(", ")}`,
      canariesFound !== 2 && `the leak scan found ${canariesFound} of its 2 canaries: it cannot see what it scans`,
      result.missing_in_d1 + result.unknown_in_d1 > 0 && `${result.missing_in_d1} answered shipments missing in D1, ${result.unknown_in_d1} unknown shipments in D1`,
      result.verifications === 0 && `no verification was started`,
      result.verification_stats_mismatches > 0 && `GET …/future/stats's verification counts disagree with the soak's own: ${verificationStatsMismatches.slice(0, 5).join(", ")}`,
      result.verifications_not_final > 0 && `${result.verifications_not_final} verifications not final`,
      result.verifications_unexplained > 0 &&
        `${result.verifications_unexplained} verifications in a state their checks do not explain (e.g. ${verificationSummary.unexplainedExamples[0].id}: ${verificationSummary.unexplainedExamples[0].problems.join("; ")})`,
      result.verifications_without_code > 0 && `${result.verifications_without_code} verifications whose code never reached the outbox`,
      result.verification_code_leaks > 0 &&
        `${result.verification_code_leaks} verification codes found at rest (D1: ${verificationScan.d1}, logs: ${verificationScan.logs}, Durable Objects but the simulator: ` +
          `${verificationScan.objects}, of which verification objects ${verificationScan.inVerificationObjects}, order objects ${verificationScan.inOrderObjects}; e.g. in ${[...verificationScan.leaked.values()][0]})`,
      result.verifications > 0 && result.verification_object_files === 0 && `the scan found no verification object's files: it cannot see what it scans`,
      result.verification_codes_found_in_simulator < result.verification_codes_in_outbox &&
        `the scan found ${result.verification_codes_found_in_simulator} of the ${result.verification_codes_in_outbox} codes the outbox lists in the simulator's files: it cannot see the Durable Objects' files`,
    ].filter(Boolean);

    const table = markdownTable(
      ["Recipients", "Channel", "Sent", "Final", "Expected status", "Got"],
      [...byRecipient.entries()].map(([recipient, e]) => [
        recipient,
        e.channel,
        e.n,
        e.final,
        e.expected,
        [...e.statuses.entries()].map(([s, n]) => (s === e.expected ? `${n} ✓` : `${n} ${s} ✗`)).join(", "),
      ]),
    );
    const lines = [
      `## npm run soak -- --seconds ${SECONDS}${flags.crash ? " --crash" : ""}`,
      ``,
      `${stats.requests} requests (${Object.entries(stats.byStatus).map(([s, n]) => `${n}× ${s}`).join(", ")}) at ≤ ${RATE}/s, ≤ ${CONCURRENCY} in flight; ` +
        `${orders.size} shipments, ${stats.replays} replays, ${stats.duplicateBursts} bursts of 5 duplicates.` +
        (crash.count > 0
          ? ` Crashed ${crash.count}× (SIGKILL to the process group, down ${result.crash_downtime_s} s): ${stats.lostAnswers} answers lost and ` +
            `${stats.replayedLost} requests replayed after the restart, ${stats.replayedAfterCrash} earlier registrations replayed; ` +
            `${stats.replayMismatches} replay mismatches, ${lostToCrash.length} shipments lost to the crash.`
          : ""),
      ``,
      table,
      ``,
      markdownTable(
        ["Verifications", "Channel", "Started", "Checks sent", "Expected", "Got (GET)", "Unexplained"],
        [...verificationSummary.byKind.values()].map((k) => [
          k.spec.name,
          k.spec.channel,
          k.n,
          k.spec.checks.join(", ") || "none",
          k.spec.expected,
          [...k.statuses.entries()].map(([status, n]) => (status === k.spec.expected ? `${n} ✓` : `${n} ${status} ✗`)).join(", "),
          k.unexplained,
        ]),
      ),
      ``,
      `Verifications: ${result.verifications} started (codeLength ${VERIFY_CODE_LENGTH}), ${result.verification_checks} checks; ` +
        `${result.verifications_approved} approved, ${result.verifications_expired} expired, ${result.verifications_max_attempts} max_attempts, ` +
        `${result.verifications_not_final} not final, ${result.verifications_unexplained} unexplained by their checks, ${result.verifications_without_code} without a code in the outbox` +
        (crash.count > 0 ? `; ${result.verifications_before_crash} started before the restart, ${verificationSummary.beforeCrashUnexplained} of them unexplained` : "") +
        `. Their codes at rest after the end: ${result.verification_code_leaks} of ${result.verification_codes} in D1, the logs or a Durable Object's files but the simulator's ` +
        `(verification objects: ${result.verification_storage_codes} in ${result.verification_object_files} files; order objects: ${result.verification_order_storage_codes}); ` +
        `the scan found ${result.verification_codes_found_in_simulator} of the ${result.verification_codes_in_outbox} the outbox still lists in the simulator's files. ` +
        `Outbox messages passed unseen between reads: ${result.outbox_missed}. ` +
        `GET /future/stats's verification counts against the soak's own: ${result.verification_stats_mismatches} differences` +
        (verificationStatsMismatches.length > 0 ? ` (${verificationStatsMismatches.slice(0, 5).join(", ")})` : "") + `.`,
      ...verificationSummary.unexplainedExamples.map((j) => `  unexplained: ${j.record.spec.name} ${j.id} (${j.view?.status ?? "unreadable"}): ${j.problems.join("; ")}`),
      ``,
      `Hand-overs ${result.handovers} (expected ${result.expected_handovers}), duplicate hand-overs ${result.duplicate_handovers}; ` +
        `final ${result.final} of ${result.shipments}; 5xx ${result.errors_5xx}; codes found in D1 files or logs: ${result.body_leaks} of ${usedCodes.size} ` +
        `(the scan found ${canariesFound} of 2 canaries planted in D1 and the log). ` +
        `Peak workerd RSS ${result.peak_rss_mb} MB.`,
      `(Informational, not a check: ${leakedDo.size} of the codes are still readable in the Durable Objects' SQLite files, ${leakedOrders.size} of them in the order objects' (the rest in the simulator's outbox)` +
        (leakedDo.size > 0 ? `, sent to ${countBy([...orders.values()].filter((o) => leakedDo.has(o.code)).map((o) => o.group))}` : "") + `.)`,
      ...stats.unexpected.slice(0, 10).map((u) => `  unexpected: ${u}`),
      ...wrongStatus.slice(0, 10).map((o) => `  wrong status: ${o.recipient} ${o.shipmentId}: ${rowsById.get(o.shipmentId)?.recipient_status}, expected ${o.expected.status}`),
      ...notFinal.slice(0, 10).map((r) => `  not final: ${orders.get(r.shipment_id)?.recipient ?? "?"} ${r.shipment_id}: ${r.status}/${r.recipient_status}`),
      failures.length === 0 ? `PASS: every check holds.` : `FAIL: ${failures.join("; ")}.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n${JSON.stringify(result)}\n`);
    if (failures.length > 0) process.exitCode = 1;
  } catch (error) {
    note(`soak: failed: ${error?.stack ?? error}${error?.cause ? `\ncause: ${error.cause}` : ""}\n--- service log (tail) ---\n${service.tail()}`);
    process.exitCode = 1;
  } finally {
    rss.stop();
    await outbox?.stop();
    if (!halted) await service.halt();
    await service.stop();
  }
}

try {
  await main();
} catch (error) {
  note(`soak: failed: ${error?.stack ?? error}${error?.cause ? `\ncause: ${error.cause}` : ""}`);
  process.exitCode = 1;
} finally {
  await stopAllGroups();
}
