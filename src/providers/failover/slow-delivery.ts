// The slow-delivery rule, as pure functions (the ProviderHealth Durable Object keeps the hand-overs and
// the state; see docs/delivery-quality.md). A provider can accept every SMS and deliver none: for
// one-time codes that is an outage too, so a provider whose reports stop coming is skipped like one
// whose calls fail. GOV.UK Notify's rule, scaled to one-time codes:
//
//   overdue    an accepted hand-over whose final report had not come `slowMs` after acceptance (a report
//              that comes later does not make it timely: it was slow).
//   aged       an accepted hand-over at least `slowMs` old; only those can be judged.
//   counts     an organisation counts against a provider when at least `organisationMinOverdue` and at
//              least `organisationShare` of its own aged hand-overs to it are overdue.
//   degraded   over the hand-overs accepted in the last `windowMs`: at least `minAged` aged, at least
//              `degradeShare` of them overdue, and at least `minOrganisations` organisations that count
//              (so one organisation sending to numbers that never report cannot move every
//              organisation's SMS). Healthy again when the overdue share is under `recoverShare`, or
//              fewer than `minAged` aged hand-overs remain in the window. Between the two shares a
//              provider keeps its state, so it does not flap.
//   sandbox    hand-overs to the simulator's fixed-outcome recipients never count, in any figure.

export interface SlowSettings {
  windowMs: number;
  slowMs: number;
  minAged: number;
  degradeShare: number;
  recoverShare: number;
  /** The share of hand-overs a degraded provider still gets first, as probes (so it can recover). */
  probeRate: number;
  /** An organisation counts against a provider with at least this many of its aged hand-overs overdue… */
  organisationMinOverdue: number;
  /** …that are at least this share of its aged hand-overs to that provider. */
  organisationShare: number;
  /** A degrade needs at least this many organisations that count (SLOW_MIN_ORGANISATIONS). */
  minOrganisations: number;
}

export const DEFAULT_SLOW_REPORT_SECONDS = 60;
export const DEFAULT_SLOW_MIN_ORGANISATIONS = 3;

export const SLOW: SlowSettings = {
  windowMs: 10 * 60_000,
  slowMs: DEFAULT_SLOW_REPORT_SECONDS * 1000,
  minAged: 10,
  degradeShare: 0.3,
  recoverShare: 0.1,
  probeRate: 0.1,
  organisationMinOverdue: 2,
  organisationShare: 0.3,
  minOrganisations: DEFAULT_SLOW_MIN_ORGANISATIONS,
};

const wholeAtLeastOne = (value: string | undefined): number | null => {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isInteger(n) && n >= 1 ? n : null;
};

/**
 * The settings with SLOW_REPORT_SECONDS and SLOW_MIN_ORGANISATIONS (each a whole number ≥ 1; anything
 * else keeps its default).
 */
export function slowSettings(vars: { SLOW_REPORT_SECONDS?: string | undefined; SLOW_MIN_ORGANISATIONS?: string | undefined }): SlowSettings {
  const seconds = wholeAtLeastOne(vars.SLOW_REPORT_SECONDS);
  const organisations = wholeAtLeastOne(vars.SLOW_MIN_ORGANISATIONS);
  return { ...SLOW, slowMs: (seconds ?? DEFAULT_SLOW_REPORT_SECONDS) * 1000, minOrganisations: organisations ?? DEFAULT_SLOW_MIN_ORGANISATIONS };
}

/** One accepted hand-over: when the provider accepted it, and when its final report came (if it did). */
export interface Delivery {
  acceptedAt: number;
  reportedAt: number | null;
  /**
   * The organisation that sent it; null for a hand-over noted by an earlier version (no organisation in
   * its note): all of those together count as one unknown organisation.
   */
  organisation: string | null;
  /** To a sandbox recipient (the simulator's fixed outcomes): never counts. */
  sandbox: boolean;
}

/** Aged and overdue hand-overs: of one organisation, or of every organisation together. */
export interface Tally {
  /** Hand-overs accepted in the window that are at least `slowMs` old. */
  aged: number;
  /** Of those, the ones whose final report had not come `slowMs` after acceptance. */
  overdue: number;
}

/** What a decision is made on, for one provider, as of a moment. */
export interface SlowFigures extends Tally {
  /** The organisations that count against the provider (organisationCounts). */
  organisations: number;
}

export function isOverdue({ acceptedAt, reportedAt }: Pick<Delivery, "acceptedAt" | "reportedAt">, now: number, settings: SlowSettings = SLOW): boolean {
  const due = acceptedAt + settings.slowMs;
  return now >= due && (reportedAt === null || reportedAt >= due);
}

/** Whether one organisation's own aged and overdue hand-overs to a provider count against it. */
export function organisationCounts({ aged, overdue }: Tally, settings: SlowSettings = SLOW): boolean {
  return overdue >= settings.organisationMinOverdue && overdue / aged >= settings.organisationShare;
}

/** A provider's figures from each organisation's tally (the Durable Object counts the tallies in SQL). */
export function combinedFigures(byOrganisation: readonly Tally[], settings: SlowSettings = SLOW): SlowFigures {
  return {
    aged: byOrganisation.reduce((sum, t) => sum + t.aged, 0),
    overdue: byOrganisation.reduce((sum, t) => sum + t.overdue, 0),
    organisations: byOrganisation.filter((t) => organisationCounts(t, settings)).length,
  };
}

/** The figures over one provider's hand-overs as of `now` (the Durable Object counts the same in SQL). */
export function slowFigures(deliveries: readonly Delivery[], now: number, settings: SlowSettings = SLOW): SlowFigures {
  const byOrganisation = new Map<string | null, Tally>();
  for (const d of deliveries) {
    if (d.sandbox || d.acceptedAt <= now - settings.windowMs || now - d.acceptedAt < settings.slowMs) continue;
    const tally = byOrganisation.get(d.organisation) ?? { aged: 0, overdue: 0 };
    byOrganisation.set(d.organisation, { aged: tally.aged + 1, overdue: tally.overdue + (isOverdue(d, now, settings) ? 1 : 0) });
  }
  return combinedFigures([...byOrganisation.values()], settings);
}

/** Whether the provider is degraded now, given whether it was and the figures. */
export function isDegraded(wasDegraded: boolean, { aged, overdue, organisations }: SlowFigures, settings: SlowSettings = SLOW): boolean {
  if (aged < settings.minAged) return false;
  const share = overdue / aged;
  return wasDegraded ? share >= settings.recoverShare : share >= settings.degradeShare && organisations >= settings.minOrganisations;
}
