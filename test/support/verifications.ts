// One-time-code verifications from a test, as a client sees them (CONTRACT.md, "One-time codes"):
// the requests, the four calls, and the code read where a developer reads it, the local outbox.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { call, uniqueKey, variedEmailAddress, variedPhoneNumber, type CallOptions } from "./api";
import { eventually } from "./shipments";

export const SMS_TEMPLATE = "Your Altinn code is {code}. It expires in 5 minutes.";
export const EMAIL_TEMPLATE = "<p>Your Altinn code is <b>{code}</b>.</p>";
export const FALLBACK_TEMPLATE = "Your Altinn code is {code}.";

export interface VerificationCreated {
  verificationId: string;
  shipmentId: string;
  expiresAt: string;
  sendersReference?: string;
}

export interface VerificationView {
  verificationId: string;
  status: "pending" | "approved" | "expired" | "max_attempts";
  attempts: number;
  maxAttempts: number;
  expiresAt: string;
  approvedAt?: string;
  channel: "sms" | "email";
  fallbackRefused?: string;
  shipments: { shipmentId: string; channel: "sms" | "email"; status: string }[];
}

export interface CheckAnswer {
  verificationId: string;
  status: "approved" | "denied";
  attemptsLeft: number;
}

export type SmsVerificationRequest = ReturnType<typeof smsVerification>;

/** A valid SMS verification request to a number drawn per call (overrides replace or add fields). */
export function smsVerification(overrides: Record<string, unknown> = {}) {
  return {
    idempotencyId: uniqueKey("verify"),
    sendersReference: "login-1234",
    phoneNumber: variedPhoneNumber(),
    timeToLiveInSeconds: 300,
    sender: "Altinn",
    message: SMS_TEMPLATE,
    ...overrides,
  } as Record<string, unknown> & { idempotencyId: string; phoneNumber: string; message: string };
}

/** A valid email verification request to an address drawn per call. */
export function emailVerification(overrides: Record<string, unknown> = {}) {
  return {
    idempotencyId: uniqueKey("verify-email"),
    sendersReference: "login-email-1234",
    emailAddress: variedEmailAddress(),
    subject: "Your code",
    body: EMAIL_TEMPLATE,
    contentType: "Html",
    senderEmailAddress: "noreply@example.com",
    ...overrides,
  } as Record<string, unknown> & { idempotencyId: string; emailAddress: string; body: string };
}

export const fallbackEmail = (overrides: Record<string, unknown> = {}) => ({
  emailAddress: variedEmailAddress(),
  subject: "Your code",
  body: FALLBACK_TEMPLATE,
  afterSeconds: 30,
  ...overrides,
});

export const postSmsVerification = (body: unknown, options?: CallOptions) => call("POST", "/future/verifications/sms", body, options);
export const postEmailVerification = (body: unknown, options?: CallOptions) => call("POST", "/future/verifications/email", body, options);
export const checkCode = (verificationId: string, code: string, options?: CallOptions) =>
  call("POST", `/future/verifications/${verificationId}/check`, { code }, options);
export const resend = (verificationId: string, idempotencyId = uniqueKey("resend"), options?: CallOptions) =>
  call("POST", `/future/verifications/${verificationId}/resend`, { idempotencyId }, options);
export const getVerification = (verificationId: string, options?: CallOptions) => call("GET", `/future/verifications/${verificationId}`, undefined, options);

/** The 201's body; fails (showing the body) unless it answered 201. */
export async function createdOf(response: Response): Promise<VerificationCreated> {
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as VerificationCreated;
}

/** Starts an SMS verification and answers its 201 body. */
export async function startSms(overrides: Record<string, unknown> = {}, options?: CallOptions) {
  const request = smsVerification(overrides);
  return { request, created: await createdOf(await postSmsVerification(request, options)) };
}

export async function viewOf(verificationId: string, options?: CallOptions): Promise<VerificationView> {
  const response = await getVerification(verificationId, options);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as VerificationView;
}

export function waitForView(verificationId: string, done: (v: VerificationView) => boolean, { timeoutMs = 8_000, org = "ttd" } = {}) {
  return eventually(() => viewOf(verificationId, { org }), done, { timeoutMs, intervalMs: 50, what: `verification ${verificationId}` });
}

export async function checkAnswerOf(response: Response): Promise<CheckAnswer> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as CheckAnswer;
}

export interface OutboxMessage {
  id: number;
  channel: "sms" | "email";
  /** The simulated provider it was handed to (`primary`, `secondary`, `simulator`). */
  provider: string;
  shipmentId: string;
  to: string;
  subject?: string;
  contentType?: string;
  body: string;
  text?: string;
}

/** GET /outbox/messages.json: what the simulator received, newest first. */
export async function outboxMessages(): Promise<OutboxMessage[]> {
  const response = await exports.default.fetch("http://localhost/outbox/messages.json");
  expect(response.status).toBe(200);
  return ((await response.json()) as { messages: OutboxMessage[] }).messages;
}

/** The outbox's messages of one shipment (bounded wait until there are `count`). */
export async function outboxOf(shipmentId: string, { count = 1, timeoutMs = 8_000 } = {}): Promise<OutboxMessage[]> {
  return eventually(
    async () => (await outboxMessages()).filter((m) => m.shipmentId === shipmentId),
    (found) => found.length >= count,
    { timeoutMs, intervalMs: 50, what: `${count} outbox message(s) of shipment ${shipmentId}` },
  );
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The code in a message made from `template` (its `{code}` replaced by digits); fails if the text does not follow the template. */
export function codeIn(text: string, template: string): string {
  const [before, after] = template.split("{code}") as [string, string];
  const match = new RegExp(`${escapeRegExp(before)}(\\d+)${escapeRegExp(after)}`).exec(text);
  expect(match, `a code where the template puts it, in ${JSON.stringify(text)}`).not.toBeNull();
  return match![1]!;
}

/** Reads the code of a verification's first SMS from the outbox, as a developer would. */
export async function codeOfSms(shipmentId: string, template = SMS_TEMPLATE): Promise<string> {
  const [message] = await outboxOf(shipmentId);
  return codeIn(message!.body, template);
}

/** A wrong code of the same length: each digit changed. */
export const wrongCode = (code: string) => [...code].map((d) => String((Number(d) + 1) % 10)).join("");

// The verification problems as the contract shapes them (CONTRACT.md, "Errors" and "One-time codes").

/** problem+json with the code, its urn type and its help link; answers the parsed body. */
export async function expectCodedProblem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = JSON.parse(text) as Record<string, unknown>;
  expect(problem).toMatchObject({ type: `urn:altinn:error:${code}`, code, traceId: expect.any(String) });
  expect(response.headers.get("link")).toBe(`</docs#problem-${code}>; rel="help"`);
  return problem;
}

/**
 * 410 NOT-20001 "Verification not pending", its body's `status` the verification's (approved, expired,
 * max_attempts), as the contract words it. Assumed: that `status` member replaces RFC 9457's numeric one.
 */
export async function expectNotPending(response: Response, status: "approved" | "expired" | "max_attempts") {
  const problem = await expectCodedProblem(response, 410, "NOT-20001");
  expect(problem.title).toBe("Verification not pending");
  expect(problem.status, `the problem body's status: ${JSON.stringify(problem)}`).toBe(status);
  return problem;
}

export const expectNotFound = (response: Response) => expectCodedProblem(response, 404, "NOT-20002");
export const expectResendRefused = (response: Response) => expectCodedProblem(response, 409, "NOT-20003");
