// The rules of a statistics range (GET /future/stats), judged by arithmetic on the two dates alone: a
// refused range costs the same as an accepted one, and nothing is built per day before it is accepted
// (a list of every day from 0000 to 9999 once took seconds and 200 MB). Pure, table-tested in
// test/unit/stats/range.test.ts.
import { utcDay } from "../status/manifest";

export const MAX_DAYS = 92;
export const DEFAULT_DAYS = 7;
/** The first and last day a statistics query may name: no shipment is outside them. */
export const FIRST_DAY = "2000-01-01";
export const LAST_DAY = "2099-12-31";

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Why `value` is not a day a query may name, or null when it is one. */
export function dayProblem(value: string): string | null {
  const t = Date.parse(`${value}T00:00:00Z`);
  if (!DATE.test(value) || Number.isNaN(t) || utcDay(t) !== value) return "Must be a date as YYYY-MM-DD.";
  if (value < FIRST_DAY || value > LAST_DAY) return `Must be a day from ${FIRST_DAY} to ${LAST_DAY}.`;
  return null;
}

/** The number of UTC days from `from` to `to`, both counted (0 or less when `from` is after `to`). */
export function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Why the range of two valid days is refused, or null when it is accepted. */
export function rangeProblem(from: string, to: string): string | null {
  if (from > to) return "Must not be after to.";
  if (dayCount(from, to) > MAX_DAYS) return `At most ${MAX_DAYS} days, both ends counted.`;
  return null;
}

/** The default first day for `to`: the last DEFAULT_DAYS days, never before FIRST_DAY. */
export function defaultFrom(to: string): string {
  const from = utcDay(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS);
  return from < FIRST_DAY ? FIRST_DAY : from;
}
