//! Ketentafel: video case conferences for the re-integration of detainees.
//!
//! A casemanager in the prison opens a case, puts the chain partners on its need-to-know list
//! and schedules a conference; everyone joins from a browser; the minutes follow the five life
//! domains and record who does what by when; what stays unresolved escalates to the steering
//! group. The map of the code, bottom to top (an import only points down; `scripts/check-layers`
//! checks it and docs/architecture.md explains it):
//!
//! - [`secret`], [`clock`], [`i18n`], [`timezone`], [`domain`] (the vocabulary, input
//!   validation and the pure escalation and readiness rules), [`media`] (what the SFU and the
//!   rooms share): no knowledge of the product's operations.
//! - [`storage`]: SQLite or PostgreSQL behind one set of portable queries; the ground floor.
//! - [`error`] (the domain's one error), [`events`] (the events bus), [`core`] (the
//!   [`core::Context`] every domain operation takes: store, clock, events, outbox, settings).
//! - [`auth`]: principals, sessions, invites as credentials, passwords, login limits and the
//!   access rules.
//! - The domain operations, each checking access and writing the audit trail:
//!   [`notifications`], [`cases`], [`meetings`], [`actions`], [`obstacles`], [`retention`],
//!   [`escalation`] (the engine and the steering group's queue), [`figures`], [`accounts`],
//!   [`demo`] (the fictional demo workspace).
//! - [`sfu`]: the media engine behind `Sfu` and `Peer`; [`signalling`]: the WebSocket protocol,
//!   the conference rooms and what they record; [`cluster`]: several nodes on one PostgreSQL
//!   and one NATS (a lease per conference, the events bus and relayed signalling between nodes).
//! - [`config`] (flags and environment), [`http`] (the JSON API and `AppState`, its OpenAPI
//!   document and the browser client's files), [`app`] (building and running the service:
//!   `app::build(config, listener, shutdown)`).
//!
//! Not here: the headless participant and the load harness are a package of their own (`load/`,
//! `ketentafel-load`), so the service does not depend on their HTTP and WebSocket clients.

pub mod accounts;
pub mod actions;
pub mod app;
pub mod auth;
pub mod cases;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod core;
pub mod demo;
pub mod domain;
pub mod error;
pub mod escalation;
pub mod events;
pub mod figures;
pub mod http;
pub mod i18n;
pub mod media;
pub mod meetings;
pub mod metrics;
pub mod notifications;
pub mod obstacles;
pub mod retention;
pub mod secret;
pub mod sfu;
pub mod signalling;
pub mod storage;
pub mod timezone;
