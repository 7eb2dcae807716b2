// The status-callback API's schemas, written once: they validate, type the handlers and describe the
// OpenAPI document. Optional fields also take null, meaning "left out", as elsewhere in the API.
// The receiver URL's rules depend on the environment, so url-rules.ts checks them in the handler.
import { z } from "@hono/zod-openapi";
import { MAX_URL_LENGTH } from "./url-rules";

export const EVENT_FILTERS = ["final", "all"] as const;
export type EventFilter = (typeof EVENT_FILTERS)[number];
export const DELIVERY_STATES = ["pending", "delivered", "failed"] as const;
/** The kinds of callback, as each body's `type` says. */
export const CALLBACK_TYPES = ["shipment.status", "verification.status"] as const;

const url = z.string().openapi({
  description:
    `The receiver: https (http only to localhost, 127.0.0.1 or [::1] in local development), no user info, at most ${MAX_URL_LENGTH} characters. ` +
    "In production: port 443 (or one the deployment allows), not localhost, and not an IP address in a non-public range, in any spelling (docs/callbacks.md).",
  example: "https://example.com/notifications/callbacks",
});
const events = z.enum(EVENT_FILTERS, "Must be final or all.").openapi({
  description:
    "`final`: one event per shipment, at its final status. `all`: every applied recipient status change. " +
    "Either kind also gets one `verification.status` event when a verification ends.",
  example: "final",
});
const timestamp = z.string().openapi({ example: "2026-11-29T08:25:14Z" });

export const SubscriptionRequestSchema = z
  .object({
    url,
    events: events.nullish().transform((v) => v ?? "final"),
    rotateSecret: z
      .boolean("Must be true or false.")
      .nullish()
      .openapi({ description: "Make a new secret; for 24 hours deliveries are signed by the old one too.", example: false }),
  })
  .openapi("WebhookSubscriptionRequest");
export type SubscriptionRequest = z.infer<typeof SubscriptionRequestSchema>;

const subscriptionFields = { url, events, createdAt: timestamp, updatedAt: timestamp };

export const SubscriptionPutAnswerSchema = z
  .object({
    ...subscriptionFields,
    secret: z.string().optional().openapi({
      description:
        "`whsec_` + base64 of 32 random bytes: the Standard Webhooks signing key. Only in the answer that made it (the PUT that " +
        "created the subscription, or one with `rotateSecret: true`); no later answer shows it, GET never does.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .openapi("WebhookSubscriptionPutAnswer");
export type SubscriptionPutAnswer = z.infer<typeof SubscriptionPutAnswerSchema>;

export const SubscriptionSchema = z
  .object({
    ...subscriptionFields,
    disabled: z.boolean().openapi({ description: "True after the receiver answered 410 Gone; a PUT enables it again." }),
    disabledReason: z.string().optional().openapi({ example: "The receiver answered 410 Gone at 2026-11-29T08:25:14.000Z." }),
  })
  .openapi("WebhookSubscription");
export type Subscription = z.infer<typeof SubscriptionSchema>;

export const DeliverySchema = z
  .object({
    id: z.string().openapi({
      description: "The event's id: the `webhook-id` header of every attempt. `{shipmentId}.{n}` for a shipment's status, `verification.{verificationId}.{status}` for a verification's end.",
      example: "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c21.4",
    }),
    type: z.enum(CALLBACK_TYPES).openapi({ description: "The callback body's `type`: a shipment's status, or a verification's end.", example: "shipment.status" }),
    shipmentId: z.uuid().optional().openapi({ description: "The shipment whose status the event reports (`shipment.status`)." }),
    verificationId: z.string().optional().openapi({ description: "The verification that ended (`verification.status`)." }),
    status: z.string().openapi({
      description: "The recipient status the event reports, or how the verification ended (`approved`, `expired`, `max_attempts`).",
      example: "SMS_Delivered",
    }),
    state: z.enum(DELIVERY_STATES),
    attempts: z.number().int(),
    createdAt: timestamp,
    lastAttemptAt: timestamp.optional(),
    lastResponseStatus: z.number().int().optional().openapi({ description: "The receiver's HTTP status at the last attempt; absent when it gave none (timeout, refused connection).", example: 200 }),
    nextAttemptAt: timestamp.optional(),
  })
  .openapi("WebhookDelivery");
export type Delivery = z.infer<typeof DeliverySchema>;

export const DeliveriesQuerySchema = z.object({
  state: z.enum(DELIVERY_STATES, "Must be pending, delivered or failed.").optional().openapi({ description: "Only deliveries in this state." }),
});
