// The local provider: one Durable Object that plays every simulated provider (`simulator`, and the two
// SMS providers `primary` and `secondary`) for the sandbox table. It answers hand-overs like a provider,
// counts them per provider (for tests, the benchmark and the soak), can play an outage of one provider
// (every call fails, or every call is accepted and its report comes late), keeps the local outbox, and
// sends its delivery reports after a configurable delay through the same path real reports take.
import { DurableObject } from "cloudflare:workers";
import { deliverReport } from "../reports/deliver";
import type { RecipientStatus } from "../status/statuses";
import type { ProviderOutcome } from "../providers/outcome";
import { describeAnswer, Outbox, type OutboxMessage, type SimulatorMessage } from "../providers/simulator/outbox";
import { sandboxBehaviour } from "../providers/simulator/sandbox";
import { logError } from "../log";
import { AlarmFollower } from "../retry/alarm-follower";

/** A hand-over this provider already took under a key (`answer`), and the index that finds it. */
export const HANDOVER_BY_KEY = "SELECT provider_ref FROM handovers WHERE shipment_id = ? AND provider = ? LIMIT 1";
export const HANDOVER_KEY_INDEX = "handovers_by_key";

export interface HandoverStats {
  handovers: number;
  shipments: number;
  /** Hand-overs beyond the first of a shipment, across all providers. */
  duplicateHandovers: number;
  /** Hand-over times by shipment (ms since epoch), for dispatch latency. */
  times: Record<string, number>;
  /** Hand-overs and shipments per simulated provider. */
  providers: Record<string, { handovers: number; shipments: number }>;
  /** Providers in a simulated outage, and until when (ISO). */
  outages: Record<string, string>;
}

/** `fail`: every call fails transiently (503). `slow`: every call is accepted; its report comes late. */
export type OutageMode = "fail" | "slow";

export interface Outage {
  provider: string;
  until: string;
  mode: OutageMode;
  /** Slow mode: how long after acceptance the delivery report comes. */
  reportDelaySeconds?: number;
}

/** The report delay of a slow outage when none is given. */
export const DEFAULT_SLOW_REPORT_DELAY_SECONDS = 600;

/** A delivery report the simulator will send (kept in its storage until due). */
interface SimulatedReport {
  orderRef: string;
  shipmentId: string;
  providerRef: string;
  status: RecipientStatus;
  provider?: string;
  channel?: "sms" | "email";
}

export class ProviderSimulator extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  private readonly alarms = new AlarmFollower(this.ctx.storage);
  /** What a developer's phone or inbox would show (local development only). */
  private readonly outbox: Outbox;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS attempts (shipment_id TEXT PRIMARY KEY, count INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS handovers (id INTEGER PRIMARY KEY AUTOINCREMENT, shipment_id TEXT NOT NULL, channel TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY AUTOINCREMENT, due INTEGER NOT NULL, report TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outages (provider TEXT PRIMARY KEY, until INTEGER NOT NULL);
    `);
    this.outbox = new Outbox(this.sql);
    // State made by an earlier version gets the newer columns (its hand-overs were all "simulator").
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(handovers)").toArray();
    if (!columns.some((c) => c.name === "provider")) this.sql.exec("ALTER TABLE handovers ADD COLUMN provider TEXT NOT NULL DEFAULT 'simulator'");
    if (!columns.some((c) => c.name === "provider_ref")) this.sql.exec("ALTER TABLE handovers ADD COLUMN provider_ref TEXT");
    const outageColumns = this.sql.exec<{ name: string }>("PRAGMA table_info(outages)").toArray();
    if (!outageColumns.some((c) => c.name === "mode")) this.sql.exec("ALTER TABLE outages ADD COLUMN mode TEXT NOT NULL DEFAULT 'fail'");
    if (!outageColumns.some((c) => c.name === "report_delay_ms")) this.sql.exec("ALTER TABLE outages ADD COLUMN report_delay_ms INTEGER");
    // Each hand-over looks its key up here; without the index that is a scan of every hand-over ever
    // taken, which grew with the local state and held up the one thread every local object shares.
    this.sql.exec(`CREATE INDEX IF NOT EXISTS ${HANDOVER_KEY_INDEX} ON handovers (shipment_id, provider)`);
  }

  /** An outage of `provider` for `seconds` from now (0 ends it): `fail` or `slow` (see Outage). */
  async outage(provider: string, seconds: number, mode: OutageMode = "fail", reportDelaySeconds = DEFAULT_SLOW_REPORT_DELAY_SECONDS): Promise<Outage> {
    const until = Date.now() + seconds * 1000;
    const delayMs = mode === "slow" ? reportDelaySeconds * 1000 : null;
    this.sql.exec(
      "INSERT INTO outages (provider, until, mode, report_delay_ms) VALUES (?, ?, ?, ?) ON CONFLICT (provider) DO UPDATE SET until = excluded.until, mode = excluded.mode, report_delay_ms = excluded.report_delay_ms",
      provider,
      until,
      mode,
      delayMs,
    );
    return { provider, until: new Date(until).toISOString(), mode, ...(mode === "slow" ? { reportDelaySeconds } : {}) };
  }

  /** Receives a hand-over for the named provider (local development only); its content goes to the outbox alone. */
  async send(message: SimulatorMessage, provider = "simulator"): Promise<ProviderOutcome> {
    const outcome = await this.answer(message, provider);
    this.outbox.add(message, provider, describeAnswer(outcome));
    return outcome;
  }

  /** The latest messages received, newest first (the local outbox page). */
  async outboxMessages(): Promise<OutboxMessage[]> {
    return this.outbox.list();
  }

  async clearOutbox(): Promise<void> {
    this.outbox.clear();
  }

  /**
   * The shipment id is an idempotency key: a hand-over this provider already took is answered as before
   * and not taken twice (so an order may ask again after a lost answer).
   */
  private async answer(message: SimulatorMessage, provider: string): Promise<ProviderOutcome> {
    const outage = this.sql
      .exec<{ until: number; mode: OutageMode; report_delay_ms: number | null }>("SELECT until, mode, report_delay_ms FROM outages WHERE provider = ?", provider)
      .toArray()[0];
    const during = outage && Date.now() < outage.until ? outage : undefined;
    if (during?.mode === "fail") return { kind: "transient", detail: `simulated outage of ${provider} (503)` };
    const taken = this.sql
      .exec<{ provider_ref: string | null }>(HANDOVER_BY_KEY, message.shipmentId, provider)
      .toArray()[0];
    if (taken) {
      const status = message.channel === "sms" ? "SMS_Accepted" : "Email_Succeeded";
      return taken.provider_ref ? { kind: "accepted", status, providerRef: taken.provider_ref } : { kind: "accepted", status };
    }
    const behaviour = sandboxBehaviour(message.channel, message.to);
    const attempt = this.sql
      .exec<{ count: number }>(
        "INSERT INTO attempts (shipment_id, count) VALUES (?, 1) ON CONFLICT (shipment_id) DO UPDATE SET count = count + 1 RETURNING count",
        message.shipmentId,
      )
      .one().count;
    if (attempt <= behaviour.transientFailures) return { kind: "transient", detail: "simulated provider failure (503)" };
    if (behaviour.rejectWith) return { kind: "final", status: behaviour.rejectWith, detail: "simulated rejection at hand-over" };

    const now = Date.now();
    const providerRef = `SIM${crypto.randomUUID().replaceAll("-", "")}`;
    this.sql.exec(
      "INSERT INTO handovers (shipment_id, channel, at, provider, provider_ref) VALUES (?, ?, ?, ?, ?)",
      message.shipmentId,
      message.channel,
      now,
      provider,
      providerRef,
    );
    if (behaviour.report) {
      const delay = during?.mode === "slow" ? (during.report_delay_ms ?? 0) : Math.max(0, Number(this.env.SIMULATOR_REPORT_DELAY_MS) || 0);
      const report: SimulatedReport = { orderRef: message.orderRef, shipmentId: message.shipmentId, providerRef, status: behaviour.report, provider, channel: message.channel };
      this.sql.exec("INSERT INTO reports (due, report) VALUES (?, ?)", now + delay, JSON.stringify(report));
      await this.alarms.atOrBefore(now + delay);
    }
    return { kind: "accepted", status: message.channel === "sms" ? "SMS_Accepted" : "Email_Succeeded", providerRef };
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const due = this.sql.exec<{ id: number; report: string }>("SELECT id, report FROM reports WHERE due <= ? ORDER BY id", Date.now()).toArray();
    await Promise.all(
      due.map(async ({ id, report }) => {
        const r = JSON.parse(report) as SimulatedReport;
        try {
          await deliverReport(this.env, {
            orderRef: r.orderRef,
            shipmentId: r.shipmentId,
            providerRef: r.providerRef,
            outcome: { kind: "final", status: r.status },
            dedupeKey: `simulator:${r.providerRef}:${r.status}`,
            source: "simulator report",
            // SMS reports feed the slow-delivery rule (reports stored by an older version name no channel).
            ...(r.channel === "sms" ? { smsProvider: r.provider } : {}),
          });
          this.sql.exec("DELETE FROM reports WHERE id = ?", id);
        } catch (error) {
          logError("simulator.report_failed", error, { shipmentId: r.shipmentId });
        }
      }),
    );
    const next = this.sql.exec<{ due: number | null }>("SELECT MIN(due) AS due FROM reports").one().due;
    if (next !== null) await this.alarms.atOrBefore(Math.max(next, Date.now() + 100));
  }

  async stats(): Promise<HandoverStats> {
    const rows = this.sql.exec<{ shipment_id: string; n: number; first: number }>(
      "SELECT shipment_id, COUNT(*) AS n, MIN(at) AS first FROM handovers GROUP BY shipment_id",
    ).toArray();
    const perProvider = this.sql.exec<{ provider: string; handovers: number; shipments: number }>(
      "SELECT provider, COUNT(*) AS handovers, COUNT(DISTINCT shipment_id) AS shipments FROM handovers GROUP BY provider ORDER BY provider",
    ).toArray();
    const outages = this.sql.exec<{ provider: string; until: number }>("SELECT provider, until FROM outages WHERE until > ? ORDER BY provider", Date.now()).toArray();
    return {
      handovers: rows.reduce((sum, r) => sum + r.n, 0),
      shipments: rows.length,
      duplicateHandovers: rows.reduce((sum, r) => sum + (r.n - 1), 0),
      times: Object.fromEntries(rows.map((r) => [r.shipment_id, r.first])),
      providers: Object.fromEntries(perProvider.map(({ provider, handovers, shipments }) => [provider, { handovers, shipments }])),
      outages: Object.fromEntries(outages.map((o) => [o.provider, new Date(o.until).toISOString()])),
    };
  }
}
