// Cloudflare marks the error of a Durable Object that is overloaded with `.overloaded = true`, and says
// not to retry it: a retry adds load to an object that cannot keep up, and raises the error rate
// (developers.cloudflare.com/durable-objects/best-practices/error-handling). Every place that would
// retry a Durable Object's call asks this first, and waits instead of retrying at once.
import type { Backoff } from "./backoff";

/** Whether `error` is Cloudflare's "Durable Object is overloaded" (its `.overloaded` is true). */
export function isOverloaded(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { overloaded?: unknown }).overloaded === true;
}

/** The API's Retry-After for a request refused because a Durable Object was overloaded. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/** A queue message whose handler met an overloaded object comes again after 2 s, 4 s, … 60 s at the least. */
export const OVERLOADED_QUEUE_RETRY: Backoff = { baseMs: 2_000, capMs: 60_000 };
