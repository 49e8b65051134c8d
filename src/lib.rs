//! Ketentafel: video case conferences for the re-integration of detainees.
//!
//! A casemanager in the prison opens a case, puts the chain partners on its need-to-know list
//! and schedules a conference; everyone joins from a browser; the minutes follow the five life
//! domains and record who does what by when; what stays unresolved escalates to the steering
//! group. The map of the code:
//!
//! - [`app`]: building and running the service (`app::build(config, listener, shutdown)`).
//! - [`config`]: flags and environment.
//! - [`http`]: the JSON API, its OpenAPI document and the browser client's files.
//! - [`auth`]: sessions, invites as credentials, passwords, and the access rules.
//! - [`cases`], [`meetings`], [`actions`], [`accounts`]: the domain operations, each checking
//!   access and writing the audit trail.
//! - [`escalation`]: the rules engine (pure rules, injected clock), readiness before release,
//!   and the steering group's queue and decisions; [`obstacles`]: the register of systemic
//!   bottlenecks; [`figures`]: the dashboard's numbers, charts (SVG) and CSV;
//!   [`notifications`]: in-app notifications and their e-mails.
//! - [`domain`]: the vocabulary (life domains, roles, statuses) and input validation.
//! - [`storage`]: SQLite or PostgreSQL behind one set of portable queries.
//! - [`events`]: changes to case data, for live views.
//! - [`retention`]: deleting closed cases after their retention period.
//! - [`demo`]: the fictional demo workspace.
//! - [`i18n`], [`timezone`], [`clock`], [`error`]: shared plumbing.
//!
//! Not here: the headless participant and the load harness are a package of their own (`load/`,
//! `ketentafel-load`), so the service does not depend on their HTTP and WebSocket clients.

pub mod accounts;
pub mod actions;
pub mod app;
pub mod auth;
pub mod cases;
pub mod clock;
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
pub mod notifications;
pub mod obstacles;
pub mod retention;
pub mod secret;
pub mod sfu;
pub mod signalling;
pub mod storage;
pub mod timezone;
