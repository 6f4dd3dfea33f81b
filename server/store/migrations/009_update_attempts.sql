-- Legs whose final ticket update was sent (or was about to be) but not yet recorded as finalized. After a
-- crash in that window, the next round looks for the update on the ticket before sending it again, so a
-- killed worker never writes a second voice comment and note.
ALTER TABLE contacts ADD COLUMN update_attempt_legs text[] NOT NULL DEFAULT '{}';
