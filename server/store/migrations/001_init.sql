-- Tenants: one Zendesk account each. The tenant id is the Zendesk subdomain.
CREATE TABLE tenants (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  zendesk_url text NOT NULL,
  -- AES-256-GCM ciphertext of the JSON credentials (OAuth token or email + API token).
  zendesk_credentials text NOT NULL,
  connect_instance_arn text,
  -- The Connect admin website (https://<alias>.my.connect.aws), for links to contacts in notes.
  connect_url text,
  -- Only hashes of the ingest key and webhook bearer secret: we compare, never read them back.
  ingest_key_hash text NOT NULL UNIQUE,
  webhook_secret_hash text NOT NULL,
  -- The app's shared secret signs HS256 JWTs we must verify: kept encrypted, not hashed.
  app_secret text NOT NULL,
  zendesk_rpm integer NOT NULL DEFAULT 400 CHECK (zendesk_rpm > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Durable inbox of Amazon Connect contact events: a row exists before we answer 202.
CREATE TABLE contact_events (
  tenant_id text NOT NULL REFERENCES tenants(id),
  event_id text NOT NULL,
  contact_id text NOT NULL,
  initial_contact_id text NOT NULL,
  event_type text NOT NULL,
  channel text NOT NULL,
  event_time timestamptz,
  detail jsonb NOT NULL,
  source text NOT NULL DEFAULT 'eventbridge' CHECK (source IN ('eventbridge', 'reconcile')),
  received_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  last_attempt_at timestamptz,
  processed_at timestamptz,
  PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX contact_events_pending ON contact_events (received_at) WHERE status = 'pending';
CREATE INDEX contact_events_by_contact ON contact_events (tenant_id, initial_contact_id);
CREATE INDEX contact_events_failed ON contact_events (tenant_id, processed_at) WHERE status = 'failed';

-- One row per conversation (initial contact id): the contact <-> ticket mapping and sync progress.
CREATE TABLE contacts (
  tenant_id text NOT NULL REFERENCES tenants(id),
  initial_contact_id text NOT NULL,
  channel text NOT NULL,
  ticket_id bigint,
  requester_id bigint,
  outcome text CHECK (outcome IN ('answered', 'abandoned', 'self_service')),
  state text NOT NULL DEFAULT 'initiated' CHECK (state IN ('initiated', 'queued', 'connected', 'ended')),
  queue_name text,
  agent_username text,
  caller_masked text,
  started_at timestamptz,
  connected_at timestamptz,
  ended_at timestamptz,
  -- Legs (contact ids) whose end was already written to the ticket: one post-call update per leg.
  finalized_legs text[] NOT NULL DEFAULT '{}',
  -- Set before a ticket create is sent, so a crash between Zendesk's answer and our write is detectable;
  -- with the legs that create covered.
  create_attempted_at timestamptz,
  create_attempt_legs text[] NOT NULL DEFAULT '{}',
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, initial_contact_id)
);
CREATE INDEX contacts_by_ticket ON contacts (tenant_id, ticket_id);

-- Every Connect contact id we know, mapped to its conversation (transfers, callbacks).
CREATE TABLE contact_legs (
  tenant_id text NOT NULL REFERENCES tenants(id),
  contact_id text NOT NULL,
  initial_contact_id text NOT NULL,
  PRIMARY KEY (tenant_id, contact_id)
);

-- Zendesk users we resolved: callers by a keyed hash of their phone number, agents by Connect user id.
CREATE TABLE zendesk_users (
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL CHECK (kind IN ('caller', 'agent')),
  lookup_key text NOT NULL,
  zendesk_user_id bigint,
  resolved_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, kind, lookup_key)
);
