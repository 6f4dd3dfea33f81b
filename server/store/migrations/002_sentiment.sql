-- Live sentiment: Contact Lens real-time segments (polled or pushed through the Kinesis segment
-- stream), per-leg polling state, post-call figures and the per-conversation sentiment record.

-- One row per transcript turn of an analysed leg. The text is personal data: kept for the ticket,
-- never logged and never put in a job payload.
CREATE TABLE sentiment_utterances (
  tenant_id text NOT NULL REFERENCES tenants(id),
  -- The leg Contact Lens analysed, and the conversation it belongs to (re-homed if the leg's mapping
  -- arrives after its segments).
  contact_id text NOT NULL,
  segment_id text NOT NULL,
  initial_contact_id text NOT NULL,
  participant text NOT NULL,
  text text NOT NULL,
  -- Built from stream `Utterance` pieces of a turn still being spoken; the turn's `Transcript`
  -- segment, when it comes, replaces it.
  partial boolean NOT NULL DEFAULT false,
  piece_ids text[] NOT NULL DEFAULT '{}',
  sentiment text CHECK (sentiment IN ('POSITIVE', 'NEUTRAL', 'NEGATIVE')),
  -- -1 .. 1: the Contact Lens label mapped, or the AI provider's score when Contact Lens gave none.
  score real CHECK (score BETWEEN -1 AND 1),
  score_source text CHECK (score_source IN ('contact_lens', 'provider')),
  begin_offset_ms integer NOT NULL,
  end_offset_ms integer NOT NULL,
  issues jsonb,
  source text NOT NULL CHECK (source IN ('api', 'stream')),
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, contact_id, segment_id)
);
CREATE INDEX sentiment_utterances_by_conversation
  ON sentiment_utterances (tenant_id, initial_contact_id, begin_offset_ms);

-- Per analysed leg: where polling stands (the NextToken is Contact Lens' continuation), and whether
-- the segment stream is delivering for it (then polling stands aside).
CREATE TABLE contact_lens_legs (
  tenant_id text NOT NULL REFERENCES tenants(id),
  contact_id text NOT NULL,
  initial_contact_id text NOT NULL,
  instance_arn text,
  channel text NOT NULL DEFAULT 'VOICE',
  -- Chat offsets are measured from here (the leg's first known time).
  origin_at timestamptz,
  language_code text,
  poll_started_at timestamptz,
  next_token text,
  polls integer NOT NULL DEFAULT 0,
  last_poll_at timestamptz,
  last_segment_at timestamptz,
  interval_ms integer,
  ended_at timestamptz,
  stream_seen_at timestamptz,
  stream_completed_at timestamptz,
  stopped_at timestamptz,
  stop_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, contact_id)
);
CREATE INDEX contact_lens_legs_by_conversation ON contact_lens_legs (tenant_id, initial_contact_id);
CREATE INDEX contact_lens_legs_polling ON contact_lens_legs (last_poll_at)
  WHERE poll_started_at IS NOT NULL AND stopped_at IS NULL;

-- The sentiment figures of a leg's Contact Lens post-call output (no transcript), once per leg.
CREATE TABLE contact_lens_post_call (
  tenant_id text NOT NULL REFERENCES tenants(id),
  contact_id text NOT NULL,
  initial_contact_id text NOT NULL,
  channel text NOT NULL,
  duration_ms integer,
  customer_overall real,
  agent_overall real,
  customer_quarters jsonb NOT NULL DEFAULT '[]',
  customer_shift jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, contact_id)
);
CREATE INDEX contact_lens_post_call_recent ON contact_lens_post_call (tenant_id, received_at);

-- Per conversation: the categories matched, the alert as last computed, and the final sentiment
-- written to the ticket exactly once (claimed with a lease, then recorded).
CREATE TABLE contact_sentiment (
  tenant_id text NOT NULL REFERENCES tenants(id),
  initial_contact_id text NOT NULL,
  categories text[] NOT NULL DEFAULT '{}',
  alert_active boolean NOT NULL DEFAULT false,
  alert_raised integer NOT NULL DEFAULT 0,
  alert_changed_at timestamptz,
  ended_at timestamptz,
  final_due_at timestamptz,
  final_claim_owner text,
  final_claim_until timestamptz,
  final_written_at timestamptz,
  final_status text CHECK (final_status IN ('written', 'skipped', 'failed')),
  final_ticket_id bigint,
  final jsonb,
  final_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, initial_contact_id)
);
CREATE INDEX contact_sentiment_final_due ON contact_sentiment (final_due_at)
  WHERE final_status IS NULL AND final_due_at IS NOT NULL;
