// The one-off fingerprint sweep (docs/configuration.md, "Keying the fingerprints of stored orders"): calls
// POST <base>/operator/fingerprint-sweep page by page until every D1 shard is done, printing each page's
// counts and the cursor it stopped at; an interrupted sweep goes on with --cursor <the last one printed>.
// Idempotent: running it again changes nothing already keyed. The token is read from the environment
// (never an argument, which would show in the process list and the shell history).
//   OPERATOR_TOKEN=… npm run --silent sweep:fingerprints -- --base https://<your host> [--cursor DB:…] [--limit 100]
// Without --base it calls the local service (`npm start`, PORT or 8787). Prints the totals as one JSON line.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    cursor: { type: "string", default: "" },
    limit: { type: "string", default: "100" },
  },
});
const token = process.env.OPERATOR_TOKEN;
if (!token) {
  console.error("Set OPERATOR_TOKEN in the environment (the secret of the same name).");
  process.exit(1);
}
const base = (values.base ?? `http://127.0.0.1:${process.env.PORT || 8787}`).replace(/\/+$/, "");
const ATTEMPTS = 5;

/** One page; a failure of the service or the network is tried again (a page is idempotent), a refusal is not. */
async function page(cursor) {
  const url = `${base}/operator/fingerprint-sweep?limit=${encodeURIComponent(values.limit)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  for (let attempt = 1; ; attempt++) {
    let failure;
    try {
      const response = await fetch(url, { method: "POST", headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
      const text = await response.text();
      if (response.ok) return JSON.parse(text);
      if (response.status < 500) throw Object.assign(new Error(`${response.status}: ${text}`), { final: true });
      failure = `${response.status}: ${text}`;
    } catch (error) {
      if (error.final) throw error;
      failure = error.message;
    }
    if (attempt === ATTEMPTS) throw new Error(failure);
    console.error(`  page from ${cursor || "the start"} failed (${failure}); again in ${2 ** attempt} s`);
    await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 1000));
  }
}

const totals = { scanned: 0, wrapped: 0, alreadyKeyed: 0, missing: 0, failed: 0 };
let cursor = values.cursor;
do {
  let result;
  try {
    result = await page(cursor);
  } catch (error) {
    console.error(`Stopped: ${error.message}\nResume with: --cursor '${cursor}'`);
    console.log(JSON.stringify({ ...totals, done: false, resumeFrom: cursor }));
    process.exit(1);
  }
  for (const key of Object.keys(totals)) totals[key] += result[key];
  cursor = result.next;
  console.error(
    `${result.shard}: scanned ${result.scanned}, wrapped ${result.wrapped}, already keyed ${result.alreadyKeyed}, missing ${result.missing}, failed ${result.failed}` +
      ` | so far ${totals.scanned} scanned, ${totals.wrapped} wrapped | next: ${cursor ?? "done"}`,
  );
} while (cursor);

console.log(JSON.stringify({ ...totals, done: true }));
if (totals.failed > 0) {
  console.error(`${totals.failed} orders could not be reached (logged as fingerprint_sweep.order_failed with their shipment ids): run the sweep again.`);
  process.exit(2);
}
