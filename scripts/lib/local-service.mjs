// Runs the service locally for the benchmark and the soak: the same workerd `wrangler dev` uses, built
// from bench/worker.ts (the service plus bench-only routes) with a configuration generated at run time in
// a fresh temporary directory, with its own --persist-to state, so the developer's .wrangler is untouched.
// Every process started here runs in its own process group, which is killed as a whole on stop, on error,
// on Ctrl-C and at exit.
import { randomBytes } from "node:crypto";
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { experimental_readRawConfig } from "wrangler";
import { buildStatic } from "../build-static.mjs";
import { ensureDevKey, REQUIRED_SCOPE, signDevToken } from "../dev-key.mjs";
import { groupTicks, parseProcStat } from "./figures.mjs";

export { percentile } from "./figures.mjs";
export { markdownTable } from "./markdown.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER_BIN = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const SERVE_LOCAL = join(ROOT, "scripts/lib/serve-local.mjs");
export const BENCH_WORKER = join(ROOT, "bench/worker.ts");
export { REQUIRED_SCOPE };
export const API = "/notifications/api/v1";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

/** Progress goes to stderr, so stdout holds only the results. */
export function note(message) {
  process.stderr.write(`${message}\n`);
}

// ── Process groups ────────────────────────────────────────────────────────────────────────────

/** Process groups started by this run, still to be stopped. */
const groups = new Set();
/** Temporary directories to remove at exit (unless kept). */
const tempDirs = new Set();
let handlersInstalled = false;

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Last resort, synchronous: whatever is still running dies with us.
  process.on("exit", () => {
    for (const pgid of groups) signalGroup(pgid, "SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
    process.on(signal, () => {
      note(`\n${signal}: stopping the processes this run started…`);
      stopAllGroups().finally(() => process.exit(code));
    });
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

/** Processes of a process group, from /proc: live ones, or with `zombies` also those not yet reaped. */
export function groupMembers(pgid, { zombies = false } = {}) {
  const members = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(entry);
    if (stat && stat.pgrp === pgid && (zombies || stat.state !== "Z")) members.push({ pid: Number(entry), comm: stat.comm });
  }
  return members;
}

function readProcStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" "); // state ppid pgrp …
    return { comm, state: fields[0], pgrp: Number(fields[2]) };
  } catch {
    return null; // gone meanwhile
  }
}

async function stopGroup(pgid, graceMs = 8000) {
  if (!groups.has(pgid)) return;
  signalGroup(pgid, "SIGTERM");
  const until = Date.now() + graceMs;
  while (Date.now() < until && groupMembers(pgid).length > 0) await sleep(100);
  const left = groupMembers(pgid);
  if (left.length > 0) {
    note(`(${left.map((m) => `${m.comm}[${m.pid}]`).join(", ")} still running ${graceMs / 1000} s after SIGTERM: SIGKILL)`);
    signalGroup(pgid, "SIGKILL");
    const killUntil = Date.now() + 3000;
    while (Date.now() < killUntil && groupMembers(pgid).length > 0) await sleep(50);
  }
  // Dead children of a dead parent are reaped by init; give it a moment, so nothing is left listed.
  const reapUntil = Date.now() + 5000;
  while (Date.now() < reapUntil && groupMembers(pgid, { zombies: true }).length > 0) await sleep(100);
  groups.delete(pgid);
}

export async function stopAllGroups() {
  await Promise.all([...groups].map((pgid) => stopGroup(pgid)));
}

function wranglerEnv(workDir) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: join(workDir, "wrangler-logs"),
    WRANGLER_REGISTRY_PATH: join(workDir, "wrangler-registry"),
    WRANGLER_CI_DISABLE_CONFIG_WATCHING: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
}

/**
 * Starts a command in a process group of its own. Its output is appended to `logFile` and the last lines
 * are kept for error messages.
 */
function spawnGroup(args, { cwd, env, logFile }) {
  installExitHandlers();
  const child = spawn(process.execPath, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  groups.add(child.pid);
  const log = createWriteStream(logFile, { flags: "a" });
  const tail = [];
  // Each line is written with the time it arrived (HH:MM:SS.mmm), to line up the service's log with the load.
  const keeper = () => {
    let partial = "";
    return (chunk) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop();
      const stamp = new Date().toISOString().slice(11, 23);
      for (const line of lines) {
        log.write(`${stamp} ${line}\n`);
        if (line.trim() === "") continue;
        tail.push(line);
        if (tail.length > 60) tail.shift();
      }
    };
  };
  child.stdout.on("data", keeper());
  child.stderr.on("data", keeper());
  const exited = new Promise((resolveExit) => {
    child.on("exit", (code, signal) => resolveExit({ code, signal }));
    child.on("error", (error) => resolveExit({ code: -1, signal: null, error }));
  });
  const closed = exited.then(() => new Promise((r) => log.end(r)));
  return { child, pgid: child.pid, exited, closed, tail };
}

// ── Configuration ─────────────────────────────────────────────────────────────────────────────

/** The development issuer's public JWKS (what `npm start` puts in .dev.vars as AUTH_JWKS). */
export async function publicJwks() {
  const { d: _private, ...publicJwk } = await ensureDevKey();
  return JSON.stringify({ keys: [publicJwk] });
}

/** A bearer token from the development issuer, as `npm run token` makes it. */
export function makeToken(org, { ttlSeconds = 4 * 3600, scope = REQUIRED_SCOPE } = {}) {
  return signDevToken({ org, scope, ttlSeconds });
}

/**
 * The bench configuration: wrangler.toml's top level (the local configuration) with main = the bench
 * worker, the given vars, absolute migrations, and the floors' Durable Objects and queue.
 */
export async function benchConfig(vars = {}) {
  // wrangler's own reader, so the bench sees wrangler.toml exactly as `wrangler dev` does.
  const { rawConfig: base } = await experimental_readRawConfig({ config: join(ROOT, "wrangler.toml") });
  const { env: _environments, ...top } = base;
  // The floor's queue is consumed with the dispatch queue's batching, so its delay is comparable.
  const dispatch = (top.queues?.consumers ?? []).find((c) => c.queue === "sms-dispatch") ?? {};
  // What the bench build meters (bench/do-meter.ts): the service's own Durable Objects (not the
  // simulator, which stands in for a provider) and queue producers.
  const meter = {
    durableObjects: Object.fromEntries(
      (top.durable_objects?.bindings ?? []).filter((b) => b.class_name !== "ProviderSimulator").map((b) => [b.name, b.class_name]),
    ),
    queues: (top.queues?.producers ?? []).map((p) => p.binding),
  };
  return {
    ...top,
    name: `${top.name}-bench`,
    main: BENCH_WORKER,
    vars: {
      ...top.vars,
      AUTH_JWKS: await publicJwks(),
      CONTENT_KEY: randomBytes(32).toString("base64"),
      LIMITS_KEY: randomBytes(32).toString("base64"),
      BENCH_METER: JSON.stringify(meter),
      ...vars,
    },
    durable_objects: {
      ...top.durable_objects,
      bindings: [
        ...(top.durable_objects?.bindings ?? []),
        { name: "FLOOR", class_name: "FloorObject" },
        { name: "ORDER_FLOOR", class_name: "OrderFloorObject" },
      ],
    },
    migrations: [...(top.migrations ?? []), { tag: "bench-v1", new_sqlite_classes: ["FloorObject", "OrderFloorObject"] }],
    // The API reference's files (/docs), from the project's static/ directory.
    ...(top.assets ? { assets: { ...top.assets, directory: resolve(ROOT, top.assets.directory) } } : {}),
    d1_databases: (top.d1_databases ?? []).map((db) => ({
      ...db,
      ...(db.migrations_dir ? { migrations_dir: resolve(ROOT, db.migrations_dir) } : {}),
    })),
    queues: {
      producers: [...(top.queues?.producers ?? []), { binding: "FLOOR_QUEUE", queue: "bench-floor" }],
      consumers: [
        ...(top.queues?.consumers ?? []),
        { queue: "bench-floor", max_batch_size: dispatch.max_batch_size ?? 10, max_batch_timeout: dispatch.max_batch_timeout ?? 0 },
      ],
    },
  };
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// ── The service ───────────────────────────────────────────────────────────────────────────────

/**
 * Generates the config in a fresh temp dir, applies the D1 migrations to a fresh persist dir, starts
 * the service (as `wrangler dev` runs it, without its debugger: serve-local.mjs) on a free loopback
 * port and waits for GET /health.
 * Returns { baseUrl, port, workDir, persistDir, logFile, pgids, stop(), halt(), crash(), restart(), tail() }.
 */
export async function startService({ vars = {}, label = "bench", readyTimeoutMs = 90_000, keep = false, port } = {}) {
  installExitHandlers();
  const workDir = mkdtempSync(join(tmpdir(), `instant-notifications-${label}-`));
  if (!keep) tempDirs.add(workDir);
  const persistDir = join(workDir, "state");
  const logFile = join(workDir, "service.log");
  mkdirSync(persistDir);
  const configFile = join(workDir, "wrangler.json"); // JSON is valid JSONC
  buildStatic();
  writeFileSync(configFile, JSON.stringify(await benchConfig(vars), null, 2) + "\n");
  const env = wranglerEnv(workDir);
  const pgids = [];
  let dev = null;

  /** Starts the service on `port` with this config and state (serve-local.mjs), and waits for GET /health. */
  async function launch(port) {
    // wrangler's startWorker, as `wrangler dev` runs it, without the debugger dev attaches (serve-local.mjs).
    dev = spawnGroup([SERVE_LOCAL, configFile, String(port), persistDir], { cwd: workDir, env, logFile });
    pgids.push(dev.pgid);
    service.port = port;
    service.baseUrl = `http://127.0.0.1:${port}`;

    let exited = null;
    dev.exited.then((r) => (exited = r));
    const until = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exited) throw new Error(`the service exited (${exited.code ?? exited.signal}) before it was ready:\n${dev.tail.join("\n")}`);
      if (Date.now() > until) throw new Error(`the service was not ready after ${readyTimeoutMs} ms:\n${dev.tail.join("\n")}`);
      try {
        const res = await fetch(`${service.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
  }

  const service = {
    workDir,
    persistDir,
    logFile,
    configFile,
    pgids,
    baseUrl: "",
    port: 0,
    tail: () => (dev ? dev.tail.join("\n") : ""),
    async stop() {
      await Promise.all(pgids.map((pgid) => stopGroup(pgid)));
      if (dev) await dev.closed;
      if (!keep) {
        rmSync(workDir, { recursive: true, force: true });
        tempDirs.delete(workDir);
      }
    },
    /** Stops the processes but keeps the files (for the soak's leak scan); call stop() afterwards. */
    async halt() {
      await Promise.all(pgids.map((pgid) => stopGroup(pgid)));
      if (dev) await dev.closed;
    },
    /** Kills the whole service at once (SIGKILL to its process group), as a crash would; the state stays. */
    async crash() {
      const pgid = dev.pgid;
      signalGroup(pgid, "SIGKILL");
      while (groupMembers(pgid, { zombies: true }).length > 0) await sleep(50);
      groups.delete(pgid);
      pgids.splice(pgids.indexOf(pgid), 1);
      await dev.closed;
    },
    /** Starts the service again on the same port, state, configuration (and so CONTENT_KEY). */
    async restart() {
      await launch(service.port);
    },
  };

  async function migrateDatabase(name) {
    const migrate = spawnGroup(
      [WRANGLER_BIN, "d1", "migrations", "apply", name, "--local", "-c", configFile, "--persist-to", persistDir],
      { cwd: workDir, env, logFile: join(workDir, "migrations.log") },
    );
    pgids.push(migrate.pgid);
    let timer;
    const timeout = new Promise((r) => (timer = setTimeout(() => r({ code: "timeout" }), 120_000)));
    const result = await Promise.race([migrate.exited, timeout]);
    clearTimeout(timer);
    if (result.code !== 0) throw new Error(`D1 migrations of ${name} failed (${result.code ?? result.signal}):\n${migrate.tail.join("\n")}`);
    await stopGroup(migrate.pgid); // anything it left behind
    await migrate.closed;
    pgids.splice(pgids.indexOf(migrate.pgid), 1);
  }

  try {
    // Every D1 database of the configuration (one per shard), each with its own migrations.
    const config = JSON.parse(readFileSync(configFile, "utf8"));
    for (const { database_name: name } of config.d1_databases ?? []) await migrateDatabase(name);
    await launch(port ?? (await freePort()));
    return service;
  } catch (error) {
    await service.stop().catch(() => undefined);
    throw error;
  }
}

// ── Resident memory of workerd ────────────────────────────────────────────────────────────────

/**
 * Samples VmRSS of the workerd processes in the given process groups (so: started by this run) every
 * `intervalMs`, and keeps the peak of their sum.
 */
export function startRssSampler(getPgids, intervalMs = 200) {
  let peakKb = 0;
  let samples = 0;
  let foreignMax = 0; // workerd processes someone else started: they share the CPUs with the measurement
  const sample = () => {
    const pgids = new Set(getPgids());
    let sumKb = 0;
    let foreign = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readProcStat(entry);
      if (!stat || stat.state === "Z") continue;
      if (stat.comm !== "workerd" && !isWorkerdCmdline(entry)) continue;
      if (!pgids.has(stat.pgrp)) {
        foreign++;
        continue;
      }
      try {
        const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
        if (m) sumKb += Number(m[1]);
      } catch {
        // gone meanwhile
      }
    }
    samples++;
    if (sumKb > peakKb) peakKb = sumKb;
    if (foreign > foreignMax) foreignMax = foreign;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakMb: peakKb / 1024, samples, foreignMax };
    },
    peakMb: () => peakKb / 1024,
  };
}

function isWorkerdCmdline(pid) {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
    return argv0.endsWith("/workerd") || argv0 === "workerd";
  } catch {
    return false;
  }
}

// ── CPU time of the service's processes ─────────────────────────────────────────────────────

/** CPU ticks (user + system, all threads) by pid of the processes in the given process groups, from /proc. */
export function sampleGroupTicks(pgids) {
  const stats = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.push(parseProcStat(readFileSync(`/proc/${entry}/stat`, "utf8")));
    } catch {
      // gone meanwhile
    }
  }
  return groupTicks(stats, pgids);
}

/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK; 100 on Linux when unknown). */
export function clockTicksPerSecond() {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

// ── Reporting helpers ─────────────────────────────────────────────────────────────────────────

export function machineInfo() {
  let model = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) model = m[1].trim();
  } catch {
    // not Linux
  }
  return { nproc: availableCpus(), model, memGb: totalmem() / 1024 ** 3, node: process.version };
}

function availableCpus() {
  // What `nproc` prints: the CPUs this process may run on.
  try {
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) {
      return m[1].split(",").reduce((n, part) => {
        const [a, b] = part.split("-").map(Number);
        return n + (b === undefined ? 1 : b - a + 1);
      }, 0);
    }
  } catch {
    // not Linux
  }
  return cpus().length;
}


/** Reads every file under `dir` (recursively) as bytes: [{ path, bytes }]. */
export function readFilesUnder(dir) {
  const files = [];
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...readFilesUnder(path));
    else if (entry.isFile()) files.push({ path, bytes: readFileSync(path) });
  }
  return files;
}

export function parseFlags(argv, spec) {
  const values = {};
  for (const [name, def] of Object.entries(spec)) values[name] = def;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1] in spec)) throw new Error(`unknown argument ${arg}; known: ${Object.keys(spec).map((k) => `--${k}`).join(" ")}`);
    const name = m[1];
    if (typeof spec[name] === "boolean") values[name] = m[2] === undefined ? true : m[2] !== "false";
    else {
      const raw = m[2] ?? argv[++i];
      if (raw === undefined) throw new Error(`--${name} needs a value`);
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
      values[name] = n;
    }
  }
  return values;
}
