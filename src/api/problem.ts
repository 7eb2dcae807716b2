// One error envelope: every failure leaves the service as application/problem+json (RFC 9457).

export type ProblemCode = "NOT-00003" | "NOT-00004" | "NOT-00005" | "NOT-10001" | "NOT-10002" | "NOT-10003" | "NOT-10004";

/** NOT-00003 and NOT-00004 are Altinn's; NOT-00005 and NOT-1000x are ours. Each is listed in the README and OpenAPI. */
export const PROBLEM_CODES: Record<ProblemCode, string> = {
  "NOT-00003": "Shipment not found: unknown, another organisation's, or not a UUID. Use the shipmentId (or Location) of the 201.",
  "NOT-00004": "A dependency (database, queue or the token issuer's keys) failed; nothing was registered. Safe to retry with the same idempotencyId.",
  "NOT-00005": "This organisation has no status-callback subscription (webhook). PUT /future/webhook makes one.",
  "NOT-10001":
    "The idempotencyId was already used by this organisation for a different request; nothing was registered or sent. " +
    "A new message needs a new idempotencyId; a retry must repeat the same request.",
  "NOT-10002": "The organisation's request rate limit was reached; nothing was registered and the key is not remembered. Retry after Retry-After seconds.",
  "NOT-10003": "The limit of messages to one recipient was reached; nothing was registered and the key is not remembered. Retry after Retry-After seconds.",
  "NOT-10004": "The organisation's daily volume of this channel was reached; nothing was registered and the key is not remembered. Retry after Retry-After seconds (the next UTC midnight).",
};

/** A code has one status: `ApiError.of(code)` takes it from here. */
const PROBLEM_STATUS: Record<ProblemCode, number> = {
  "NOT-00003": 404,
  "NOT-00004": 503,
  "NOT-00005": 404,
  "NOT-10001": 422,
  "NOT-10002": 429,
  "NOT-10003": 429,
  "NOT-10004": 429,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
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

/** A failure the API answers on purpose; thrown anywhere, turned into problem+json in one place. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly options: { code?: ProblemCode; detail?: string; errors?: Record<string, string[]>; headers?: Record<string, string> } = {},
  ) {
    super(options.detail ?? TITLES[status] ?? `HTTP ${status}`);
  }

  /** The error for a problem code, with the code's own status. */
  static of(code: ProblemCode, options: Omit<ApiError["options"], "code"> = {}): ApiError {
    return new ApiError(PROBLEM_STATUS[code], { ...options, code });
  }
}

export function problemBody(status: number, traceId: string, options: ApiError["options"] = {}): Problem {
  return {
    type: options.code
      ? `/docs#problem-${options.code}`
      : `https://www.rfc-editor.org/rfc/rfc9110#status.${status}`,
    title: TITLES[status] ?? `HTTP ${status}`,
    status,
    ...(options.code ? { code: options.code } : {}),
    ...(options.detail ? { detail: options.detail } : {}),
    traceId,
    ...(options.errors ? { errors: options.errors } : {}),
  };
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
