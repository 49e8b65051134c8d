//! The escalation engine: reads the facts of every open case, asks [`rules::evaluate`] which
//! escalations should exist, and opens the ones that do not yet. Each run also sends the
//! due-date reminders and empties the e-mail outbox. Everything it writes is keyed (rule keys,
//! notification dedupe keys), so overlapping runs — a manual run during a scheduled one, or two
//! nodes on one database — open and notify nothing twice.

use crate::core::Context;
use crate::domain::rules;
use crate::notifications::mail;
use crate::storage::audit::{Actor, NewAudit};
use crate::storage::escalations::NewEscalation;
use crate::storage::notifications::{Notice, NoticeKind};
use chrono::Duration;
use serde::Serialize;
use std::time::Duration as StdDuration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

/// Days before the due date on which the owner of an action is reminded.
pub const REMIND_DAYS: i64 = 3;

/// What one run did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RunReport {
    /// Open cases whose facts were evaluated.
    pub cases: usize,
    /// Escalations opened by this run (none that existed before).
    pub opened: Vec<Uuid>,
    /// New due-date reminders.
    pub reminders: u64,
    /// E-mails handed to the SMTP server.
    pub mailed: usize,
}

/// One run of the engine at the clock's current time.
pub async fn run_once(cx: &Context) -> Result<RunReport, sqlx::Error> {
    let now = cx.clock.now();
    let store = &cx.store;
    let mut facts = Vec::new();
    for case_id in store.open_case_ids().await? {
        facts.push(store.case_facts(case_id).await?);
    }
    let mut report = RunReport { cases: facts.len(), ..RunReport::default() };
    let mail = cx.outbox.mails();
    for opening in rules::evaluate(now, &cx.escalation.rules, &facts) {
        let id = Uuid::now_v7();
        let new = NewEscalation {
            case_id: opening.case_id,
            action_id: Some(opening.action_id),
            domain: opening.domain,
            reason: opening.reason,
            rule_key: Some(opening.rule_key),
            note: opening.note,
            raised_by: None,
        };
        let audit = opened_audit(now, &new, id);
        let notice = Notice {
            kind: NoticeKind::Escalation,
            case_id: new.case_id,
            subject: ("escalation", id),
            key: format!("escalation:{id}"),
            organisation_id: None,
            user_id: None,
            except: None,
            mail,
        };
        if let Some(opened) = store.insert_escalation(&new, now, &audit, &notice).await? {
            tracing::info!(escalation = %opened.id, reason = %opened.reason, "escalation opened by rule");
            report.opened.push(opened.id);
        }
    }
    let today = crate::timezone::to_local(now).date_naive();
    for due in store.actions_due_between(today, today + Duration::days(REMIND_DAYS)).await? {
        let notice = Notice {
            kind: NoticeKind::ActionDue,
            case_id: due.case_id,
            subject: ("action", due.id),
            key: format!("due:{}:{}", due.id, due.due_date),
            organisation_id: Some(due.owner_organisation_id),
            user_id: due.owner_user_id,
            except: None,
            mail,
        };
        report.reminders += store.notify(&notice, now).await?;
    }
    report.mailed = mail::flush(cx).await?;
    Ok(report)
}

fn opened_audit(now: chrono::DateTime<chrono::Utc>, new: &NewEscalation, id: Uuid) -> NewAudit {
    NewAudit {
        at: now,
        actor: Actor::system("escalation engine"),
        action: "escalation.open",
        case_id: Some(new.case_id),
        subject: Some(("escalation", id)),
        detail: Some(new.reason.to_string()),
    }
}

/// Runs the engine every `interval` (the first run at once) until `stop` is cancelled. A run
/// in progress finishes before the task ends, so the store is never closed under it.
pub fn spawn(cx: Context, interval: StdDuration, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = ticks.tick() => {
                    let outcome = run_once(&cx).await;
                    let label = if outcome.is_ok() { "ok" } else { "failed" };
                    cx.metrics.escalation_runs.get_or_create(&crate::metrics::RunLabels { outcome: label.into() }).inc();
                    match outcome {
                        Ok(report) if !report.opened.is_empty() || report.reminders > 0 => {
                            tracing::info!(opened = report.opened.len(), reminders = report.reminders,
                                mailed = report.mailed, "escalation engine ran");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "escalation engine run failed"),
                    }
                    if let Err(e) = crate::retention::purge(&cx).await {
                        tracing::error!(error = %e, "retention purge failed");
                    }
                }
            }
        }
        tracing::debug!("escalation engine stopped");
    })
}
