// OpenAPI response entries shared by the routes, so every status and problem code is documented once.
import { ProblemSchema } from "../orders/schemas";

export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

export const problemResponses = {
  400: problem("Validation failed; `errors` is keyed by the JSON path of each field. Nothing was stored."),
  401: problem("No, malformed, expired or badly signed bearer token (with `WWW-Authenticate: Bearer`)."),
  403: problem("The token lacks the scope `altinn:serviceowner/notifications.create` or the `urn:altinn:org` claim."),
  503: problem("Code `NOT-00004`: a dependency (database, queue, the token issuer's keys) failed; nothing was registered; safe to retry."),
};

/** For routes that take a JSON body (the `jsonBody` middleware). */
export const requestBodyProblemResponses = {
  ...problemResponses,
  413: problem("The body is larger than 256 KiB."),
  415: problem("The body is not JSON (`Content-Type` must be `application/json`)."),
};

export const orderProblemResponses = {
  ...requestBodyProblemResponses,
  422: problem("Code `NOT-10001`: the idempotencyId was already used by this organisation for a different request."),
};

export const notFoundResponse = { 404: problem("Code `NOT-00003`: no such shipment for the caller's organisation.") };
export const noSubscriptionResponse = { 404: problem("Code `NOT-00005`: the caller's organisation has no webhook.") };
