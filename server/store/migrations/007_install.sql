-- Tenant lifecycle. A tenant installed through the OAuth flow (or the CLI) is active; an uninstall or a
-- token Zendesk no longer accepts suspends it: all work stops at once, and its data is deleted once
-- purge_after has passed (the grace period lets an admin reconnect without losing anything).
ALTER TABLE tenants ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended'));
ALTER TABLE tenants ADD COLUMN suspended_reason text CHECK (suspended_reason IN ('uninstalled', 'token_revoked'));
ALTER TABLE tenants ADD COLUMN suspended_at timestamptz;
ALTER TABLE tenants ADD COLUMN purge_after timestamptz;
ALTER TABLE tenants ADD COLUMN installed_via text NOT NULL DEFAULT 'cli' CHECK (installed_via IN ('cli', 'oauth'));
CREATE INDEX tenants_purge_due ON tenants (purge_after) WHERE status = 'suspended';

-- One row per OAuth authorization started at /v1/install/start; the callback consumes it exactly once.
-- Keyed by the subdomain, not a tenant id: the tenant does not exist yet.
CREATE TABLE install_attempts (
  -- Only hashes of the state and of the browser-binding cookie: they are compared, never read back.
  state_hash text PRIMARY KEY,
  browser_hash text NOT NULL,
  subdomain text NOT NULL CHECK (subdomain ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  zendesk_url text NOT NULL,
  -- The PKCE code_verifier, encrypted (AES-256-GCM, bound to the subdomain).
  code_verifier text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz
);
CREATE INDEX install_attempts_expiry ON install_attempts (expires_at);
