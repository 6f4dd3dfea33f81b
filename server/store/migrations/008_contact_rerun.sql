-- A job that found its conversation leased by another worker says so here and ends at once: the holder
-- reads the inbox again before it lets go, so the event that job carried is not left for the sweeper.
ALTER TABLE contacts ADD COLUMN lease_rerun boolean NOT NULL DEFAULT false;
