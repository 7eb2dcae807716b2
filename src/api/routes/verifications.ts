// One-time codes: POST /future/verifications/{sms,email}, …/{id}/check, …/{id}/resend, GET …/{id}
// (CONTRACT "One-time codes (verifications)"). The verification's Durable Object decides everything;
// these handlers validate, find it, and say what it answered in HTTP.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { normalizePhoneNumber } from "../../orders/phone-number";
import { contentTypeOf } from "../../orders/schemas";
import { verificationIdFor, verificationStub } from "../../verifications/key";
import type { VerificationRequest } from "../../verifications/request";
import {
  CheckResultSchema,
  CheckSchema,
  EmailVerificationSchema,
  ResendResultSchema,
  ResendSchema,
  SmsVerificationSchema,
  VerificationCreatedSchema,
  VerificationSchema,
} from "../../verifications/schemas";
import type { CheckOutcome, ResendOutcome, StartOutcome } from "../../verifications/verification-object";
import type { VerificationView } from "../../status/verification";
import { checkRefusal, countCheck } from "../../limits/check-rate";
import { BASE_PATH, type AppContext, type AppEnv } from "../context";
import { jsonBody } from "../middleware";
import { caseInsensitive } from "../property-names";
import { ApiError, dependencyFailed, orUnavailable } from "../problem";
import { isUuid } from "../../encoding/uuid";
import { orderProblemResponses, problem, problemResponses, requestBodyProblemResponses } from "../responses";
import { limitRefusalError, checkEmailSender } from "./orders";

const PATH = `${BASE_PATH}/future/verifications`;
const TAGS = ["Verifications"];

const notFound = () => ApiError.of("NOT-20002", { detail: "No such verification for this organisation." });
const notFoundResponse = { 404: problem("Code `NOT-20002`: no such verification for the caller's organisation.", 404, { code: "NOT-20002", detail: "No such verification for this organisation." }) };
const UNAVAILABLE = "A dependency failed; nothing was sent. Retry with the same idempotencyId.";
const unavailable = (overloaded?: boolean) => dependencyFailed(UNAVAILABLE, overloaded);

// Property names are read case-insensitively, as on every route of this API.
const SMS_REQUEST = caseInsensitive(SmsVerificationSchema);
const EMAIL_REQUEST = caseInsensitive(EmailVerificationSchema);
const CHECK_REQUEST = caseInsensitive(CheckSchema);
const RESEND_REQUEST = caseInsensitive(ResendSchema);

const idParam = z.object({ verificationId: z.string().openapi({ example: "6c8a1f0e-3b2d-4e5f-9a7b-1c2d3e4f5a6b" }) });

/** The verification's object by its id; an id that is not a UUID is simply not found. */
function stubOf(c: AppContext, id: string) {
  if (!isUuid(id)) throw notFound();
  return { id: id.toLowerCase(), stub: verificationStub(c.env, id.toLowerCase()) };
}

/** A call to a verification's object: a failure is a 503 (with Retry-After when it was overloaded), never a 500. */
const call = <T>(c: AppContext, what: string, work: () => PromiseLike<T>): Promise<T> => orUnavailable(what, c.get("traceId"), UNAVAILABLE, work);

const created = {
  201: {
    description: "The code was made and its message registered and handed to delivery. `Location` points at the verification. The code is never in an answer.",
    headers: { Location: { schema: { type: "string" as const }, description: "The verification's URL." } },
    content: { "application/json": { schema: VerificationCreatedSchema } },
  },
  200: {
    description: "This idempotencyId already started a verification with the same request: the first answer again; nothing was sent.",
    content: { "application/json": { schema: VerificationCreatedSchema } },
  },
};

const startRoute = (channel: "sms" | "email", schema: typeof SMS_REQUEST | typeof EMAIL_REQUEST) =>
  createRoute({
    operationId: channel === "sms" ? "startSmsVerification" : "startEmailVerification",
    method: "post",
    path: `${PATH}/${channel}`,
    summary: channel === "sms" ? "Make a one-time code and send it by SMS" : "Make a one-time code and send it by email",
    tags: TAGS,
    security: [{ Bearer: [] }],
    middleware: jsonBody,
    request: { body: { required: true, content: { "application/json": { schema } } } },
    responses: {
      ...created,
      ...orderProblemResponses,
      422: problem(
        "Code `NOT-10001`: this idempotencyId already started a verification with a different request; nothing was sent (always strict here).",
        422,
        { code: "NOT-10001", detail: "This idempotencyId was already used for a different verification. Use a new idempotencyId." },
      ),
    },
  });

function smsRequest(r: z.infer<typeof SmsVerificationSchema>): VerificationRequest {
  const phone = normalizePhoneNumber(r.phoneNumber);
  if (!phone.ok) throw new Error("an unvalidated phone number");
  return {
    channel: "sms",
    idempotencyId: r.idempotencyId,
    ...(r.sendersReference != null ? { sendersReference: r.sendersReference } : {}),
    timeToLiveInSeconds: r.timeToLiveInSeconds,
    codeLength: r.codeLength,
    maxAttempts: r.maxAttempts,
    phoneNumber: phone.e164,
    sender: r.sender ?? null,
    message: r.message,
    ...(r.webOtpDomain != null ? { webOtpDomain: r.webOtpDomain } : {}),
    ...(r.androidAppHash != null ? { androidAppHash: r.androidAppHash } : {}),
    ...(r.fallbackEmail != null
      ? {
          fallbackEmail: {
            emailAddress: r.fallbackEmail.emailAddress,
            subject: r.fallbackEmail.subject,
            body: r.fallbackEmail.body,
            contentType: contentTypeOf(r.fallbackEmail.contentType),
            senderEmailAddress: null,
            afterSeconds: r.fallbackEmail.afterSeconds,
          },
        }
      : {}),
  };
}

function emailRequest(r: z.infer<typeof EmailVerificationSchema>): VerificationRequest {
  return {
    channel: "email",
    idempotencyId: r.idempotencyId,
    ...(r.sendersReference != null ? { sendersReference: r.sendersReference } : {}),
    timeToLiveInSeconds: r.timeToLiveInSeconds,
    codeLength: r.codeLength,
    maxAttempts: r.maxAttempts,
    emailAddress: r.emailAddress,
    subject: r.subject,
    body: r.body,
    contentType: contentTypeOf(r.contentType),
    senderEmailAddress: r.senderEmailAddress ?? null,
  };
}

async function start(c: AppContext, request: VerificationRequest) {
  const org = c.get("org");
  const verificationId = await verificationIdFor(org, request.idempotencyId);
  const stub = verificationStub(c.env, verificationId);
  const outcome = await call<StartOutcome>(c, "verification.start_failed", () => stub.start(org, verificationId, request, c.get("traceId")));
  switch (outcome.kind) {
    case "created":
      return c.json(outcome.response, 201, { Location: `${PATH}/${verificationId}` });
    case "replayed":
      return c.json(outcome.response, 200);
    case "conflict":
      throw ApiError.of("NOT-10001", { detail: "This idempotencyId was already used for a different verification. Use a new idempotencyId." });
    case "refused":
      throw limitRefusalError(outcome.refusal, request.channel === "sms" ? "phoneNumber" : "emailAddress");
    case "unavailable":
      throw unavailable(outcome.overloaded);
  }
}

export function registerVerificationRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(startRoute("sms", SMS_REQUEST), (c) => start(c, smsRequest(c.req.valid("json") as z.infer<typeof SmsVerificationSchema>)));
  app.openapi(startRoute("email", EMAIL_REQUEST), (c) => {
    const request = c.req.valid("json") as z.infer<typeof EmailVerificationSchema>;
    checkEmailSender(c, request.senderEmailAddress, "senderEmailAddress");
    return start(c, emailRequest(request));
  });

  app.openapi(
    createRoute({
      operationId: "checkVerification",
      method: "post",
      path: `${PATH}/{verificationId}/check`,
      summary: "Check a code the person typed",
      tags: TAGS,
      security: [{ Bearer: [] }],
      middleware: jsonBody,
      request: { params: idParam, body: { required: true, content: { "application/json": { schema: CHECK_REQUEST } } } },
      responses: {
        200: {
          description:
            "`approved`: the first right code. `denied`: a wrong one; `attemptsLeft` is one less (the last wrong attempt answers `denied` with `attemptsLeft: 0`). " +
            "Compared in constant time; concurrent right codes approve exactly one.",
          content: { "application/json": { schema: CheckResultSchema } },
        },
        ...requestBodyProblemResponses,
        410: problem(
          "Code `NOT-20001`: no code can be approved any more; the problem's `status` is `approved`, `expired` or `max_attempts`.",
          410,
          { code: "NOT-20001", detail: "This verification is no longer pending: it was approved.", verificationStatus: "approved" },
        ),
        429: orderProblemResponses[429],
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { id, stub } = stubOf(c, c.req.valid("param").verificationId);
      const org = c.get("org");
      const refusal = checkRefusal(c.env, org);
      if (refusal) throw limitRefusalError(refusal, "code");
      const outcome = await call<CheckOutcome>(c, "verification.check_failed", () => stub.check(org, id, c.req.valid("json").code));
      if (!(outcome.kind === "judged" && outcome.paidByStart)) countCheck(c.env, org, (work) => c.executionCtx.waitUntil(work));
      if (outcome.kind === "not_found") throw notFound();
      const { answer } = outcome;
      if (answer.kind === "not_pending") {
        throw ApiError.of("NOT-20001", { detail: `This verification is no longer pending: ${ENDS[answer.status]}.`, verificationStatus: answer.status });
      }
      return c.json({ verificationId: id, status: answer.kind, attemptsLeft: answer.attemptsLeft }, 200);
    },
  );

  app.openapi(
    createRoute({
      operationId: "resendVerification",
      method: "post",
      path: `${PATH}/{verificationId}/resend`,
      summary: "Send the same code again, on the verification's channel",
      tags: TAGS,
      security: [{ Bearer: [] }],
      middleware: jsonBody,
      request: { params: idParam, body: { required: true, content: { "application/json": { schema: RESEND_REQUEST } } } },
      responses: {
        201: { description: "The same code, channel and text as a new message of the verification.", content: { "application/json": { schema: ResendResultSchema } } },
        200: { description: "This resend idempotencyId was already used: the same answer; nothing was sent.", content: { "application/json": { schema: ResendResultSchema } } },
        ...requestBodyProblemResponses,
        409: problem("Code `NOT-20003`: not pending, or 2 resends already; nothing was sent.", 409, { code: "NOT-20003", detail: "This verification has had its 2 resends." }),
        429: orderProblemResponses[429],
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { id, stub } = stubOf(c, c.req.valid("param").verificationId);
      const org = c.get("org");
      const outcome = await call<ResendOutcome>(c, "verification.resend_failed", () => stub.resend(org, id, c.req.valid("json").idempotencyId, c.get("traceId")));
      switch (outcome.kind) {
        case "created":
          return c.json({ shipmentId: outcome.shipmentId }, 201);
        case "replayed":
          return c.json({ shipmentId: outcome.shipmentId }, 200);
        case "not_found":
          throw notFound();
        case "refused_resend":
          throw ApiError.of("NOT-20003", {
            detail: outcome.reason === "too_many" ? "This verification has had its 2 resends; nothing was sent." : "This verification is no longer pending; nothing was sent.",
          });
        case "refused":
          throw limitRefusalError(outcome.refusal, "idempotencyId");
        case "unavailable":
          throw unavailable(outcome.overloaded);
      }
    },
  );

  app.openapi(
    createRoute({
      operationId: "getVerification",
      method: "get",
      path: `${PATH}/{verificationId}`,
      summary: "A verification's state and its messages (never the code)",
      tags: TAGS,
      security: [{ Bearer: [] }],
      request: { params: idParam },
      responses: {
        200: { description: "Its state, and each message's shipment, first message first.", content: { "application/json": { schema: VerificationSchema } } },
        ...problemResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { id, stub } = stubOf(c, c.req.valid("param").verificationId);
      const view = await call<VerificationView | null>(c, "verification.read_failed", () => stub.view(c.get("org"), id));
      return view ? c.json(view, 200) : Promise.reject(notFound());
    },
  );
}

const ENDS = { approved: "it was approved", expired: "it expired", max_attempts: "it ran out of attempts" } as const;
