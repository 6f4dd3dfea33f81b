-- Knowledge gaps: per-tenant settings, the solved tickets the analysis reads (only what it keeps of them,
-- cleaned and redacted), resumable runs, versioned gaps and the drafts' review queue.

CREATE TABLE knowledge_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  -- How often the scheduled analysis runs (weekly by default).
  every_ms bigint NOT NULL DEFAULT 604800000,
  -- Agents in this Zendesk group may approve drafts (admins always may).
  approver_group_id bigint,
  -- A new gap with at least this many tickets gets a draft.
  draft_min_size integer NOT NULL DEFAULT 8,
  -- Solved tickets older than this are left out of the analysis.
  lookback_days integer NOT NULL DEFAULT 90,
  -- Help Center permission group for new articles (the first one the API lists when unset).
  permission_group_id bigint,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Where the tenant's incremental ticket export stopped: the cursor survives runs and crashes.
CREATE TABLE knowledge_export_state (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  cursor text,
  start_time bigint,
  tickets_seen bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE knowledge_tickets (
  tenant_id text NOT NULL REFERENCES tenants(id),
  ticket_id bigint NOT NULL,
  question text NOT NULL,
  -- Public agent replies, cleaned and redacted (what a draft may be grounded in).
  answer text,
  channel text,
  created_at timestamptz,
  solved_at timestamptz NOT NULL,
  handle_minutes real NOT NULL,
  reopened boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, ticket_id)
);
CREATE INDEX knowledge_tickets_solved ON knowledge_tickets (tenant_id, solved_at);

CREATE TABLE knowledge_runs (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id uuid NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  stage text NOT NULL CHECK (stage IN ('export', 'analyze', 'draft', 'done', 'failed')),
  requested_by bigint,
  exported integer NOT NULL DEFAULT 0,
  stats jsonb NOT NULL DEFAULT '{}',
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
-- At most one unfinished run per tenant: a second request joins it.
CREATE UNIQUE INDEX knowledge_runs_active ON knowledge_runs (tenant_id) WHERE stage NOT IN ('done', 'failed');

CREATE TABLE knowledge_gaps (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id uuid NOT NULL,
  signature text NOT NULL,
  label text NOT NULL,
  size integer NOT NULL,
  ticket_ids bigint[] NOT NULL,
  coverage real NOT NULL,
  top_article_id bigint,
  top_article_title text,
  questions jsonb NOT NULL,
  impact jsonb NOT NULL,
  -- stem → weight of the cluster's centroid: how a later run recognises the same gap.
  centroid jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'covered')),
  first_run uuid NOT NULL,
  last_run uuid NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX knowledge_gaps_by_signature ON knowledge_gaps (tenant_id, signature);

-- One row per gap and run that saw it: size, coverage and impact over time.
CREATE TABLE knowledge_gap_versions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  gap_id uuid NOT NULL,
  version integer NOT NULL,
  run_id uuid NOT NULL,
  size integer NOT NULL,
  coverage real NOT NULL,
  impact_score real NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, gap_id, version),
  FOREIGN KEY (tenant_id, gap_id) REFERENCES knowledge_gaps (tenant_id, id)
);

CREATE TABLE knowledge_drafts (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id uuid NOT NULL,
  gap_id uuid NOT NULL,
  gap_version integer NOT NULL,
  run_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('create', 'update')),
  -- "update" drafts: the existing article that nearly duplicates the gap.
  target_article_id bigint,
  target_article_title text,
  locale text NOT NULL,
  title text NOT NULL,
  body_html text NOT NULL,
  section_id bigint,
  labels text[] NOT NULL DEFAULT '{}',
  -- [{html, sourceTicketIds}]: every paragraph with the tickets it was taken from.
  paragraphs jsonb NOT NULL,
  source_ticket_ids bigint[] NOT NULL,
  questions jsonb NOT NULL,
  provider text NOT NULL,
  -- The draft as generated, before a reviewer's edits.
  original jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'published')),
  created_at timestamptz NOT NULL DEFAULT now(),
  approved_by bigint,
  approved_at timestamptz,
  rejected_by bigint,
  rejected_at timestamptz,
  reject_reason text,
  published_article_id bigint,
  published_url text,
  published_at timestamptz,
  publish_attempts integer NOT NULL DEFAULT 0,
  -- Lease of the one process publishing it right now (no transaction is held while Zendesk answers).
  publishing_until timestamptz,
  publish_error text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, gap_id) REFERENCES knowledge_gaps (tenant_id, id)
);
-- One open draft per gap; a retried drafting step of the same run adds nothing.
CREATE UNIQUE INDEX knowledge_drafts_open ON knowledge_drafts (tenant_id, gap_id) WHERE state IN ('pending', 'approved');
CREATE UNIQUE INDEX knowledge_drafts_run ON knowledge_drafts (tenant_id, gap_id, run_id);
CREATE INDEX knowledge_drafts_by_state ON knowledge_drafts (tenant_id, state, created_at);
