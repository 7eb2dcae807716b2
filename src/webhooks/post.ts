// One attempt on the wire: the signed POST to the receiver and what its answer means. Signed at the
// lease's time (the attempt's webhook-timestamp), by every secret that signs then (two during a rotation).
import { isLocal } from "../config/environment";
import type { DeliveryRow } from "./decide";
import { resultOfError, resultOfResponse, type AttemptResult } from "./schedule";
import { webhookHeaders } from "./signing";
import { signingSecrets, type SubscriptionRow } from "./subscription";
import { allowedPortsOf, receiverUrlProblem } from "./url-rules";

/** `signal`: the attempt's timeout, made when it is sent (pool.ts), never while it waited for a place. */
export async function postAttempt(env: Env, sub: SubscriptionRow, delivery: DeliveryRow, signal: AbortSignal): Promise<AttemptResult> {
  // A URL the rules refuse now (stored before the rule existed) is never called: a failed attempt.
  const refused = receiverUrlProblem(sub.url, !isLocal(env), allowedPortsOf(env.CALLBACK_ALLOWED_PORTS));
  if (refused !== null) return { kind: "failed", reason: `the receiver URL is not allowed: ${refused}` };
  const startedAt = delivery.last_attempt_at ?? Date.now();
  try {
    const body = delivery.body ?? "";
    const response = await fetch(sub.url, {
      method: "POST",
      headers: await webhookHeaders(signingSecrets(sub, startedAt), delivery.id, Math.floor(startedAt / 1000), body),
      body,
      redirect: "manual",
      signal,
    });
    await response.body?.cancel();
    return resultOfResponse(response.status);
  } catch (error) {
    return resultOfError(error);
  }
}
