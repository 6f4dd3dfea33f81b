-- The billing worker drains a tenant's pending ticket events a ticket at a time: it claims the ticket's
-- pending rows until claimed_until (a worker holds them, or they wait out a failed attempt's backoff or a
-- Zendesk rate limit); nobody else takes them before then. Claims are made in tenant, received order.
ALTER TABLE ticket_events ADD COLUMN claimed_until timestamptz NOT NULL DEFAULT '-infinity';
DROP INDEX ticket_events_pending;
CREATE INDEX ticket_events_pending ON ticket_events (tenant_id, received_at) WHERE status = 'pending';
