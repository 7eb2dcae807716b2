// The benchmark's settings: its flags (npm run bench -- --seconds …) and the fixed numbers of its phases.
import { API, clockTicksPerSecond, parseFlags } from "../lib/local-service.mjs";

export const flags = parseFlags(process.argv.slice(2), {
  port: 0,
  "verify-only": false,
  seconds: 10,
  connections: 20,
  warmup: 2,
  "paced-rate": 10,
  "paced-seconds": 10,
  "jit-warmup": 300,
  json: false,
  keep: false,
});
export const SECONDS = flags.seconds;
export const CONNECTIONS = Math.round(flags.connections);
export const DISPATCH_CONNECTIONS = 20;
export const WARMUP_SECONDS = flags.warmup;
export const DRAIN_TIMEOUT_MS = 60_000;
export const BURSTS = 10;
export const FINAL_TIMEOUT_MS = 60_000;
export const PACED_RATE = flags["paced-rate"];
export const PACED_SECONDS = flags["paced-seconds"];
// Before the paced phases, each path runs this many times (registrations and order-floor requests) at
// JIT_WARMUP_RATE: measured here, the registration path (zod, Hono, libphonenumber, jose and the
// service's own code) takes a few hundred requests before V8 has compiled it for good, while the floor's
// few lines are warm after a handful. Without it, the first registration phase measured the compiler.
export const JIT_WARMUP_REQUESTS = Math.round(flags["jit-warmup"]);
export const JIT_WARMUP_RATE = 30;
export const JIT_WARMUP_ORG = "bench-warmup";
// As a real provider's first report; the saturated phases keep 0, so their drains stay short.
export const PACED_REPORT_DELAY_MS = 1000;
// The CPU windows: the quiet one lasts the paced phase plus this, the time its shipments take to be
// final and written behind at a 1 s report delay.
export const CPU_TAIL_MS = 4000;
export const CLOCK_TICKS = clockTicksPerSecond();
// Durable Object requests are counted until no alarm is due within this horizon (a final order's
// next alarm is its retention, 90 days on; the limits' clean-up is 10 minutes on), waiting at most ALARM_WAIT_MS.
export const ALARM_HORIZON_MS = 60_000;
export const ALARM_WAIT_MS = 30_000;
export const D1_SLOW_MS = 150; // a D1 primary in another region
export const FEED_POLL_MS = 100;
// Drawn per request: the limits allow only a few SMS to one number (+4799 and six digits).
export const RECIPIENTS = "+4799xxxxxx";
export const recipient = () => `+4799${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`;
export const SMS_PATH = `${API}/future/orders/instant/sms`;
export const VERIFY_PATH = `${API}/future/verifications/sms`;
// The verification phase's organisation (its starts and the plain registrations beside them, limits on).
export const VERIFY_ORG = "bench-verify";
// How often the verification phase reads the simulator's outbox for the codes (it keeps the latest 100
// messages: at 10 per second, 10 s of them).
export const OUTBOX_POLL_MS = 500;
// The limits stay on for the bench's organisations, with a request rate the load cannot reach, so every
// check runs; one organisation has them off, for register_rps_no_limits.
export const NO_LIMITS_ORG = "bench-no-limits";
export const UNREACHABLE_RATE = { requestsPerMinute: 100_000_000 };
export const PACED_NO_LIMITS_ORG = "bench-paced-no-limits";
export const PACED_ORGS = ["bench-paced", "bench-paced-observed", "bench-paced-polled", "bench-slow", JIT_WARMUP_ORG, VERIFY_ORG];
export const BENCH_LIMITS = {
  bench: UNREACHABLE_RATE,
  "bench-burst": UNREACHABLE_RATE,
  "bench-dispatch": UNREACHABLE_RATE,
  ...Object.fromEntries(PACED_ORGS.map((org) => [org, UNREACHABLE_RATE])),
  [NO_LIMITS_ORG]: { enabled: false },
  [PACED_NO_LIMITS_ORG]: { enabled: false },
};
