// One error envelope: every failure leaves the service as application/problem+json (RFC 9457).

export type ProblemCode = "NOT-00003" | "NOT-00004" | "NOT-00005" | "NOT-10001";

/** NOT-00003 and NOT-00004 are Altinn's; NOT-00005 and NOT-10001 are ours. Each is listed in the README and OpenAPI. */
export const PROBLEM_CODES: Record<ProblemCode, string> = {
  "NOT-00003": "Shipment not found: unknown, another organisation's, or not a UUID. Use the shipmentId (or Location) of the 201.",
  "NOT-00004": "A dependency (database, queue or the token issuer's keys) failed; nothing was registered. Safe to retry with the same idempotencyId.",
  "NOT-00005": "This organisation has no status-callback subscription (webhook). PUT /future/webhook makes one.",
  "NOT-10001":
    "The idempotencyId was already used by this organisation for a different request; nothing was registered or sent. " +
    "A new message needs a new idempotencyId; a retry must repeat the same request.",
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
