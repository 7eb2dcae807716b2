// The verification's SQL mapping: its state (one row), its messages, and its secret (the code and the
// request, sealed; erased when it ends). Every function is synchronous, so a load, a decision and its
// save run with no await between them.
import type { Channel, RecipientStatus } from "../status/statuses";
import type { VerificationStatus } from "../status/verification";
import type { MessageKind } from "./request";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS verification (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  verification_id TEXT NOT NULL, org TEXT NOT NULL, idempotency_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL, salt TEXT NOT NULL, response TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,                 -- pending | approved | expired | max_attempts
  attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, approved_at INTEGER, ended_at INTEGER,
  fallback_at INTEGER,                  -- the fallback email is due then unless an SMS was delivered (null: none, or settled)
  fallback_refused TEXT,                -- the limit code that refused it
  end_sent INTEGER NOT NULL DEFAULT 0   -- the end went to the statistics and the callback (through the shard writer)
);
CREATE TABLE IF NOT EXISTS messages (
  n INTEGER PRIMARY KEY, kind TEXT NOT NULL, shipment_id TEXT NOT NULL, channel TEXT NOT NULL,
  resend_key TEXT UNIQUE, response TEXT NOT NULL,
  status TEXT NOT NULL,                 -- as last known here (the order is the system of record)
  provider TEXT, handed_over INTEGER NOT NULL DEFAULT 0,
  ended INTEGER NOT NULL DEFAULT 0      -- its order was told the verification ended (or it had nothing left to erase)
);
-- Sealed (content-cipher.ts); erased when the verification ends.
CREATE TABLE IF NOT EXISTS secret (id INTEGER PRIMARY KEY CHECK (id = 1), code TEXT NOT NULL, request TEXT NOT NULL);
`;


export interface VerificationRow {
  verification_id: string;
  org: string;
  idempotency_id: string;
  fingerprint: string;
  salt: string;
  response: string;
  channel: Channel;
  status: VerificationStatus;
  attempts: number;
  max_attempts: number;
  created_at: number;
  expires_at: number;
  approved_at: number | null;
  ended_at: number | null;
  fallback_at: number | null;
  fallback_refused: string | null;
  end_sent: number;
}

export interface MessageRow {
  n: number;
  kind: MessageKind;
  shipment_id: string;
  channel: Channel;
  resend_key: string | null;
  response: string;
  status: RecipientStatus;
  provider: string | null;
  handed_over: number;
  ended: number;
}

/** A message as it is stored when registered: what became of it is learnt later. */
export type NewMessage = Omit<MessageRow, "provider" | "handed_over" | "ended">;

export interface Sealed {
  code: string;
  request: string;
}

const MUTABLE = ["status", "attempts", "approved_at", "ended_at", "fallback_at", "fallback_refused", "end_sent", "response"] as const satisfies readonly (keyof VerificationRow)[];
const ALL = ["verification_id", "org", "idempotency_id", "fingerprint", "salt", "channel", "created_at", "expires_at", "max_attempts", ...MUTABLE] as const;

export class VerificationStore {
  private hasSchema = false;

  constructor(private readonly sql: SqlStorage) {}

  load(): VerificationRow | null {
    if (!this.schemaExists()) return null;
    return (this.sql.exec("SELECT * FROM verification WHERE id = 1").toArray()[0] as unknown as VerificationRow | undefined) ?? null;
  }

  insert(row: VerificationRow, secret: Sealed): void {
    if (!this.schemaExists()) this.sql.exec(SCHEMA);
    this.hasSchema = true;
    this.sql.exec(`INSERT INTO verification (id, ${ALL.join(", ")}) VALUES (1, ${ALL.map(() => "?").join(", ")})`, ...ALL.map((c) => row[c]));
    this.sql.exec("INSERT INTO secret (id, code, request) VALUES (1, ?, ?)", secret.code, secret.request);
  }

  /** Writes the columns that differ from `before`. */
  save(before: VerificationRow, after: VerificationRow): void {
    const changed = MUTABLE.filter((c) => after[c] !== before[c]);
    if (changed.length > 0) this.sql.exec(`UPDATE verification SET ${changed.map((c) => `${c} = ?`).join(", ")} WHERE id = 1`, ...changed.map((c) => after[c]));
  }

  secret(): Sealed | null {
    if (!this.schemaExists()) return null;
    return this.sql.exec<{ code: string; request: string }>("SELECT code, request FROM secret").toArray()[0] ?? null;
  }

  /** The code and the request leave storage. */
  eraseSecret(): void {
    this.sql.exec("DELETE FROM secret");
  }

  messages(): MessageRow[] {
    if (!this.schemaExists()) return [];
    return this.sql.exec("SELECT * FROM messages ORDER BY n").toArray() as unknown as MessageRow[];
  }

  addMessage(m: NewMessage): void {
    this.sql.exec(
      "INSERT INTO messages (n, kind, shipment_id, channel, resend_key, response, status) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (n) DO NOTHING",
      m.n,
      m.kind,
      m.shipment_id,
      m.channel,
      m.resend_key,
      m.response,
      m.status,
    );
  }

  /** What became of a message, as far as it is known here; a known status is never replaced by an unknown one. */
  updateMessage(shipmentId: string, patch: { status?: RecipientStatus; provider?: string | null; handedOver?: boolean; ended?: boolean }): void {
    if (!this.schemaExists()) return;
    this.sql.exec(
      `UPDATE messages SET status = COALESCE(?, status), provider = COALESCE(?, provider), handed_over = MAX(handed_over, ?), ended = MAX(ended, ?) WHERE shipment_id = ?`,
      patch.status ?? null,
      patch.provider ?? null,
      patch.handedOver ? 1 : 0,
      patch.ended ? 1 : 0,
      shipmentId,
    );
  }

  /** Retention is over: after `deleteAll` the object holds nothing. */
  forgotten(): void {
    this.hasSchema = false;
  }

  private schemaExists(): boolean {
    this.hasSchema ||= this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'verification'").toArray().length > 0;
    return this.hasSchema;
  }
}
