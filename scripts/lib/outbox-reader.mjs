// Reads the local simulator's outbox for the bench and the soak: the one-time code of a verification
// (issue 28) is only ever in its message, so they read it there, as a developer does on /outbox. Through
// the bench build's /bench/outbox (the simulator's messages as /outbox/messages.json lists them, without
// the timelines that route adds: a call to each message's order, which the meters would count and which
// would load the service a hundred calls a poll). The outbox keeps the latest 100 messages, so it is
// polled often enough that none passes unseen (`missed` counts any that did).
import { sleep } from "./local-service.mjs";

/** The digits after "code is " in a message (the bench's and the soak's verification texts say so), or null. */
export function codeIn(text) {
  return /\bcode is (\d{4,10})\b/.exec(text ?? "")?.[1] ?? null;
}

/**
 * Polls the outbox every `pollMs` from now on, noting each message by shipment id (its first one):
 * `{ body, to, channel, seenAt }`. A failed poll (the service down in the soak's crash) is tried again.
 */
export function startOutboxReader(base, { pollMs = 500 } = {}) {
  const messages = new Map();
  let newestId = 0;
  let missed = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${base}/bench/outbox`, { signal: AbortSignal.timeout(10_000) });
        if (res.ok) {
          const { messages: list } = await res.json();
          const seenAt = Date.now();
          const ids = list.map((m) => m.id);
          const oldest = Math.min(...ids);
          if (newestId > 0 && ids.length > 0 && oldest > newestId + 1) missed += oldest - newestId - 1;
          for (const m of list) {
            if (m.id > newestId && !messages.has(m.shipmentId)) messages.set(m.shipmentId, { body: m.text ?? m.body, to: m.to, channel: m.channel, seenAt });
          }
          if (ids.length > 0) newestId = Math.max(newestId, ...ids);
        } else await res.arrayBuffer();
      } catch {
        // the next poll tries again
      }
      await sleep(pollMs);
    }
  })();
  return {
    messages,
    /** Messages that left the outbox between two polls, unseen. */
    missed: () => missed,
    /** The code in the message of `shipmentId`, once it is in the outbox (bounded: null after `timeoutMs`). */
    async codeOf(shipmentId, timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (!messages.has(shipmentId) && Date.now() < until) await sleep(100);
      return codeIn(messages.get(shipmentId)?.body);
    },
    stop: () => ((stopped = true), done),
  };
}
