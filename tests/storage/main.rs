//! The storage tests: the public `Store` API on a fresh SQLite file and on a fresh PostgreSQL
//! database per test, without HTTP in between, so a difference between the two backends shows up
//! where it starts. `schema` checks that the two migration folders define the same schema.

mod helpers;

mod accounts;
mod audit;
mod cases;
mod client_words;
mod invites;
mod minutes;
mod schema;
mod sessions;
