// An organisation's subscription as pure functions over its stored row: what PUT makes of it and
// answers, which events it wants, which secrets sign, and what GET shows.
import type { CallbackEvent } from "./events";
import type { EventFilter, Subscription, SubscriptionPutAnswer, SubscriptionRequest } from "./schemas";
import { newSecret } from "./signing";
import { isoTime } from "../status/manifest";

/** After a rotation the old secret signs too, for this long. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export interface SubscriptionRow {
  org: string;
  url: string;
  events: EventFilter;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: number | null;
  created_at: number;
  updated_at: number;
  /** Set when the receiver answered 410; null while enabled. */
  disabled_reason: string | null;
}

/** Whether this PUT makes a new secret: the one that creates the subscription, and a rotation. */
export function makesSecret(existing: SubscriptionRow | null, request: SubscriptionRequest): boolean {
  return existing === null || request.rotateSecret === true;
}

/** What a PUT makes: the secret is made once and kept, unless rotated; a PUT always re-enables. */
export function applyPut(existing: SubscriptionRow | null, org: string, request: SubscriptionRequest, now: number): SubscriptionRow {
  if (!existing) {
    return { org, url: request.url, events: request.events, secret: newSecret(), previous_secret: null, previous_secret_until: null, created_at: now, updated_at: now, disabled_reason: null };
  }
  const rotated = request.rotateSecret === true;
  return {
    ...existing,
    url: request.url,
    events: request.events,
    ...(rotated ? { secret: newSecret(), previous_secret: existing.secret, previous_secret_until: now + ROTATION_OVERLAP_MS } : {}),
    updated_at: now,
    disabled_reason: null,
  };
}

/** The secrets that sign an attempt at `now`: the current one, and the previous one during the overlap. */
export function signingSecrets(row: SubscriptionRow, now: number): string[] {
  return row.previous_secret !== null && row.previous_secret_until !== null && now < row.previous_secret_until ? [row.secret, row.previous_secret] : [row.secret];
}

/** Whether this subscription is told of `event`: its own organisation, its filter, and only changes from its creation on. */
export function wants(row: SubscriptionRow, event: CallbackEvent): boolean {
  if (event.org !== row.org) return false;
  if (row.events === "final" && !event.final) return false;
  const at = Date.parse(event.at);
  return Number.isFinite(at) && at >= row.created_at;
}


export function subscriptionView(row: SubscriptionRow): Subscription {
  return {
    url: row.url,
    events: row.events,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
    disabled: row.disabled_reason !== null,
    ...(row.disabled_reason !== null ? { disabledReason: row.disabled_reason } : {}),
  };
}

/**
 * What a PUT answers: the secret only when this PUT made it (`secretMade`: makesSecret), so a token
 * that can PUT cannot read an existing secret back.
 */
export function putAnswer(row: SubscriptionRow, secretMade: boolean): SubscriptionPutAnswer {
  return { url: row.url, events: row.events, ...(secretMade ? { secret: row.secret } : {}), createdAt: isoTime(row.created_at), updatedAt: isoTime(row.updated_at) };
}
