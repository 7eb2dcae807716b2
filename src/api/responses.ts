// OpenAPI response entries shared by the routes, so every status and problem code is documented once.
import { ProblemSchema } from "../orders/schemas";
import { problemBody, problemHelpPath, type ProblemCode, type ProblemOptions } from "./problem";

const helpLink = (code: ProblemCode) => ({
  Link: {
    schema: { type: "string" as const },
    description: 'Where the problem\'s code is explained: `</docs#problem-<code>>; rel="help"`.',
    example: `<${problemHelpPath(code)}>; rel="help"`,
  },
});

/**
 * A documented problem response, its example built by the same function that builds real ones. A coded
 * one documents its help link too.
 */
export const problem = (description: string, status: number, options: ProblemOptions & { code?: ProblemCode }) => ({
  description,
  ...(options.code ? { headers: helpLink(options.code) } : {}),
  content: {
    "application/problem+json": { schema: ProblemSchema, example: problemBody(status, "0f596100-287c-4eb5-9d11-b161e5b5063d", options) },
  },
});

export const problemResponses = {
  400: problem("Validation failed; `errors` is keyed by the JSON path of each field. Nothing was stored.", 400, {
    detail: "Validation failed.",
    errors: { "recipientSms.phoneNumber": ["Required"] },
  }),
  401: problem("No, malformed, expired or badly signed bearer token (with `WWW-Authenticate: Bearer`).", 401, { detail: "The token has expired." }),
  403: problem("The token lacks the scope `altinn:serviceowner/notifications.create` or the `urn:altinn:org` claim.", 403, {
    detail: "The token lacks the scope altinn:serviceowner/notifications.create.",
  }),
  503: {
    ...problem(
      "Code `NOT-00004`: a dependency (database, queue, a Durable Object, the token issuer's keys) failed; nothing was registered; safe to retry. " +
        "With `Retry-After` (an overloaded Durable Object): not before that many seconds.",
      503,
      { code: "NOT-00004", detail: "A dependency failed; nothing was registered. Retry with the same idempotencyId." },
    ),
    headers: {
      ...helpLink("NOT-00004"),
      "Retry-After": {
        schema: { type: "integer" as const, minimum: 1 },
        description: "Present when a Durable Object was overloaded: whole seconds (1) to wait before retrying; retrying at once adds to the overload.",
      },
    },
  },
};

/** For routes that take a JSON body (the `jsonBody` middleware). */
export const requestBodyProblemResponses = {
  ...problemResponses,
  400: problem(
    "Validation failed; `errors` is keyed by the JSON path of each field. Also an SMS to a country the limits do not allow " +
      "(`errors[\"recipientSms.phoneNumber\"]` names the country). Nothing was stored.",
    400,
    { detail: "Validation failed.", errors: { "recipientSms.phoneNumber": ["SMS to Sweden (SE) is not allowed for this organisation."] } },
  ),
  413: problem("The body is larger than 256 KiB.", 413, { detail: "The body must be at most 262144 bytes." }),
  415: problem("The body is not JSON (`Content-Type` must be `application/json`).", 415, { detail: "Content-Type must be application/json." }),
};

export const orderProblemResponses = {
  ...requestBodyProblemResponses,
  422: problem(
    "Code `NOT-10001`: the idempotencyId was already used by this organisation for a different request; nothing was stored or sent. " +
      "Only where the deployment (`IDEMPOTENCY_MISMATCH = \"reject\"`) or the organisation chose this strict answer; " +
      "by default such a request gets the 200 with the first answer and `Idempotency-Mismatch: true`.",
    422,
    {
      code: "NOT-10001",
      detail: "This idempotencyId was already used for a different request. Use a new idempotencyId for a new message.",
    },
  ),
  429: {
    ...problem(
      "A limit was reached; nothing was registered and the idempotencyId is not remembered. Code `NOT-10002`: the organisation's " +
        "request rate; `NOT-10003`: messages to one recipient; `NOT-10004`: the organisation's daily volume of the channel. " +
        "`detail` names the limit (never the recipient). A replay of an already registered request is never refused.",
      429,
      { code: "NOT-10003", detail: "Limit reached: 5 SMS per 10 minutes to one phone number. Retry after 598 seconds." },
    ),
    headers: {
      ...helpLink("NOT-10003"),
      "Retry-After": { schema: { type: "integer" as const, minimum: 1 }, description: "Whole seconds until the request could succeed." },
    },
  },
};

export const notFoundResponse = {
  404: problem("Code `NOT-00003`: no such shipment for the caller's organisation.", 404, { code: "NOT-00003", detail: "No such shipment for this organisation." }),
};
export const noSubscriptionResponse = {
  404: problem("Code `NOT-00005`: the caller's organisation has no webhook.", 404, { code: "NOT-00005", detail: "This organisation has no webhook. PUT one first." }),
};
