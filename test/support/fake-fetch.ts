// One spy on the Worker's own `fetch` for every faked provider API, so several fakes can run at once.
// The consumers run in the tests' isolate, so the spy sees their calls; a URL no fake claims goes
// through to the real fetch. vi.restoreAllMocks() removes the spy and, with it, every fake.
import { vi } from "vitest";

type Handler = (request: Request) => Promise<Response>;
const handlers = new Map<string, Handler>();

/** Answers every request whose URL starts with `prefix` with `handle`. */
export function interceptFetch(prefix: string, handle: Handler): void {
  if (!vi.isMockFunction(globalThis.fetch)) {
    handlers.clear(); // the fakes of an earlier test went with its spy
    const passThrough = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      for (const [start, handler] of handlers) if (url.startsWith(start)) return handler(new Request(input, init));
      return passThrough(input, init);
    });
  }
  handlers.set(prefix, handle);
}

/** A promise that rejects when the request's signal aborts: an answer that never comes. */
export function never(request: Request): Promise<Response> {
  return new Promise<Response>((_, reject) => {
    const signal = request.signal;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8", ...headers } });

/** A fresh, valid Norwegian mobile number, so each test scripts its own recipient. */
export function uniqueMobile(): string {
  const digits = crypto.getRandomValues(new Uint32Array(1))[0]! % 10_000_000;
  return `+479${String(digits).padStart(7, "0")}`;
}

/**
 * Scripted answers per recipient: in order, the last one repeating; a recipient without a script gets
 * `fallback()` (a provider's "accepted", or an outage's answer for everyone).
 */
export function scriptedReplies<R>(fallback: () => R) {
  const scripts = new Map<string, R[]>();
  return {
    script: (recipient: string, replies: R[]) => void scripts.set(recipient, [...replies]),
    next: (recipient: string): R => {
      const queue = scripts.get(recipient);
      if (!queue || queue.length === 0) return fallback();
      return queue.length > 1 ? queue.shift()! : queue[0]!;
    },
  };
}
