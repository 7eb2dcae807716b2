// Email through Cloudflare Email Service's send_email binding.
import type { ProviderOutcome } from "../outcome";
import type { OutboundMessage, Provider } from "../provider";
import { mapEmailSendError } from "./status-map";

export function cloudflareEmailProvider(binding: SendEmail): Provider {
  return {
    async send(message: OutboundMessage, signal: AbortSignal): Promise<ProviderOutcome> {
      const content = message.contentType === "Html" ? { html: message.body } : { text: message.body };
      // The binding takes no signal: race it, so a hung call ends when the remaining lifetime does.
      const timeout = new Promise<never>((_, reject) => {
        const abort = () => reject(new Error("timeout"));
        if (signal.aborted) abort();
        else signal.addEventListener("abort", abort, { once: true });
      });
      try {
        const result = await Promise.race([binding.send({ from: message.from, to: message.to, subject: message.subject ?? "", ...content }), timeout]);
        return { kind: "accepted", status: "Email_Succeeded", providerRef: result.messageId };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return mapEmailSendError(typeof code === "string" ? code : undefined);
      }
    },
  };
}
