-- Store of record for reads. No message body is ever written here (DESIGN.md, invariant 4).

CREATE TABLE shipments (
  shipment_id       TEXT PRIMARY KEY,
  order_id          TEXT NOT NULL UNIQUE,
  org               TEXT NOT NULL,
  idempotency_id    TEXT NOT NULL,
  order_ref         TEXT NOT NULL,          -- the order's Durable Object id, to route provider reports
  senders_reference TEXT,
  channel           TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
  status            TEXT NOT NULL,          -- order status
  created_at        TEXT NOT NULL,
  deadline          TEXT NOT NULL,
  last_update       TEXT NOT NULL,
  version           INTEGER NOT NULL DEFAULT 0, -- the order's event sequence; an older update never overwrites a newer one
  UNIQUE (org, idempotency_id)              -- a second guard behind the Durable Object
);
-- GET /future/shipment/{id} reads by (shipment_id, org); the primary key serves it, this index serves per-org scans.
CREATE INDEX shipments_by_org ON shipments (org, created_at);

CREATE TABLE recipients (
  shipment_id  TEXT PRIMARY KEY REFERENCES shipments (shipment_id) ON DELETE CASCADE,
  type         TEXT NOT NULL CHECK (type IN ('SMS', 'Email')),
  destination  TEXT NOT NULL,
  status       TEXT NOT NULL,
  last_update  TEXT NOT NULL,
  provider_ref TEXT                         -- the provider's message id, to match delivery reports
);
CREATE INDEX recipients_by_provider_ref ON recipients (provider_ref) WHERE provider_ref IS NOT NULL;

-- Append-only history of every status event, applied or not (late and repeated reports are kept for audit).
CREATE TABLE status_events (
  event_id    INTEGER PRIMARY KEY AUTOINCREMENT,
  shipment_id TEXT NOT NULL REFERENCES shipments (shipment_id) ON DELETE CASCADE,
  event_seq   INTEGER NOT NULL,             -- the order's own sequence: re-sending an event never duplicates it
  status      TEXT NOT NULL,
  applied     INTEGER NOT NULL CHECK (applied IN (0, 1)),
  source      TEXT NOT NULL,
  detail      TEXT,
  at          TEXT NOT NULL
);
CREATE UNIQUE INDEX status_events_by_shipment ON status_events (shipment_id, event_seq);

-- The status feed: one entry per shipment, written when it completes. AUTOINCREMENT never reuses a
-- sequence number, and D1 commits one write at a time, so a reader that keeps its last seq never misses one.
CREATE TABLE feed (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  org         TEXT NOT NULL,
  shipment_id TEXT NOT NULL UNIQUE REFERENCES shipments (shipment_id) ON DELETE CASCADE,
  at          TEXT NOT NULL
);
CREATE INDEX feed_by_org ON feed (org, seq);
