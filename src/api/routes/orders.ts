// POST /future/orders/instant/{sms,email} and the deprecated /future/orders/instant.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { toEmailOrder, toSmsOrder, type Order, type OrderDefaults } from "../../orders/order";
import { DeprecatedSmsOrderSchema, EmailOrderSchema, OrderResponseSchema, SmsOrderSchema } from "../../orders/schemas";
import { BASE_PATH, type AppContext, type AppEnv } from "../context";
import { jsonBody } from "../middleware";
import { caseInsensitive } from "../property-names";
import { ApiError, dependencyFailed, validationFailed } from "../problem";
import { orderProblemResponses } from "../responses";
import { registerAndDispatch } from "../../dispatch/first-attempt";
import { log } from "../../log";
import { smsProviderNames } from "../../providers/names";
import type { LimitRefusal } from "../../limits/check";
import { emailSenderRefusal, idempotencyMismatchFor, type IdempotencyMismatch } from "../../limits/config";
import type { OrderResponse } from "../../orders/order-object";

const SMS_PATH = `${BASE_PATH}/future/orders/instant/sms`;
/** Marks the first request's answer given to a different request under the same key (CONTRACT "Idempotency"). */
const MISMATCH_HEADER = "Idempotency-Mismatch";
// RFC 9745: deprecated since 2026-01-01; RFC 8594's successor link.
const DEPRECATION_HEADERS = { Deprecation: "@1767225600", Link: `<${SMS_PATH}>; rel="successor-version"` };

/** Set on an SMS order's 201 and its replays when its sender is sent as the configured default instead of the one given. */
const SENDER_REPLACED = "Sender-Replaced";
const senderReplacedHeader = {
  [SENDER_REPLACED]: {
    schema: { type: "string" as const, enum: ["true"] },
    description:
      "Present (`true`) when `smsSettings.sender` cannot be carried by every configured SMS provider, so the configured default sender is sent instead; " +
      "the shipment's status history says why. Absent when the sender is sent as given (or none was given).",
  },
};

const location = { Location: { schema: { type: "string" as const }, description: "The shipment's URL." } };
const registered = {
  201: {
    description: "Registered and handed to delivery (not yet delivered). `Location` points at the shipment.",
    headers: location,
    content: { "application/json": { schema: OrderResponseSchema } },
  },
  200: {
    description:
      "This idempotencyId was already registered: the identical body of the first answer; nothing new was stored or sent. " +
      "If this request differs from the first (another body, subject, recipient, endpoint…), it was ignored, as Altinn ignores it, " +
      "and the answer carries `Idempotency-Mismatch: true`; an identical repeat carries no such header. " +
      "Where the deployment (`IDEMPOTENCY_MISMATCH = \"reject\"`) or the organisation chose the strict answer, a different request is a 422 `NOT-10001` instead.",
    headers: {
      [MISMATCH_HEADER]: {
        schema: { type: "string" as const, enum: ["true"] },
        description: "Present (`true`) only when this request differs from the one first registered under its idempotencyId: this request was not sent.",
      },
    },
    content: { "application/json": { schema: OrderResponseSchema } },
  },
};
/** An SMS order's answers say whether its sender was replaced. */
const smsRegistered = {
  201: { ...registered[201], headers: { ...location, ...senderReplacedHeader } },
  200: {
    ...registered[200],
    description: `${registered[200].description} \`Sender-Replaced\` as on the 201.`,
    headers: { ...registered[200].headers, ...senderReplacedHeader },
  },
};

// Property names are read case-insensitively, as ASP.NET reads Altinn's requests.
const SMS_REQUEST = caseInsensitive(SmsOrderSchema);
const EMAIL_REQUEST = caseInsensitive(EmailOrderSchema);
const DEPRECATED_REQUEST = caseInsensitive(DeprecatedSmsOrderSchema);

const orderRoute = <S extends typeof SMS_REQUEST | typeof EMAIL_REQUEST | typeof DEPRECATED_REQUEST>(
  operationId: string,
  path: string,
  schema: S,
  summary: string,
  deprecated = false,
) =>
  createRoute({
    operationId,
    method: "post",
    path,
    summary,
    deprecated,
    tags: ["Orders"],
    security: [{ Bearer: [] }],
    middleware: deprecated ? [deprecationHeaders, ...jsonBody] : jsonBody,
    request: {
      body: {
        required: true,
        description:
          "Property names match case-insensitively, as ASP.NET reads them (`RecipientSms` is `recipientSms`, at every level); " +
          "two names in one object that differ only by case are a 400. Unknown properties are ignored.",
        content: { "application/json": { schema } },
      },
    },
    responses: { ...(schema === EMAIL_REQUEST ? registered : smsRegistered), ...orderProblemResponses },
  });

/** What the deprecated endpoint says when given the /instant/sms body (recipientSms at the top level). */
function deprecatedBodyHint(input: unknown): string | undefined {
  const names = typeof input === "object" && input !== null ? Object.keys(input).map((name) => name.toLowerCase()) : [];
  const newShape = names.includes("recipientsms") && !names.includes("recipient");
  return newShape ? `This deprecated endpoint takes recipient.recipientSms; a body with recipientSms at the top level goes to POST ${SMS_PATH}.` : undefined;
}

/** Every answer of the deprecated endpoint says so, errors included (beside a problem's own help link). */
const deprecationHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.res.headers.set("Deprecation", DEPRECATION_HEADERS.Deprecation);
  c.res.headers.append("Link", DEPRECATION_HEADERS.Link);
};

function defaults(c: AppContext): OrderDefaults {
  return { smsSender: c.env.DEFAULT_SMS_SENDER, emailSender: c.env.DEFAULT_EMAIL_SENDER, smsProviders: smsProviderNames(c.env) };
}

const senderReplaced = (replaced: boolean | undefined): Record<string, string> => (replaced ? { [SENDER_REPLACED]: "true" } : {});

/**
 * Registers the order and starts its first attempt (one call of dispatch/), then says so in HTTP.
 * `phoneField` is where the request carries the phone number (the deprecated endpoint nests it deeper),
 * so a refused country is reported on that field, like a validation failure.
 */
async function register(c: AppContext, order: Order, phoneField = "recipientSms.phoneNumber") {
  const org = c.get("org");
  const outcome = await registerAndDispatch(c.env, org, order, { waitUntil: (work) => c.executionCtx.waitUntil(work), traceId: c.get("traceId") });
  switch (outcome.kind) {
    case "created":
      return c.json(outcome.response, 201, {
        Location: `${BASE_PATH}/future/shipment/${outcome.response.notification.shipmentId}`,
        ...senderReplaced(order.channel === "sms" && order.senderReplaced !== undefined),
      });
    case "replayed":
      return c.json(outcome.response, 200, senderReplaced(outcome.senderReplaced));
    case "conflict":
      return mismatched(c, org, outcome.response);
    case "refused":
      throw limitRefusalError(outcome.refusal, phoneField);
    case "unavailable":
      throw dependencyFailed("A dependency failed; nothing was registered. Retry with the same idempotencyId.", outcome.overloaded);
  }
}

/**
 * A different request under a used key: the first request's answer, marked, and this request ignored
 * (as Altinn answers), or the strict 422 where the deployment or the organisation chose it. An order
 * object of an earlier version answers a conflict without the stored answer: then the 422 it answered.
 */
function mismatched(c: AppContext, org: string, first: OrderResponse | undefined) {
  const answer: IdempotencyMismatch = first ? setting(org, "idempotency.config_invalid", () => idempotencyMismatchFor(c.env, org)) : "reject";
  log("idempotency.mismatch", { shipmentId: first?.notification.shipmentId, answer });
  if (answer === "replay" && first) return c.json(first, 200, { [MISMATCH_HEADER]: "true" });
  throw ApiError.of("NOT-10001", {
    detail: "This idempotencyId was already used for a different request. Use a new idempotencyId for a new message.",
  });
}

/** A setting read for this request: an invalid one is logged and answered 503, never a silent default. */
function setting<T>(org: string, event: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    log(event, { org, problem: error instanceof Error ? error.message : String(error) });
    throw ApiError.of("NOT-00004", { detail: "A dependency failed; nothing was registered. Retry with the same idempotencyId." });
  }
}

/** A sender address the deployment or the organisation does not allow: a 400 naming the field. */
export function checkEmailSender(c: AppContext, given: string | null | undefined, field = "recipientEmail.emailSettings.senderEmailAddress"): void {
  if (given == null) return; // the configured default is the deployment's own
  const org = c.get("org");
  const refusal = setting(org, "limits.config_invalid", () => emailSenderRefusal(c.env, org, given));
  if (refusal) throw new ApiError(400, { detail: "Validation failed.", errors: { [field]: [refusal] } });
}

/** A limit's refusal in HTTP: a country as a 400 on the phone number's field, any other limit as its 429 with Retry-After. */
export function limitRefusalError(refusal: LimitRefusal, phoneField: string): ApiError {
  if (refusal.kind === "country") return new ApiError(400, { detail: "Validation failed.", errors: { [phoneField]: [refusal.message] } });
  return ApiError.of(refusal.code, { detail: refusal.detail, headers: { "Retry-After": String(refusal.retryAfterSeconds) } });
}

export function registerOrderRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(orderRoute("registerInstantSms", SMS_PATH, SMS_REQUEST, "Send one SMS to one recipient, now"), (c) =>
    register(c, toSmsOrder(c.req.valid("json"), defaults(c))),
  );
  app.openapi(orderRoute("registerInstantEmail", `${BASE_PATH}/future/orders/instant/email`, EMAIL_REQUEST, "Send one email to one recipient, now"), (c) => {
    const request = c.req.valid("json");
    checkEmailSender(c, request.recipientEmail.emailSettings.senderEmailAddress);
    return register(c, toEmailOrder(request, defaults(c)));
  });
  app.openapi(
    orderRoute("registerInstantNotification", `${BASE_PATH}/future/orders/instant`, DEPRECATED_REQUEST, "Deprecated: use /future/orders/instant/sms", true),
    (c) => {
      const { recipient, ...rest } = c.req.valid("json");
      return register(c, toSmsOrder({ ...rest, recipientSms: recipient.recipientSms }, defaults(c)), "recipient.recipientSms.phoneNumber");
    },
    // jsonBody has parsed the body already: it is a JSON object, and reading it again is cached.
    (result, c) => {
      if (result.success) return undefined;
      return c.req.json().then((input: unknown) => {
        throw validationFailed(result.error.issues, deprecatedBodyHint(input));
      });
    },
  );
}
