-- Help Center articles per tenant, kept fresh from the incremental articles export; the suggestions
-- index is built from these rows (never from a live Help Center call on the hot path).
CREATE TABLE hc_articles (
  tenant_id text NOT NULL REFERENCES tenants(id),
  article_id bigint NOT NULL,
  locale text NOT NULL,
  title text NOT NULL,
  html_url text,
  section_id bigint,
  label_names text[] NOT NULL DEFAULT '{}',
  body_html text NOT NULL,
  draft boolean NOT NULL DEFAULT false,
  source_updated_at timestamptz NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, article_id, locale)
);
CREATE INDEX hc_articles_changed ON hc_articles (tenant_id, synced_at);

-- Where each tenant's incremental export stopped (end_time of the last page), and when ids were last
-- reconciled in full (archived articles do not always show up in the incremental export).
CREATE TABLE hc_sync_state (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  cursor_time bigint NOT NULL DEFAULT 0,
  full_check_at timestamptz,
  article_count integer NOT NULL DEFAULT 0,
  last_run_at timestamptz
);
