-- `minutes_record.version` was created as INTEGER (32 bits) in 0001, while its SQLite twin's
-- INTEGER holds 64 bits and every other counter here is BIGINT; the schema test
-- (tests/storage/schema.rs) found it. Widening is lossless.
ALTER TABLE minutes_record ALTER COLUMN version TYPE BIGINT;
