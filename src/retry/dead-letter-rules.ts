// What a dead letter is: which queue it came from (where a replay sends it) and which of its fields may
// be shown (ids only). Pure, table-tested in test/unit/retry/dead-letter-rules.test.ts.

const DLQ_SUFFIX = "-dlq";

/** The queues that have a dead-letter queue, and the producer binding a replay sends with. */
export const ORIGINAL_QUEUES = {
  "sms-dispatch": "SMS_QUEUE",
  "email-dispatch": "EMAIL_QUEUE",
  "email-events": "EMAIL_EVENTS",
  "provider-reports": "PROVIDER_REPORTS",
} as const satisfies Record<string, keyof Env>;

export type OriginalQueue = keyof typeof ORIGINAL_QUEUES;

export function isDeadLetterQueue(queue: string): boolean {
  return queue.endsWith(DLQ_SUFFIX);
}

/**
 * The queue a dead-letter queue's messages came from: its name without "-dlq" when that is one of ours,
 * or one of ours it starts with (an environment may add a suffix: "sms-dispatch-staging-dlq"); else null.
 */
export function originalQueueOf(deadLetterQueue: string): OriginalQueue | null {
  if (!isDeadLetterQueue(deadLetterQueue)) return null;
  const name = deadLetterQueue.slice(0, -DLQ_SUFFIX.length);
  const known = Object.keys(ORIGINAL_QUEUES) as OriginalQueue[];
  return known.find((q) => q === name) ?? known.find((q) => name.startsWith(`${q}-`)) ?? null;
}

/**
 * What a dead letter may show in logs and in the operator's list: the ids of what it was about, never
 * its body, subject or recipient. A dispatch or a provider report names its shipment; an email event
 * its event and message ids.
 */
export function idsOf(body: unknown): Record<string, string> {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const payload = (typeof b.payload === "object" && b.payload !== null ? b.payload : {}) as Record<string, unknown>;
  const ids: Record<string, string> = {};
  const take = (name: string, value: unknown) => {
    // Ids are short tokens; anything else (an address, a text) is not shown.
    if (typeof value === "string" && /^[\w.:<>+-]{1,200}$/.test(value)) ids[name] = value;
  };
  take("shipmentId", b.shipmentId);
  take("eventId", payload.eventId);
  take("messageId", payload.messageId);
  take("type", b.type);
  return ids;
}

/**
 * What a dead letter keeps: the message as it came, less an email event's subject (Cloudflare's events
 * carry it, and a caller may have put a one-time code there). The subject is never needed again: the
 * events consumer reads only ids, the event type and a rejection's reason.
 */
export function keptBody(body: unknown): unknown {
  if (!isRecord(body) || !isRecord(body.payload) || !("subject" in body.payload)) return body;
  const { subject: _subject, ...payload } = body.payload;
  return { ...body, payload };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
