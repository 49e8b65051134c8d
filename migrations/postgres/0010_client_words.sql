-- The client's own words (issue 14): an action and a conference's purpose may carry a short
-- plain-language (B1) text for the client, written or picked by the chair. The client's plan
-- shows only these (or a plain default per life domain), never the professionals' wording.
-- Empty means "not written yet".
ALTER TABLE action ADD COLUMN client_text TEXT NOT NULL DEFAULT '';
ALTER TABLE meeting ADD COLUMN client_purpose TEXT NOT NULL DEFAULT '';
