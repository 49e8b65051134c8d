//! The integration tests: the real service on port 0, on a fresh SQLite file and on a fresh
//! PostgreSQL database per test, driven over HTTP like its users drive it.

mod helpers;

mod access;
mod admin_console;
mod client_words;
mod conference;
mod demo_history;
mod durability;
mod errors;
mod escalation;
mod figures;
mod flow;
mod four_eyes;
mod headers;
mod invite_list;
mod invites;
mod lifecycle;
mod load;
mod members;
mod minutes_record;
mod network_check;
mod nodes;
mod obstacles;
mod openapi;
mod process;
mod restart;
mod review;
mod rules;
mod sessions;
mod signalling;
mod simulcast;
mod tls;
