// OpenAPI response entries shared by the routes, so every status and problem code is documented once.
import { ProblemSchema } from "../orders/schemas";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

export const problemResponses = {
  400: problem("Validation failed; `errors` is keyed by the JSON path of each field. Nothing was stored."),
  401: problem("No, malformed, expired or badly signed bearer token (with `WWW-Authenticate: Bearer`)."),
  403: problem("The token lacks the scope `altinn:serviceowner/notifications.create` or the `urn:altinn:org` claim."),
  503: problem("Code `NOT-00004`: a dependency (database, queue, the token issuer's keys) failed; nothing was registered; safe to retry."),
};

export const orderProblemResponses = {
  ...problemResponses,
  400: problem(
    "Validation failed; `errors` is keyed by the JSON path of each field. Also an SMS to a country the limits do not allow " +
      "(`errors[\"recipientSms.phoneNumber\"]` names the country). Nothing was stored.",
  ),
  413: problem("The body is larger than 256 KiB."),
  415: problem("The body is not JSON (`Content-Type` must be `application/json`)."),
  422: problem("Code `NOT-10001`: the idempotencyId was already used by this organisation for a different request."),
  429: {
    ...problem(
      "A limit was reached; nothing was registered and the idempotencyId is not remembered. Code `NOT-10002`: the organisation's " +
        "request rate; `NOT-10003`: messages to one recipient; `NOT-10004`: the organisation's daily volume of the channel. " +
        "`detail` names the limit. A replay of an already registered request is never refused.",
    ),
    headers: { "Retry-After": { schema: { type: "integer" as const, minimum: 1 }, description: "Whole seconds until the request could succeed." } },
  },
};

export const notFoundResponse = { 404: problem("Code `NOT-00003`: no such shipment for the caller's organisation.") };
