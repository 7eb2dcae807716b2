// The problem code of each limit (README "Limits"), shared by the check and the counters' refusal tally.
import type { LimitKind } from "./windows";

export type LimitCode = "NOT-10002" | "NOT-10003" | "NOT-10004";

export const LIMIT_CODES: Record<LimitKind, LimitCode> = { requests: "NOT-10002", recipient: "NOT-10003", daily: "NOT-10004" };
