-- The finalised minutes as a PDF for the case file, made once when the minutes are finalised
-- and served as stored from then on, with the SHA-256 of the record's content (the stored JSON)
-- that the PDF prints on every page. Records finalised before this migration get theirs made
-- once, on their first download.
ALTER TABLE minutes_record ADD COLUMN content_sha256 TEXT;
ALTER TABLE minutes_record ADD COLUMN pdf BLOB;
