// The Worker: the HTTP API and the queue consumers. Everything that decides lives in the order's
// Durable Object; these entry points only route.
import { newApp } from "./api/app";
import { handleDispatchBatch } from "./dispatch/consumer";
import { handleEmailEventBatch } from "./reports/email-events";
import { handleReportBatch } from "./reports/queue";
import { handleDeadLetterBatch, isDeadLetterQueue } from "./retry/dead-letters";

export { OrderObject } from "./orders/order-object";
export { ProviderHealth } from "./providers/failover/provider-health";
export { ProviderSimulator } from "./simulator/provider-simulator";
export { ShardDirectory } from "./store/shard-directory";
export { ShardWriter } from "./store/shard-writer";
export { WebhookObject } from "./webhooks/webhook-object";
export { LimitsObject } from "./limits/limits-object";
export { DeadLetterObject } from "./retry/dead-letter-object";
export { VerificationObject } from "./verifications/verification-object";

const app = newApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    // First: a dead-letter queue's name starts with its original queue's.
    if (isDeadLetterQueue(batch.queue)) return handleDeadLetterBatch(batch, env);
    if (batch.queue.startsWith("email-events")) return handleEmailEventBatch(batch, env);
    if (batch.queue.startsWith("provider-reports")) return handleReportBatch(batch, env);
    return handleDispatchBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
