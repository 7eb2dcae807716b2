// Azure Communication Services Email answers and Event Grid delivery reports → contract statuses
// (ACS Email's operation statuses and Event Grid delivery reports, with the codes and texts Altinn's client handles).
import { z } from "zod";
import type { EMAIL_FINAL, EmailStatus } from "../../status/statuses";
import { notProcessed, transientHttp } from "../http";
import { lookup, type ProviderOutcome } from "../outcome";

type EmailFinal = (typeof EMAIL_FINAL)[number];
export type EmailOutcome = ProviderOutcome<EmailStatus>;

const ErrorBody = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

/** Maps the answer to `POST /emails:send`: 202 starts a long-running operation whose id is our Operation-Id. */
export function mapAcsSendResponse(httpStatus: number, body: unknown, operationId: string, retryAfterMs?: number): EmailOutcome {
  if (httpStatus >= 200 && httpStatus < 300) {
    const id = typeof (body as { id?: unknown } | null)?.id === "string" ? (body as { id: string }).id : operationId;
    return { kind: "accepted", status: "Email_Succeeded", providerRef: id.toLowerCase() };
  }
  // 429 TooManyRequests and 5xx were not processed: retry, no sooner than retry-after says.
  if (notProcessed(httpStatus)) return transientHttp(httpStatus, retryAfterMs);
  const error = ErrorBody.safeParse(body);
  const code = error.success ? error.data.error.code : undefined;
  const message = error.success ? error.data.error.message ?? "" : "";
  const detail = `acs ${code ?? `http ${httpStatus}`}`;
  if (code === "EmailDroppedAllRecipientsSuppressed") return { kind: "final", status: "Email_Failed_SuppressedRecipient", detail };
  if (message.includes("Invalid format for email address")) return { kind: "final", status: "Email_Failed_InvalidFormat", detail };
  return { kind: "final", status: "Email_Failed", detail }; // 413 and other 4xx: sending again cannot help
}

/** `data.status` of an EmailDeliveryReportReceived event. Anything but Delivered is a failure. */
const DELIVERY_STATUS: Readonly<Record<string, EmailFinal>> = {
  Delivered: "Email_Delivered",
  Bounced: "Email_Failed_Bounced",
  Suppressed: "Email_Failed_SuppressedRecipient",
  FilteredSpam: "Email_Failed_FilteredSpam",
  Quarantined: "Email_Failed_Quarantined",
  Failed: "Email_Failed",
  Expanded: "Email_Failed", // legacy
};

export function mapAcsDeliveryStatus(status: string): EmailOutcome {
  return { kind: "final", status: lookup(DELIVERY_STATUS, status) ?? "Email_Failed", detail: `acs ${status}` };
}

export const DELIVERY_REPORT_EVENT = "Microsoft.Communication.EmailDeliveryReportReceived";
export const VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent";

const EventGridEvent = z.object({ id: z.string().min(1).max(200), eventType: z.string(), data: z.unknown() });
export const EventGridBatch = z.array(EventGridEvent).min(1).max(5000);

const ValidationData = z.object({ validationCode: z.string().min(1).max(500) });
const DeliveryData = z.object({ messageId: z.string().min(1).max(200), status: z.string().max(100) });

export type EventGridItem =
  | { kind: "validation"; validationCode: string }
  | { kind: "delivery"; eventId: string; messageId: string; status: string; outcome: EmailOutcome }
  | { kind: "other"; eventType: string };

/** Reads one Event Grid event (schema: Event Grid); null when it is not well-formed. */
export function readEventGridEvent(event: z.infer<typeof EventGridEvent>): EventGridItem | null {
  if (event.eventType === VALIDATION_EVENT) {
    const data = ValidationData.safeParse(event.data);
    return data.success ? { kind: "validation", validationCode: data.data.validationCode } : null;
  }
  if (event.eventType === DELIVERY_REPORT_EVENT) {
    const data = DeliveryData.safeParse(event.data);
    if (!data.success) return null;
    return { kind: "delivery", eventId: event.id, messageId: data.data.messageId, status: data.data.status, outcome: mapAcsDeliveryStatus(data.data.status) };
  }
  return { kind: "other", eventType: event.eventType };
}
