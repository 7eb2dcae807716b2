// The local outbox: the latest messages the simulator received, content included, so a developer can
// read the one-time code they just "sent". Kept in the simulator object's own storage (local SQLite), so
// it is still there after the object is evicted and after `npm start` is restarted; the latest
// OUTBOX_CAPACITY only. Local development only: anywhere else the simulator is no provider
// (src/providers/choose.ts), so it receives no message, and the outbox routes do not exist.
import type { ProviderOutcome } from "../outcome";
import type { OutboundMessage } from "../provider";

export const OUTBOX_CAPACITY = 100;

/** A hand-over as the simulator gets it: with its content (earlier versions sent it without, in production). */
export type SimulatorMessage = Omit<OutboundMessage, "body"> & { body?: string };

export interface OutboxMessage {
  /** Grows with each message received (also across a clear); the page uses it to add only what is new. */
  id: number;
  receivedAt: string;
  channel: OutboundMessage["channel"];
  /** The simulated provider it was handed to (`simulator`, `primary`, `secondary`). */
  provider: string;
  shipmentId: string;
  to: string;
  from: string;
  subject?: string;
  /** An email's `Plain` or `Html`; an SMS has none. */
  contentType?: "Plain" | "Html";
  body: string;
  /** The plain-text part sent beside an HTML email's body. */
  text?: string;
  /** What the simulator answered the hand-over (accepted, rejected, or a simulated failure). */
  answer: string;
}

/** The latest OUTBOX_CAPACITY messages in one table of the simulator's storage. */
export class Outbox {
  constructor(
    private readonly sql: SqlStorage,
    private readonly capacity = OUTBOX_CAPACITY,
  ) {
    // AUTOINCREMENT: an id is never used again, even after a clear, so the page never mistakes a new message for one it shows.
    sql.exec("CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT NOT NULL)");
  }

  /** Keeps a message that carries its body; one without is not kept. */
  add(message: SimulatorMessage, provider: string, answer: string, now = new Date()): void {
    if (message.body === undefined) return;
    const kept: Omit<OutboxMessage, "id"> = {
      receivedAt: now.toISOString(),
      channel: message.channel,
      provider,
      shipmentId: message.shipmentId,
      to: message.to,
      from: message.from,
      ...(message.subject !== undefined ? { subject: message.subject } : {}),
      ...(message.channel === "email" ? { contentType: message.contentType ?? "Plain" } : {}),
      body: message.body,
      ...(message.text !== undefined ? { text: message.text } : {}),
      answer,
    };
    const { id } = this.sql.exec<{ id: number }>("INSERT INTO outbox (message) VALUES (?) RETURNING id", JSON.stringify(kept)).one();
    this.sql.exec("DELETE FROM outbox WHERE id <= ?", id - this.capacity);
  }

  /** Newest first. */
  list(): OutboxMessage[] {
    return this.sql
      .exec<{ id: number; message: string }>("SELECT id, message FROM outbox ORDER BY id DESC LIMIT ?", this.capacity)
      .toArray()
      .map(({ id, message }) => ({ id, ...(JSON.parse(message) as Omit<OutboxMessage, "id">) }));
  }

  clear(): void {
    this.sql.exec("DELETE FROM outbox");
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
