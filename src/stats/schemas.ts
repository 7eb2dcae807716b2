// The statistics' query and answer as zod schemas: they validate GET /future/stats and describe it in
// the OpenAPI document.
import { z } from "@hono/zod-openapi";
import { utcDay } from "../status/manifest";
import { dayProblem, defaultFrom, rangeProblem } from "./range";

const isDay = (v: string) => dayProblem(v) === null;

const day = (what: string, example: string) =>
  z
    .string()
    .superRefine((v, ctx) => {
      const problem = dayProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional()
    .openapi({ description: what, example, format: "date" });

// Both ends are checked one by one, then the range by arithmetic (src/stats/range.ts): no list of days
// exists before the range is accepted.
export const StatsQuerySchema = z
  .object({
    from: day("First UTC day, included (default: 6 days before `to`). From 2000-01-01 to 2099-12-31.", "2026-12-01"),
    to: day("Last UTC day, included (default: today, UTC). From 2000-01-01 to 2099-12-31.", "2026-12-07"),
    channel: z.enum(["sms", "email"], "Must be sms or email.").optional().openapi({ description: "Only this channel (default: both)." }),
  })
  .transform((q, ctx) => {
    const to = q.to ?? utcDay(Date.now());
    const from = q.from ?? (isDay(to) ? defaultFrom(to) : to);
    if (!isDay(from) || !isDay(to)) return { from, to, channel: q.channel }; // already reported
    const problem = rangeProblem(from, to);
    if (problem) ctx.addIssue({ code: "custom", path: ["from"], message: problem });
    return { from, to, channel: q.channel };
  });

const count = z.number().int().min(0);
const latency = z.number().int().min(0).nullable();
const byName = z.record(z.string(), count);

export const FiguresSchema = z
  .object({
    registered: count.openapi({ description: "New shipments (replays and refused requests are not shipments)." }),
    handedOver: count.openapi({ description: "Shipments a provider accepted." }),
    handedOverWithin10s: count.openapi({ description: "Accepted within 10 s of the 201." }),
    delivered: count.openapi({ description: "SMS_Delivered / Email_Delivered." }),
    failed: byName.openapi({ description: "By final status.", example: { SMS_Failed_TTL: 3, SMS_Failed_InvalidRecipient: 2 } }),
    pending: count.openapi({ description: "Not final yet." }),
    failedForRecipientBeforeHandOver: count.openapi({
      description: "Failed for the recipient (invalid, barred, suppressed) before any hand-over: the within-10 s share is handedOverWithin10s ÷ (registered − this).",
    }),
    handOverP50Ms: latency.openapi({ description: "201 → accepted hand-over, median (approximate: within 10 % or 1 ms); null without hand-overs." }),
    handOverP95Ms: latency.openapi({ description: "201 → accepted hand-over, 95th percentile." }),
    finalP50Ms: latency.openapi({ description: "201 → final status (every final status), median." }),
    finalP95Ms: latency.openapi({ description: "201 → final status, 95th percentile." }),
    providers: z
      .record(
        z.string(),
        z.object({
          handedOver: count,
          delivered: count,
          approved: count.openapi({
            description: "Verifications approved whose last SMS handed over before approval was this provider's (counted on the day the verification started).",
          }),
        }),
      )
      .openapi({ description: "Per provider (its name in the configuration).", example: { primary: { handedOver: 100, delivered: 95, approved: 80 } } }),
    refused: byName.openapi({ description: "Requests answered 429, by problem code.", example: { "NOT-10003": 4 } }),
    verifications: z
      .object({
        started: count.openapi({ description: "Verifications started (their 201), on this day and channel." }),
        approved: count.openapi({ description: "Of those, approved: a right code was checked in time." }),
        expired: count.openapi({ description: "Of those, expired before a right code was checked." }),
        maxAttempts: count.openapi({ description: "Of those, ended by too many wrong codes." }),
      })
      .openapi({
        description:
          "One-time codes (POST /future/verifications/sms|email), each counted once on the UTC day and channel it started on, however late it ended; " +
          "`started` − the three ends: still pending.",
        example: { started: 120, approved: 100, expired: 15, maxAttempts: 2 },
      }),
  })
  .openapi("StatisticsFigures");

export const StatsSchema = z
  .object({
    from: z.string().openapi({ format: "date" }),
    to: z.string().openapi({ format: "date" }),
    days: z.array(FiguresSchema.extend({ date: z.string().openapi({ format: "date" }), channel: z.enum(["sms", "email"]) })).openapi({
      description: "Each asked UTC day and channel once, oldest first, also with zeros.",
    }),
    totals: FiguresSchema,
  })
  .openapi("Statistics");
