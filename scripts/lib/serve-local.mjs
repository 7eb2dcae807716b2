// node scripts/lib/serve-local.mjs <wrangler config> <port> <persist dir>
//
// Runs the service as `wrangler dev` does (the same workerd, bindings and local state, through
// wrangler's own startWorker), but with no debugger attached, as in production. `wrangler dev` always
// attaches one and receives every console.log through it: measured here, that costs several ms of CPU
// per log line in wrangler's processes, which would count against the service in the benchmark's CPU
// figures. Logs still arrive, on stdout (workerd's structured logs). Stops on SIGTERM or SIGINT.
import { unstable_startWorker } from "wrangler";

const [config, port, persist] = process.argv.slice(2);
if (!config || !port || !persist) {
  console.error("usage: node scripts/lib/serve-local.mjs <wrangler config> <port> <persist dir>");
  process.exit(2);
}
const worker = await unstable_startWorker({
  config,
  dev: { server: { hostname: "127.0.0.1", port: Number(port) }, inspector: false, persist, watch: false, liveReload: false, remote: false },
});
await worker.ready;
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
