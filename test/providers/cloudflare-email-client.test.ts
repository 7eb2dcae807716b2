// The Cloudflare Email Service provider over a fake `send_email` binding: it resolves `{ messageId }`
// or throws the binding's real error shape, an Error with a string `.code`.
import { describe, expect, it, vi } from "vitest";
import { cloudflareEmailProvider } from "../../src/providers/cloudflare-email/client";
import type { OutboundMessage } from "../../src/providers/provider";

type SendArgs = Parameters<SendEmail["send"]>[0];

function fakeBinding(send: (message: SendArgs) => Promise<EmailSendResult>) {
  const spy = vi.fn(send);
  return { binding: { send: spy } as unknown as SendEmail, send: spy };
}

const bindingError = (code: string, message = code) => Object.assign(new Error(message), { code });

function email(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    channel: "email",
    shipmentId: crypto.randomUUID(),
    orderRef: "0".repeat(64),
    to: "user@example.com",
    from: "noreply@example.com",
    subject: "One-time code",
    body: "<p>Your code is 428516</p>",
    contentType: "Html",
    validitySeconds: 172_800,
    ...overrides,
  };
}

const neverAborted = () => new AbortController().signal;

describe("cloudflareEmailProvider", () => {
  it("answers Email_Succeeded with the binding's messageId as providerRef", async () => {
    const { binding, send } = fakeBinding(async () => ({ messageId: "0101019a-msg-id@example.com" }));
    const outcome = await cloudflareEmailProvider(binding).send(email(), neverAborted());
    expect(outcome).toEqual({ kind: "accepted", status: "Email_Succeeded", providerRef: "0101019a-msg-id@example.com" });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("sends an Html body as html, with from, to and subject", async () => {
    const { binding, send } = fakeBinding(async () => ({ messageId: "m-1" }));
    await cloudflareEmailProvider(binding).send(email({ contentType: "Html" }), neverAborted());
    const [message] = send.mock.calls[0]!;
    expect(message).toEqual({ from: "noreply@example.com", to: "user@example.com", subject: "One-time code", html: "<p>Your code is 428516</p>" });
    expect(message).not.toHaveProperty("text");
  });

  it.each([
    ["contentType Plain", "Plain" as const],
    ["no contentType", undefined],
  ])("sends a body with %s as text, never as html", async (_name, contentType) => {
    const { binding, send } = fakeBinding(async () => ({ messageId: "m-2" }));
    const message = email({ body: "Your code is 428516" });
    if (contentType) message.contentType = contentType;
    else delete message.contentType;
    await cloudflareEmailProvider(binding).send(message, neverAborted());
    const [sent] = send.mock.calls[0]!;
    expect(sent).toMatchObject({ text: "Your code is 428516" });
    expect(sent).not.toHaveProperty("html");
  });

  it.each([
    ["E_RECIPIENT_SUPPRESSED", "Email_Failed_SuppressedRecipient"],
    ["E_VALIDATION_ERROR", "Email_Failed_InvalidFormat"],
    ["E_DELIVERY_FAILED", "Email_Failed"],
    ["E_SENDER_NOT_VERIFIED", "Email_Failed"],
    ["E_SENDER_DOMAIN_NOT_AVAILABLE", "Email_Failed"],
    ["E_RECIPIENT_NOT_ALLOWED", "Email_Failed"],
    ["E_FIELD_MISSING", "Email_Failed"],
    ["E_TOO_MANY_RECIPIENTS", "Email_Failed"],
    ["E_CONTENT_TOO_LARGE", "Email_Failed"],
    ["E_HEADER_NOT_ALLOWED", "Email_Failed"],
    ["E_HEADERS_TOO_LARGE", "Email_Failed"],
  ])("maps %s to the final status %s", async (code, status) => {
    const { binding } = fakeBinding(async () => {
      throw bindingError(code, `send failed: ${code}`);
    });
    expect(await cloudflareEmailProvider(binding).send(email(), neverAborted())).toEqual({ kind: "final", status, detail: code });
  });

  it("ends on the used-up daily quota at once (Email_Failed, the reason, a provider outage)", async () => {
    const { binding } = fakeBinding(async () => {
      throw bindingError("E_DAILY_LIMIT_EXCEEDED", "daily sending limit exceeded");
    });
    expect(await cloudflareEmailProvider(binding).send(email(), neverAborted())).toMatchObject({
      kind: "final",
      status: "Email_Failed",
      detail: expect.stringContaining("daily sending quota"),
      providerOutage: "daily_quota",
    });
  });

  it.each([["E_RATE_LIMIT_EXCEEDED"], ["E_INTERNAL_SERVER_ERROR"], ["E_SOMETHING_NEW"]])(
    "treats %s as transient (retried until the deadline)",
    async (code) => {
      const { binding } = fakeBinding(async () => {
        throw bindingError(code);
      });
      expect(await cloudflareEmailProvider(binding).send(email(), neverAborted())).toEqual({ kind: "transient", detail: code });
    },
  );

  it("treats an error without a code (a network or runtime failure) as transient", async () => {
    const { binding } = fakeBinding(async () => {
      throw new TypeError("Network connection lost.");
    });
    expect((await cloudflareEmailProvider(binding).send(email(), neverAborted())).kind).toBe("transient");
  });

  it("answers unknown (maybe sent) when the signal fires while the binding has not answered", async () => {
    const { binding, send } = fakeBinding(() => new Promise<EmailSendResult>(() => {}));
    const controller = new AbortController();
    const pending = cloudflareEmailProvider(binding).send(email(), controller.signal);
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    controller.abort(new DOMException("The operation timed out.", "TimeoutError"));
    expect((await pending).kind).toBe("unknown"); // sent, answer lost: maybe accepted
  });

  it("answers unknown (maybe sent) on a timeout signal (as the consumer passes one)", async () => {
    const { binding } = fakeBinding(() => new Promise<EmailSendResult>(() => {}));
    expect((await cloudflareEmailProvider(binding).send(email(), AbortSignal.timeout(20))).kind).toBe("unknown");
  });

  it("answers transient, without calling, when the signal is already aborted", { timeout: 2_000 }, async () => {
    const { binding, send } = fakeBinding(() => new Promise<EmailSendResult>(() => {}));
    expect((await cloudflareEmailProvider(binding).send(email(), AbortSignal.abort())).kind).toBe("transient");
    expect(send).not.toHaveBeenCalled();
  });
});
