// The one small interface every provider implements, and the choice of provider per channel.
import type { Channel } from "../status/statuses";
import type { ProviderOutcome } from "./outcome";

/** What a provider needs to hand one message over. Lives only in memory, for the length of the call. */
export interface OutboundMessage {
  channel: Channel;
  shipmentId: string;
  orderRef: string;
  to: string;
  from: string;
  body: string;
  subject?: string;
  contentType?: "Plain" | "Html";
  /** An HTML email's plain-text part, made from `body` at send time (text-part.ts). */
  text?: string;
  /** Remaining lifetime: the provider must not deliver after it. */
  validitySeconds: number;
}

export interface Provider {
  /** Hands the message over. Never throws for provider or network failures: those are outcomes. */
  send(message: OutboundMessage, signal: AbortSignal): Promise<ProviderOutcome>;
}
