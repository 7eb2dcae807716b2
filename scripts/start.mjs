// `npm start`: the development key, the API reference's files, the local D1 migrations (every shard), then
// `wrangler dev` on 127.0.0.1:${PORT:-8787}; prints where the API, /docs and /outbox are once it answers.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildStatic } from "./build-static.mjs";
import { ensureDevKey } from "./dev-key.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules/wrangler/bin/wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const HOST = "127.0.0.1";

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT must be a port number, not "${process.env.PORT}".`);
if (!(await isFree(port))) {
  fail(`Port ${port} on ${HOST} is already in use (another \`npm start\`?). Stop it, or choose another port: PORT=${port + 1} npm start`);
}

await ensureDevKey();
buildStatic();
// Every D1 database (shard) in wrangler.toml.
const migrations = spawnSync(process.execPath, [join(root, "scripts/migrate-local.mjs")], { cwd: root, env, stdio: "inherit" });
if (migrations.status !== 0) process.exit(migrations.status ?? 1);

const dev = spawn(process.execPath, [wrangler, "dev", "--ip", HOST, "--port", String(port)], { cwd: root, env, stdio: "inherit" });
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));

const origin = `http://${HOST}:${port}`;
const until = Date.now() + 120_000;
while (Date.now() < until && dev.exitCode === null) {
  if (await answers(`${origin}/health`)) {
    console.log(
      [
        "",
        "  Instant notifications is ready:",
        `    API            ${origin}/notifications/api/v1`,
        `    API reference  ${origin}/docs`,
        `    Outbox         ${origin}/outbox   (what the simulator received; local only)`,
        "    A token:       npm run --silent token -- --org ttd",
        "",
      ].join("\n"),
    );
    break;
  }
  await new Promise((r) => setTimeout(r, 300));
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

function isFree(candidate) {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once("error", () => resolveFree(false));
    server.listen(candidate, HOST, () => server.close(() => resolveFree(true)));
  });
}

async function answers(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false; // not listening yet
  }
}
