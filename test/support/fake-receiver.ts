// A fake status-callback receiver behind the Worker's own `fetch`, as fake-twilio.ts fakes
// Twilio: the callback object runs in the tests' isolate, so a spy on globalThis.fetch sees its
// requests. Every URL under RECEIVER_ORIGIN is the fake; anything else goes through. It records each
// request as a receiver sees it and answers as scripted per path, so each test (and organisation)
// uses its own path.
import { vi } from "vitest";
import { Webhook } from "standardwebhooks";

export const RECEIVER_ORIGIN = "https://receiver.test";

export type ReceiverReply =
  | { kind: "status"; status: number; location?: string }
  /** No answer: settles only when the sender's signal aborts (its timeout). */
  | { kind: "hang" }
  /** The connection is refused: fetch rejects. */
  | { kind: "refuse" };

export const answer = {
  ok: (): ReceiverReply => ({ kind: "status", status: 200 }),
  status: (status: number): ReceiverReply => ({ kind: "status", status }),
  gone: (): ReceiverReply => ({ kind: "status", status: 410 }),
  redirect: (location: string): ReceiverReply => ({ kind: "status", status: 302, location }),
  hang: (): ReceiverReply => ({ kind: "hang" }),
  refuse: (): ReceiverReply => ({ kind: "refuse" }),
};

export interface ReceivedCallback {
  /** Order of arrival across all paths. */
  n: number;
  /** When it arrived (ms since epoch). */
  at: number;
  path: string;
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
  redirect: string;
  answered: ReceiverReply["kind"] | number;
}

export interface FakeReceiver {
  readonly received: ReceivedCallback[];
  /** The receiver URL of one path (e.g. one per test or organisation). */
  url(path: string): string;
  /** Callbacks that arrived at a path, in order. */
  at(path: string): ReceivedCallback[];
  /** Answers for a path, in order; the last one repeats. Unscripted paths answer 200. */
  script(path: string, replies: ReceiverReply[]): void;
}

/** Installs the fake (restored by vi.restoreAllMocks()). */
export function fakeReceiver(): FakeReceiver {
  const passThrough = globalThis.fetch;
  const received: ReceivedCallback[] = [];
  const scripts = new Map<string, ReceiverReply[]>();
  const next = (path: string): ReceiverReply => {
    const queue = scripts.get(path);
    if (!queue || queue.length === 0) return answer.ok();
    return queue.length > 1 ? queue.shift()! : queue[0]!;
  };

  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(`${RECEIVER_ORIGIN}/`)) return passThrough(input, init);
    const path = new URL(request.url).pathname;
    const reply = next(path);
    received.push({
      n: received.length + 1,
      at: Date.now(),
      path,
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
      // What the sender asked for; Request normalises it, so read it from the init where given.
      redirect: init?.redirect ?? request.redirect,
      answered: reply.kind === "status" ? reply.status : reply.kind,
    });
    switch (reply.kind) {
      case "refuse":
        throw new TypeError("Network connection lost.");
      case "hang":
        return new Promise<Response>((_, reject) => {
          const signal = init?.signal ?? request.signal;
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      case "status":
        return new Response(reply.status === 200 ? "ok" : null, {
          status: reply.status,
          headers: reply.location ? { Location: reply.location } : {},
        });
    }
  });

  return {
    received,
    url: (path) => `${RECEIVER_ORIGIN}${path}`,
    at: (path) => received.filter((r) => r.path === path),
    script: (path, replies) => void scripts.set(path, [...replies]),
  };
}

/**
 * Verifies a received callback as a receiver would, with the reference library; returns the parsed body.
 * The secret comes from the PUT that made it (a later PUT's answer has none).
 */
export function verifyCallback(secret: string | undefined, callback: ReceivedCallback): unknown {
  if (secret === undefined) throw new Error("No secret: only the PUT that creates the subscription or rotates its secret shows it.");
  return new Webhook(secret).verify(callback.body, callback.headers);
}
