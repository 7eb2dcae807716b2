// The local outbox: the latest messages the simulator received, body included, so a developer can read
// the one-time code they just "sent". Memory only (a field of the simulator object, never its storage,
// D1 or a disk): it empties when the object is evicted or the service restarts. Never in production.
import type { ProviderOutcome } from "../outcome";
import type { OutboundMessage } from "../provider";

export const OUTBOX_CAPACITY = 100;

/** A hand-over as the simulator gets it: with its body outside production, without it in production. */
export type SimulatorMessage = Omit<OutboundMessage, "body"> & { body?: string };

export interface OutboxMessage {
  /** Grows with each message received; the page uses it to add only what is new. */
  id: number;
  receivedAt: string;
  channel: OutboundMessage["channel"];
  shipmentId: string;
  to: string;
  from: string;
  subject?: string;
  body: string;
  contentType: "Plain" | "Html";
  /** What the simulator answered the hand-over (accepted, rejected, or a simulated failure). */
  answer: string;
}

/** A ring buffer of the latest `capacity` messages, newest first when listed. */
export class Outbox {
  private readonly messages: OutboxMessage[] = [];
  private nextId = 1;

  constructor(private readonly capacity = OUTBOX_CAPACITY) {}

  /** Keeps a message that carries its body; one without (production) is not kept. */
  add(message: SimulatorMessage, answer: string, now = new Date()): void {
    if (message.body === undefined) return;
    this.messages.push({
      id: this.nextId++,
      receivedAt: now.toISOString(),
      channel: message.channel,
      shipmentId: message.shipmentId,
      to: message.to,
      from: message.from,
      ...(message.subject !== undefined ? { subject: message.subject } : {}),
      body: message.body,
      contentType: message.contentType ?? "Plain",
      answer,
    });
    if (this.messages.length > this.capacity) this.messages.splice(0, this.messages.length - this.capacity);
  }

  /** Newest first. */
  list(): OutboxMessage[] {
    return this.messages.toReversed();
  }
}

/** The simulator's answer to a hand-over, as the outbox shows it. */
export function describeAnswer(outcome: ProviderOutcome): string {
  switch (outcome.kind) {
    case "accepted":
      return `accepted (${outcome.status})`;
    case "final":
      return `rejected (${outcome.status})`;
    case "transient":
      return "simulated failure; the dispatcher retries";
    default:
      return outcome.kind;
  }
}
