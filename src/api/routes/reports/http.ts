// What the report endpoints share: a body limit, the durable answer, and a constant-time secret check.
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../problem";
import { acceptReport, ReportNotDurable, type DeliveryReport } from "../../../reports/deliver";

export const reportBodyLimit = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, { detail: "Report too large." });
    },
  });

/** Seconds a provider is asked to wait before it sends a report again that could not be stored. */
const RETRY_REPORT_AFTER_SECONDS = 5;

/**
 * Makes every report durable (into its order, or onto the report queue) before the caller answers 2xx.
 * When one could not be stored, answers 503 so the provider sends them again (a repeat of the ones
 * already stored is recognised as a duplicate).
 */
export async function acceptAll(env: Env, reports: readonly DeliveryReport[]): Promise<void> {
  try {
    for (const report of reports) await acceptReport(env, report);
  } catch (error) {
    if (!(error instanceof ReportNotDurable)) throw error;
    throw ApiError.of("NOT-00004", {
      detail: "The report could not be stored. Send it again.",
      headers: { "Retry-After": String(RETRY_REPORT_AFTER_SECONDS) },
    });
  }
}

const utf8 = new TextEncoder();

/**
 * Compares a presented secret with each configured one (the current and, during a rotation, the
 * previous; unset ones skipped), each in constant time and all of them always, so timing does not
 * tell which matched.
 */
export async function secretMatchesAny(presented: string | null | undefined, configured: readonly (string | undefined)[]): Promise<boolean> {
  const results = await Promise.all(configured.filter((secret): secret is string => !!secret).map((secret) => secretMatches(presented, secret)));
  return results.includes(true);
}

/** Compares a presented secret with the configured one in constant time (SHA-256 first, so lengths do not leak). */
export async function secretMatches(presented: string | null | undefined, configured: string): Promise<boolean> {
  if (!presented || !configured) return false;
  const [a, b] = await Promise.all([presented, configured].map(async (s) => new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(s)))));
  return crypto.subtle.timingSafeEqual(a!, b!);
}
