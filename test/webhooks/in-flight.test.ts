// The callback object never has more than 6 deliveries in flight (Cloudflare: an invocation holds at most
// 6 outgoing connections), and its pool is continuous: the 7th starts as soon as the first ends. The
// receiver here is a spy on fetch (the callback object runs in the tests' isolate) that answers after a
// delay and counts the requests it holds at once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { callbackObject, statusEvent, subscribe } from "../support/callbacks";
import { RECEIVER_ORIGIN } from "../support/fake-receiver";

afterEach(() => vi.restoreAllMocks());

/** A receiver under RECEIVER_ORIGIN answering 200 after `delayMs(n)` (n: the request's arrival, from 0). */
function slowReceiver(delayMs: (n: number) => number) {
  const passThrough = globalThis.fetch;
  const seen = { arrived: [] as number[], answered: [] as number[], holding: 0, most: 0 };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(`${RECEIVER_ORIGIN}/`)) return passThrough(input, init);
    const n = seen.arrived.push(Date.now()) - 1;
    seen.most = Math.max(seen.most, ++seen.holding);
    await request.text();
    await scheduler.wait(delayMs(n));
    seen.holding--;
    seen.answered[n] = Date.now();
    return new Response("ok", { status: 200 });
  });
  return seen;
}

describe("deliveries in flight", () => {
  it("20 final events to a receiver that answers after ~300 ms: never more than 6 at once, all delivered once, the 7th right after the first", async () => {
    const org = `inflight${crypto.randomUUID().slice(0, 8)}`;
    await subscribe(org, `${RECEIVER_ORIGIN}/${org}`, "final");
    // The first request is answered sooner, so a batch (wait for all six) and a pool (go on at once) differ.
    const seen = slowReceiver((n) => (n === 0 ? 100 : 300));
    const events = Array.from({ length: 20 }, () => statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered"));
    const t0 = Date.now();
    expect(await callbackObject(org).enqueue(events)).toEqual({ accepted: 20, subscribed: true });
    await vi.waitFor(() => expect(seen.answered.filter(Boolean)).toHaveLength(20), { timeout: 10_000, interval: 20 });

    expect(seen.most).toBe(6);
    expect(seen.arrived).toHaveLength(20); // each once
    expect(seen.arrived[0]! - t0).toBeLessThan(1_000); // the first leaves at once
    // The 7th starts when the first ends (~100 ms), not when the first six have ended (~300 ms).
    expect(seen.arrived[6]! - seen.answered[0]!).toBeLessThan(100);
    expect(seen.arrived[6]!).toBeLessThan(Math.min(...seen.answered.slice(1, 6)));
  });
});
