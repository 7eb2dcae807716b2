// Workaround: quiet test runs.
// Why: wrangler prints "Using secrets defined in .dev.vars" once per test file (an info line; the tests set their
// own bindings), and workerd reports the runner's WebSocket closing at the end of every test file as an
// "exception" that is none. Warnings, errors and the tests' own output still show.
// Drop when: @cloudflare/vitest-pool-workers closes its runner socket without workerd logging it as an exception
// (check: remove the call in vitest.config.ts and run one workerd test file; no "WebSocket peer disconnected" line).

const RUNNER_CLOSED = /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\r?\n/gm;

export function quietTestOutput(): void {
  process.env.WRANGLER_LOG ??= "warn";
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : null;
      if (text === null || !text.includes("WebSocket peer disconnected")) return write(chunk, ...rest);
      return write(text.replace(RUNNER_CLOSED, ""), ...rest); // an empty write still calls its callback
    }) as typeof stream.write;
  }
}
