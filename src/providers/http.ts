// What every provider call over HTTP shares: how a call that produced no answer is classified, how a
// binding without a signal is bounded, and how Retry-After is read.
import type { ProviderOutcome } from "./outcome";

export type CallResult = { response: Response } | { outcome: Extract<ProviderOutcome, { kind: "transient" | "unknown" }> };

/**
 * fetch under the call's signal. A timeout means the request left and its answer did not come back:
 * the provider may have accepted, so it is "unknown" and never handed over again. Any other rejection
 * is taken as "nothing happened" (transient): workerd reports a refused connection and a dropped one
 * alike ("Network connection lost."), and refused/DNS failures are by far the common case.
 */
export async function callProvider(url: string, init: RequestInit, signal: AbortSignal): Promise<CallResult> {
  if (signal.aborted) return { outcome: NOT_STARTED };
  try {
    return { response: await fetch(url, { ...init, signal }) };
  } catch (error) {
    return { outcome: lostCall(signal, error) };
  }
}

/** For calls that take no signal (bindings, RPC): settles with the call, or rejects when the signal aborts. */
export function boundedBy<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = new Promise<never>((_, reject) => {
    const abort = () => reject(new DOMException("The provider call timed out", "TimeoutError"));
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
  return Promise.race([call, aborted]);
}

/** The call's time was up before it started: nothing left. */
export const NOT_STARTED = { kind: "transient", detail: "no time left to call" } as const satisfies ProviderOutcome;

/** A call that produced no answer: "unknown" once the signal has aborted (it may have been accepted), else transient. */
export function lostCall(signal: AbortSignal, error: unknown): Extract<ProviderOutcome, { kind: "transient" | "unknown" }> {
  return signal.aborted ? { kind: "unknown", detail: "timeout" } : { kind: "transient", detail: `network: ${(error as Error)?.name ?? "error"}` };
}

/** Retry-After in delta-seconds, as ms; HTTP-dates are ignored (the providers here send seconds). */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed || !/^\d+$/.test(trimmed)) return undefined;
  return Number(trimmed) * 1000;
}

/**
 * The rule every provider's send answer follows: 408, 429 and 5xx say the request was not processed,
 * so sending again cannot duplicate it; an unexpected 1xx/3xx is taken the same way (bounded by the deadline).
 */
export function notProcessed(httpStatus: number): boolean {
  return httpStatus === 408 || httpStatus === 429 || httpStatus >= 500 || httpStatus < 400;
}

/** A refusal that processed nothing (`notProcessed`): retry, no sooner than the provider asked. */
export function transientHttp(httpStatus: number, retryAfterMs: number | undefined): Extract<ProviderOutcome, { kind: "transient" }> {
  const detail = `http ${httpStatus}`;
  return retryAfterMs === undefined ? { kind: "transient", detail } : { kind: "transient", retryAfterMs, detail };
}
