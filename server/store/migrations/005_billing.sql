-- Resolution-based billing: Zendesk ticket events in, an append-only ledger, hourly metering out.

-- The webhook bearer secret, encrypted (AES-256-GCM, bound to the tenant id), so setup-webhooks can hand it
-- to Zendesk. Tenants created before this column hold only its hash: setup-webhooks rotates theirs.
ALTER TABLE tenants ADD COLUMN webhook_secret text;

CREATE TABLE billing_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  -- How long an automated resolution must stand (no reopen, no end-user message) before it is billable.
  window_hours integer NOT NULL DEFAULT 72 CHECK (window_hours BETWEEN 1 AND 720),
  -- AWS Marketplace buyer (from ResolveCustomer); null: billed outside AWS, usage report only.
  aws_customer_account_id text CHECK (aws_customer_account_id ~ '^[0-9]{12}$'),
  aws_product_code text,
  -- Zendesk users whose public replies are automation (the Concierge API user, other bots).
  bot_user_ids bigint[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The webhook and triggers setup-webhooks created, and the webhook's signing secret (encrypted).
CREATE TABLE zendesk_webhooks (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  webhook_id text NOT NULL,
  endpoint text NOT NULL,
  signing_secret text NOT NULL,
  -- sha256 of the bearer token last given to Zendesk: tells whether a rotated secret still needs sending.
  bearer_hash text NOT NULL,
  trigger_ids jsonb NOT NULL DEFAULT '{}',
  api_user_id bigint,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Durable inbox of ticket events: a row exists before the webhook is answered 2xx.
CREATE TABLE ticket_events (
  tenant_id text NOT NULL REFERENCES tenants(id),
  -- kind:ticket:occurred_at, so a replayed or retried delivery of the same change is the same row.
  event_key text NOT NULL,
  ticket_id bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('solved', 'reopened', 'end_user_comment')),
  occurred_at timestamptz NOT NULL,
  delivered_at timestamptz,
  actor_id bigint,
  received_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  last_attempt_at timestamptz,
  processed_at timestamptz,
  PRIMARY KEY (tenant_id, event_key)
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (tenant_id, ticket_id);
CREATE INDEX ticket_events_pending ON ticket_events (received_at) WHERE status = 'pending';

-- Concierge suggestions an agent inserted or copied (written by the suggestions capability).
CREATE TABLE suggestion_uses (
  tenant_id text NOT NULL REFERENCES tenants(id),
  ticket_id bigint NOT NULL,
  suggestion_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('inserted', 'copied')),
  user_id text NOT NULL,
  used_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, ticket_id, suggestion_id, action, user_id)
);

-- The ledger: append-only. A resolution, and at most one reversal of it: both reversal types share the
-- key 'reversal:<resolution key>', so no resolution is ever voided or credited twice.
CREATE TABLE resolution_ledger (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  entry_key text NOT NULL,
  entry text NOT NULL CHECK (entry IN ('resolution', 'void', 'credit')),
  ticket_id bigint NOT NULL,
  resolution_key text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('automated', 'ai_assisted', 'human')),
  quantity smallint NOT NULL CHECK (quantity IN (1, -1)),
  occurred_at timestamptz NOT NULL,
  -- Of the resolution, copied onto its reversal so either can be grouped by them.
  solved_at timestamptz NOT NULL,
  window_ends_at timestamptz NOT NULL,
  reason text,
  evidence jsonb NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, entry_key)
);
CREATE INDEX resolution_ledger_by_solved ON resolution_ledger (tenant_id, solved_at, id);
CREATE INDEX resolution_ledger_by_ticket ON resolution_ledger (tenant_id, ticket_id);
CREATE INDEX resolution_ledger_by_resolution ON resolution_ledger (tenant_id, resolution_key);
-- Covering: "still inside its window" and "billable today" counts read the index only.
CREATE INDEX resolution_ledger_due ON resolution_ledger (tenant_id, window_ends_at) INCLUDE (resolution_key)
  WHERE kind = 'automated' AND entry = 'resolution';
CREATE INDEX resolution_ledger_reversals ON resolution_ledger (tenant_id, recorded_at)
  WHERE kind = 'automated' AND entry <> 'resolution';

CREATE FUNCTION resolution_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'resolution_ledger is append-only: add a void or credit entry instead';
END $$;
CREATE TRIGGER resolution_ledger_append_only BEFORE UPDATE OR DELETE ON resolution_ledger
  FOR EACH ROW EXECUTE FUNCTION resolution_ledger_append_only();

-- Per-day counters kept in the same transaction as each ledger insert, so a month's usage is read from
-- ~150 rows however long the ledger grows. Metrics: resolved / voided by solve day; due / due_voided
-- (automated) by window-end day; credited by credit day. Days are UTC.
CREATE TABLE billing_daily (
  tenant_id text NOT NULL REFERENCES tenants(id),
  day date NOT NULL,
  kind text NOT NULL,
  metric text NOT NULL CHECK (metric IN ('resolved', 'voided', 'due', 'due_voided', 'credited')),
  n integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day, kind, metric)
);

-- The check made once an automated resolution's window has passed (still there, not merged, not
-- deleted): only checked resolutions are metered.
CREATE TABLE resolution_checks (
  tenant_id text NOT NULL REFERENCES tenants(id),
  resolution_key text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now(),
  outcome text NOT NULL CHECK (outcome IN ('standing', 'merged', 'deleted')),
  detail jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, resolution_key)
);

-- AWS Marketplace usage records: written (with their exact quantity and hour) before they are sent, so
-- a retry, or a restart after a crash between sending and recording, sends the identical record.
CREATE TABLE metering_records (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  product_code text NOT NULL,
  customer_account_id text NOT NULL,
  dimension text NOT NULL,
  usage_hour timestamptz NOT NULL,
  quantity integer NOT NULL CHECK (quantity >= 0),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN
    ('pending', 'accepted', 'nothing_to_send', 'duplicate_record', 'customer_not_subscribed', 'failed', 'expired')),
  attempts integer NOT NULL DEFAULT 0,
  last_attempt_at timestamptz,
  metering_record_id text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, dimension, usage_hour)
);
CREATE INDEX metering_records_open ON metering_records (usage_hour) WHERE status = 'pending';

-- Which ledger entries each usage record covers: every entry is metered at most once.
CREATE TABLE metered_entries (
  ledger_id bigint PRIMARY KEY REFERENCES resolution_ledger(id),
  record_id bigint NOT NULL REFERENCES metering_records(id),
  tenant_id text NOT NULL
);
CREATE INDEX metered_entries_by_record ON metered_entries (record_id);

-- Every BatchMeterUsage exchange for a record: what was sent and what AWS answered.
CREATE TABLE metering_attempts (
  id bigserial PRIMARY KEY,
  record_id bigint NOT NULL REFERENCES metering_records(id),
  attempted_at timestamptz NOT NULL DEFAULT now(),
  outcome text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX metering_attempts_by_record ON metering_attempts (record_id);
