// npm run bench [-- --seconds 10 --connections 20 --warmup 2 --paced-rate 10 --paced-seconds 10 --jit-warmup 300 --json
//                  --port N --verify-only]
//
// Starts the service locally (the same workerd `wrangler dev` uses; simulator providers) from the bench
// build (bench/worker.ts), drives it over loopback, and prints a markdown table (docs/benchmark.md).
// First, on the fresh service, the paced phases (open loop at --paced-rate per second, the simulator's
// report delay at 1 s): the order floor, registration (metered: Durable Object requests, queue
// operations, rows written, CPU per shipment), registration with the limits on and off alternating,
// registration and the order floor alternating, with every D1 call delayed 150 ms, with a
// status-callback subscription, and with the feed polled, and verification starts alternating with
// registrations, then their checks (metered; scripts/bench/verifications.mjs). Then the saturated
// phases with autocannon (report delay 0): bare, primitive, order floor, register (fresh keys), with the
// limits off, replay (one existing key), get (one shipment), dispatch bursts, sustained dispatch.
// Then the targets, each a ratio within this run, met or not, and the cost per million shipments
// (docs/cost.md). With --json the last line is one JSON object with the figures. --port N starts the
// service on that port (else a free one); --verify-only runs the order floor, the metered registration
// and the verification phase alone and prints their figures as one JSON line.
//
// The phases are in scripts/bench/ (paced.mjs, saturated.mjs, what they share in client.mjs, the flags
// and fixed numbers in settings.mjs); the figures they join and judge in scripts/lib/figures.mjs; the
// report (JSON fields and markdown) is written from those figures alone by scripts/bench/report.mjs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { machineInfo, note, ROOT, startRssSampler, startService, stopAllGroups } from "./lib/local-service.mjs";
import { pacedPhases } from "./bench/paced.mjs";
import { benchFigures, benchMarkdown, verifyOnlyFigures } from "./bench/report.mjs";
import { saturatedPhases } from "./bench/saturated.mjs";
import * as settings from "./bench/settings.mjs";

const { flags, BENCH_LIMITS, NO_LIMITS_ORG, PACED_RATE } = settings;

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
  const service = await startService({ vars, label: "bench", keep: flags.keep, port: flags.port || undefined });
  const rss = startRssSampler(() => service.pgids);
  note(`bench: service ready at ${service.baseUrl} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const base = service.baseUrl;
  try {
    if (flags["verify-only"]) {
      const paced = await pacedPhases(base, service, PACED_RATE, { verifyOnly: true });
      process.stdout.write(`${JSON.stringify(verifyOnlyFigures(paced))}\n`);
      return;
    }
    // Paced (open loop) first, on the fresh service; then the saturated phases.
    const paced = await pacedPhases(base, service, PACED_RATE);
    const saturated = await saturatedPhases(base);
    const run = { settings, machine, versions: wranglerVersions(), load1, paced, saturated, rss: rss.stop(), runtimeS: (Date.now() - started) / 1000 };
    const figures = benchFigures(run);
    process.stdout.write(benchMarkdown(run, figures));
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
