// Email through Cloudflare Email Service's send_email binding.
import { boundedBy, lostCall, NOT_STARTED } from "../http";
import type { ProviderOutcome } from "../outcome";
import type { OutboundMessage, Provider } from "../provider";
import { mapEmailSendError } from "./status-map";

export function cloudflareEmailProvider(binding: SendEmail): Provider {
  return {
    async send(message: OutboundMessage, signal: AbortSignal): Promise<ProviderOutcome> {
      if (signal.aborted) return NOT_STARTED;
      const content = message.contentType === "Html" ? { html: message.body, ...(message.text !== undefined ? { text: message.text } : {}) } : { text: message.body };
      try {
        // The binding takes no signal: bound it, so a hung call ends when the remaining lifetime does.
        const result = await boundedBy(binding.send({ from: message.from, to: message.to, subject: message.subject ?? "", ...content }), signal);
        return { kind: "accepted", status: "Email_Succeeded", providerRef: result.messageId };
      } catch (error) {
        if (signal.aborted) return lostCall(signal, error);
        const code = (error as { code?: unknown }).code;
        return mapEmailSendError(typeof code === "string" ? code : undefined);
      }
    },
  };
}
