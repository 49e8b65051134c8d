-- Every write to a conference's minutes (a domain's text, an action agreed in it) counts up
-- this revision in the same transaction. Finalising stamps the meeting only if the revision is
-- still the one its record was rendered from, so a write that was confirmed is never missing
-- from the final minutes.
ALTER TABLE meeting ADD COLUMN minutes_revision BIGINT NOT NULL DEFAULT 0;
