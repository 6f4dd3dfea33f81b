-- Suggestions shown to agents and what they did with them. The reply text itself is not kept (it may
-- quote the customer); the articles it came from and the confidence are, for the knowledge loop and
-- for AI-assisted resolution billing.
CREATE TABLE suggestions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id uuid NOT NULL,
  ticket_id bigint,
  initial_contact_id text,
  provider text NOT NULL,
  confidence real NOT NULL,
  article_ids bigint[] NOT NULL DEFAULT '{}',
  locale text,
  created_by bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX suggestions_by_ticket ON suggestions (tenant_id, ticket_id, created_at);

CREATE TABLE suggestion_actions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  suggestion_id uuid NOT NULL,
  action text NOT NULL CHECK (action IN ('inserted', 'copied', 'opened_article', 'thumbs_up', 'thumbs_down')),
  article_id bigint,
  reason text,
  user_id bigint,
  ticket_id bigint,
  at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, suggestion_id) REFERENCES suggestions (tenant_id, id)
);
CREATE INDEX suggestion_actions_by_ticket ON suggestion_actions (tenant_id, ticket_id);
