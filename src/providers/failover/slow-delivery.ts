// The slow-delivery rule, as pure functions (the ProviderHealth Durable Object keeps the hand-overs and
// the state; see docs/delivery-quality.md). A provider can accept every SMS and deliver none: for
// one-time codes that is an outage too, so a provider whose reports stop coming is skipped like one
// whose calls fail. GOV.UK Notify's rule, scaled to one-time codes:
//
//   overdue    an accepted hand-over whose final report had not come `slowMs` after acceptance (a report
//              that comes later does not make it timely: it was slow).
//   aged       an accepted hand-over at least `slowMs` old; only those can be judged.
//   degraded   over the hand-overs accepted in the last `windowMs`: at least `minAged` aged and at least
//              `degradeShare` of them overdue. Healthy again when the overdue share is under
//              `recoverShare`, or fewer than `minAged` aged hand-overs remain in the window.
//              Between the two shares a provider keeps its state, so it does not flap.

export interface SlowSettings {
  windowMs: number;
  slowMs: number;
  minAged: number;
  degradeShare: number;
  recoverShare: number;
  /** The share of hand-overs a degraded provider still gets first, as probes (so it can recover). */
  probeRate: number;
}

export const DEFAULT_SLOW_REPORT_SECONDS = 60;

export const SLOW: SlowSettings = {
  windowMs: 10 * 60_000,
  slowMs: DEFAULT_SLOW_REPORT_SECONDS * 1000,
  minAged: 10,
  degradeShare: 0.3,
  recoverShare: 0.1,
  probeRate: 0.1,
};

/** The settings with SLOW_REPORT_SECONDS (whole seconds ≥ 1; anything else keeps the default). */
export function slowSettings(slowReportSeconds: string | undefined): SlowSettings {
  const seconds = Number(slowReportSeconds);
  return Number.isInteger(seconds) && seconds >= 1 ? { ...SLOW, slowMs: seconds * 1000 } : SLOW;
}

/** One accepted hand-over: when the provider accepted it, and when its final report came (if it did). */
export interface Delivery {
  acceptedAt: number;
  reportedAt: number | null;
}

/** What a decision is made on, for one provider, as of a moment. */
export interface SlowFigures {
  /** Hand-overs accepted in the window that are at least `slowMs` old. */
  aged: number;
  /** Of those, the ones whose final report had not come `slowMs` after acceptance. */
  overdue: number;
}

export function isOverdue({ acceptedAt, reportedAt }: Delivery, now: number, settings: SlowSettings = SLOW): boolean {
  const due = acceptedAt + settings.slowMs;
  return now >= due && (reportedAt === null || reportedAt >= due);
}

/** The figures over one provider's hand-overs as of `now` (the Durable Object counts the same in SQL). */
export function slowFigures(deliveries: readonly Delivery[], now: number, settings: SlowSettings = SLOW): SlowFigures {
  const aged = deliveries.filter((d) => d.acceptedAt > now - settings.windowMs && now - d.acceptedAt >= settings.slowMs);
  return { aged: aged.length, overdue: aged.filter((d) => isOverdue(d, now, settings)).length };
}

/** Whether the provider is degraded now, given whether it was and the figures. */
export function isDegraded(wasDegraded: boolean, { aged, overdue }: SlowFigures, settings: SlowSettings = SLOW): boolean {
  if (aged < settings.minAged) return false;
  const share = overdue / aged;
  return wasDegraded ? share >= settings.recoverShare : share >= settings.degradeShare;
}
