// One error envelope: every failure leaves the service as application/problem+json (RFC 9457).
import { logError } from "../log";
import { isOverloaded, OVERLOADED_RETRY_AFTER_SECONDS } from "../retry/overloaded";

/**
 * Every problem code, once: its status, its short title and what it means. NOT-00003 and NOT-00004 are
 * Altinn's (with Altinn's titles); NOT-00005 and NOT-1000x are this service's. The README, the OpenAPI
 * document and the /docs page (one `#problem-<code>` anchor each) are written from this table.
 */
const PROBLEMS = {
  "NOT-00003": {
    status: 404,
    title: "Shipment not found",
    explanation: "Shipment not found: unknown, another organisation's, or not a UUID. Use the shipmentId (or Location) of the 201.",
  },
  "NOT-00004": {
    status: 503,
    title: "A temporary network failure occurred",
    explanation:
      "A dependency (database, queue, a Durable Object or the token issuer's keys) failed; nothing was registered. Safe to retry with the same idempotencyId; " +
      "with Retry-After (an overloaded Durable Object), not before that many seconds.",
  },
  "NOT-00005": {
    status: 404,
    title: "No status-callback subscription",
    explanation: "This organisation has no status-callback subscription (webhook). PUT /future/webhook makes one.",
  },
  "NOT-10001": {
    status: 422,
    title: "Idempotency key reused with a different request",
    explanation:
      "The idempotencyId was already used by this organisation for a different request; nothing was registered or sent. " +
      "A new message needs a new idempotencyId; a retry must repeat the same request. Answered only where the deployment " +
      "(IDEMPOTENCY_MISMATCH set to reject) or the organisation chose it; by default such a request gets the first request's answer (200) " +
      "with the header Idempotency-Mismatch: true.",
  },
  "NOT-10002": {
    status: 429,
    title: "Request rate limit reached",
    explanation: "The organisation's request rate limit was reached; nothing was registered and the key is not remembered. Retry after Retry-After seconds.",
  },
  "NOT-10003": {
    status: 429,
    title: "Recipient limit reached",
    explanation: "The limit of messages to one recipient was reached; nothing was registered and the key is not remembered. Retry after Retry-After seconds.",
  },
  "NOT-10004": {
    status: 429,
    title: "Daily volume limit reached",
    explanation:
      "The organisation's daily volume of this channel was reached; nothing was registered and the key is not remembered. Retry after Retry-After seconds (the next UTC midnight).",
  },
  "NOT-20001": {
    status: 410,
    title: "Verification not pending",
    explanation:
      "No code can be approved any more: the verification was approved, expired (past expiresAt) or ran out of attempts; the problem's `status` says which " +
      "(`approved`, `expired`, `max_attempts`; the HTTP status is 410). A new code needs a new verification.",
  },
  "NOT-20002": {
    status: 404,
    title: "Verification not found",
    explanation: "No such verification for this organisation: unknown, another organisation's, or not a UUID. Use the verificationId (or Location) of the 201.",
  },
  "NOT-20003": {
    status: 409,
    title: "Resend not possible",
    explanation: "The verification is no longer pending, or has had its 2 resends (the fallback email not counted); nothing was sent.",
  },
} as const satisfies Record<string, { status: number; title: string; explanation: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** What each code means (the /docs page's anchors and the OpenAPI description). */
export const PROBLEM_CODES = Object.fromEntries(Object.entries(PROBLEMS).map(([code, p]) => [code, p.explanation])) as Record<ProblemCode, string>;

/** Each code's own short title, as the problem's `title`. */
export const PROBLEM_TITLES = Object.fromEntries(Object.entries(PROBLEMS).map(([code, p]) => [code, p.title])) as Record<ProblemCode, string>;

/** Where a code is explained: the /docs page's anchor, named by the `Link: <…>; rel="help"` header. */
export const problemHelpPath = (code: ProblemCode) => `/docs#problem-${code}`;

export interface Problem {
  type: string;
  title: string;
  /** The HTTP status; for NOT-20001 the verification's status instead, as the contract says. */
  status: number | string;
  code?: ProblemCode;
  detail?: string;
  traceId?: string;
  errors?: Record<string, string[]>;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** What a thrown error may add to its problem; a code comes only through `ApiError.of`. */
export interface ProblemOptions {
  detail?: string;
  errors?: Record<string, string[]>;
  headers?: Record<string, string>;
  /** A verification that is not pending says which end it reached: the contract puts it in the problem's `status` (NOT-20001). */
  verificationStatus?: string;
}

/** A failure the API answers on purpose; thrown anywhere, turned into problem+json in one place. */
export class ApiError extends Error {
  /** Set only by `ApiError.of`, so a code always comes with its own status and title. */
  readonly code?: ProblemCode;

  constructor(
    readonly status: number,
    readonly options: ProblemOptions = {},
  ) {
    super(options.detail ?? TITLES[status] ?? `HTTP ${status}`);
  }

  /** The error for a problem code, with the code's own status. */
  static of(code: ProblemCode, options: ProblemOptions = {}): ApiError {
    const error = new ApiError(PROBLEMS[code].status, options);
    (error as { code?: ProblemCode }).code = code;
    return error;
  }
}

/**
 * A store or Durable Object that failed (or was overloaded) where the route needs its answer: logged,
 * and answered 503 NOT-00004 with `detail`, never 500.
 */
export async function orUnavailable<T>(what: string, traceId: string, detail: string, work: () => PromiseLike<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    logError(what, error, { traceId });
    throw dependencyFailed(detail, isOverloaded(error));
  }
}

/**
 * NOT-00004 for a dependency that failed. When it was an overloaded Durable Object (src/retry/overloaded.ts)
 * the answer says when to come back, Retry-After: 1, so the caller does not retry at once.
 */
export function dependencyFailed(detail: string, overloaded = false): ApiError {
  return ApiError.of("NOT-00004", { detail, ...(overloaded ? { headers: { "Retry-After": String(OVERLOADED_RETRY_AFTER_SECONDS) } } : {}) });
}

/**
 * The body, shaped as Altinn's problems: a coded one has `type` `urn:altinn:error:<code>` and the code's
 * own title; one without a code links its HTTP status in RFC 9110.
 */
export function problemBody(status: number, traceId: string, options: ProblemOptions & { code?: ProblemCode } = {}): Problem {
  const { code } = options;
  return {
    type: code ? `urn:altinn:error:${code}` : `https://www.rfc-editor.org/rfc/rfc9110#status.${status}`,
    title: code ? PROBLEMS[code].title : (TITLES[status] ?? `HTTP ${status}`),
    status: options.verificationStatus ?? status,
    ...(code ? { code } : {}),
    ...(options.detail ? { detail: options.detail } : {}),
    traceId,
    ...(options.errors ? { errors: options.errors } : {}),
  };
}

/** The headers of a problem answer: the error's own, plus the help link of its code. */
export function problemHeaders(error: { code?: ProblemCode; options: ProblemOptions }): Record<string, string> {
  return { ...error.options.headers, ...(error.code ? { Link: `<${problemHelpPath(error.code)}>; rel="help"` } : {}) };
}

/** The 400 for a request that failed its schema; `hint` adds what the caller most likely meant. */
export function validationFailed(issues: Parameters<typeof validationErrors>[0], hint?: string): ApiError {
  return new ApiError(400, { detail: hint ? `Validation failed. ${hint}` : "Validation failed.", errors: validationErrors(issues) });
}

/** Turns zod-style issues into `errors` keyed by the field's JSON path (`recipientSms.phoneNumber`). */
export function validationErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join(".") || "$";
    (errors[key] ??= []).push(issue.message);
  }
  return errors;
}
