//! The integration tests: the real service on port 0, on a fresh SQLite file and on a fresh
//! PostgreSQL database per test, driven over HTTP like its users drive it.

mod helpers;

mod access;
mod client_words;
mod conference;
mod durability;
mod errors;
mod escalation;
mod figures;
mod flow;
mod four_eyes;
mod headers;
mod invites;
mod lifecycle;
mod load;
mod obstacles;
mod openapi;
mod restart;
mod review;
mod rules;
mod sessions;
mod signalling;
mod tls;
