// The caller's status-callback subscription: PUT/GET/DELETE /future/webhook, its deliveries and their
// retry. Each organisation's lives in its own Durable Object (src/webhooks/). (Providers' delivery
// reports, inbound, are src/reports/.)
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import {
  DeliveriesQuerySchema,
  DeliverySchema,
  SubscriptionRequestSchema,
  SubscriptionPutAnswerSchema,
  SubscriptionSchema,
} from "../../webhooks/schemas";
import { isLocal } from "../../config/environment";
import { allowedPortsOf, receiverUrlProblem } from "../../webhooks/url-rules";
import { webhookStub } from "../../webhooks/stub";
import { BASE_PATH, type AppContext, type AppEnv } from "../context";
import { jsonBody } from "../middleware";
import { ApiError, dependencyFailed } from "../problem";
import { isOverloaded } from "../../retry/overloaded";
import { noSubscriptionResponse, problem, problemResponses, requestBodyProblemResponses } from "../responses";
import { logError } from "../../log";
import { shardOf, shardWriter } from "../../store/shards";
import { subscriptionSettleMs, type FilterNote, type SubscriptionFilter } from "../../webhooks/subscription-filter";

const PATH = `${BASE_PATH}/future/webhook`;
const common = { tags: ["Status callbacks"], security: [{ Bearer: [] }] };

/** Calls the organisation's status-callback object; if it fails, a 503 (nothing changed, safe to retry). */
async function callbacks<T>(c: AppContext, call: (stub: ReturnType<typeof webhookStub>) => Promise<T>): Promise<T> {
  try {
    return await call(webhookStub(c.env, c.get("org")));
  } catch (error) {
    logError("callbacks.object_failed", error, { traceId: c.get("traceId") });
    throw dependencyFailed("The status-callback store failed. Retry shortly.", isOverloaded(error));
  }
}

/** Tells the organisation's shard writer which status events to forward to its callback object (src/webhooks/subscription-filter.ts). */
async function noteSubscription(env: Env, org: string, events: FilterNote): Promise<SubscriptionFilter | null> {
  const shard = await shardOf(env, org);
  return shardWriter(env, shard).noteSubscription(org, events);
}

function noSubscription(): never {
  throw ApiError.of("NOT-00005", { detail: "This organisation has no webhook. PUT one first." });
}

export function registerStatusCallbackRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      ...common,
      method: "put",
      path: PATH,
      operationId: "putWebhook",
      summary: "Create or replace the organisation's status-callback subscription",
      middleware: jsonBody,
      request: { body: { required: true, content: { "application/json": { schema: SubscriptionRequestSchema } } } },
      responses: {
        200: {
          description:
            "The subscription. `secret` only when this PUT made it: the PUT that created the subscription, or one with `rotateSecret: true`. " +
            "Later PUTs keep the secret and do not show it; GET never does.",
          content: { "application/json": { schema: SubscriptionPutAnswerSchema } },
        },
        ...requestBodyProblemResponses,
      },
    }),
    async (c) => {
      const request = c.req.valid("json");
      const urlProblem = receiverUrlProblem(request.url, !isLocal(c.env), allowedPortsOf(c.env.CALLBACK_ALLOWED_PORTS));
      if (urlProblem) throw new ApiError(400, { detail: "Validation failed.", errors: { url: [urlProblem] } });
      const org = c.get("org");
      // The shard writer learns of it first, so no status change after it exists goes unforwarded.
      const previous = await callbacks(c, () => noteSubscription(c.env, org, request.events));
      const subscription = await callbacks(c, (stub) => stub.subscribe(org, request));
      // Once more after: a DELETE that ran meanwhile may have made the writer forget it.
      await noteSubscription(c.env, org, request.events).catch((error) => logError("callbacks.note_failed", error, { traceId: c.get("traceId") }));
      // Newly every status: orders may still hold the writer's older answer and gather their changes; once
      // that answer has run out, every change leaves within a second (src/webhooks/subscription-filter.ts).
      const settle = subscriptionSettleMs(c.env, previous, request.events);
      if (settle > 0) await scheduler.wait(settle);
      return c.json(subscription, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: PATH,
      operationId: "getWebhook",
      summary: "The organisation's status-callback subscription, without its secret",
      responses: {
        200: { description: "The subscription; `disabled` after the receiver answered 410 Gone.", content: { "application/json": { schema: SubscriptionSchema } } },
        ...problemResponses,
        ...noSubscriptionResponse,
      },
    }),
    async (c) => {
      const subscription = await callbacks(c, (stub) => stub.subscription());
      return subscription ? c.json(subscription, 200) : noSubscription();
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "delete",
      path: PATH,
      operationId: "deleteWebhook",
      summary: "Delete the subscription; pending deliveries are dropped",
      responses: { 204: { description: "Deleted, with its deliveries." }, ...problemResponses, ...noSubscriptionResponse },
    }),
    async (c) => {
      // Forgotten first (forwarding resumes until the callback object answers it has none), never the other way round.
      await callbacks(c, () => noteSubscription(c.env, c.get("org"), null));
      return (await callbacks(c, (stub) => stub.unsubscribe())) ? c.body(null, 204) : noSubscription();
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "get",
      path: `${PATH}/deliveries`,
      operationId: "listWebhookDeliveries",
      summary: "The latest 100 deliveries, newest first",
      request: { query: DeliveriesQuerySchema },
      responses: {
        200: { description: "Deliveries, optionally only those in one state.", content: { "application/json": { schema: z.array(DeliverySchema) } } },
        ...problemResponses,
        ...noSubscriptionResponse,
      },
    }),
    async (c) => {
      const { state } = c.req.valid("query");
      const deliveries = await callbacks(c, (stub) => stub.deliveries(state));
      return deliveries ? c.json(deliveries, 200) : noSubscription();
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${PATH}/deliveries/{id}/retry`,
      operationId: "retryWebhookDelivery",
      summary: "Send a failed delivery again now, with the same id",
      request: { params: z.object({ id: z.string().max(200).openapi({ example: "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c21.4" }) }) },
      responses: {
        202: { description: "The delivery is pending again and its first attempt is under way; the retry schedule starts anew." },
        ...problemResponses,
        404: problem("No such delivery, or (code `NOT-00005`) no subscription.", 404, { detail: "No such delivery for this organisation." }),
        409: problem("The delivery is not failed (it is pending or delivered), or the subscription is disabled (PUT it to enable it).", 409, {
          detail: "Only a failed delivery can be retried.",
        }),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const result = await callbacks(c, (stub) => stub.retry(id));
      switch (result) {
        case "accepted":
          return c.body(null, 202);
        case "no_subscription":
          return noSubscription();
        case "unknown":
          throw new ApiError(404, { detail: "No such delivery for this organisation." });
        case "not_failed":
          throw new ApiError(409, { detail: "Only a failed delivery can be retried." });
        case "disabled":
          throw new ApiError(409, { detail: "The subscription is disabled; PUT it to enable it again." });
      }
    },
  );
}
