//! The whole audit trail, as the administrator reads it. He keeps the service, not the cases:
//! his trail names a case by its id only. The one place a row can name the client is its actor —
//! the client's invite carries his pseudonym (or the name the chair greeted him by) — so the
//! holder of an invite is shown by kind (`cliënt`, `gast`) and invite id, never by name.

use super::require_admin;
use crate::auth::UserPrincipal;
use crate::core::Context;
use crate::error::Result;
use crate::storage::audit::AuditFilter;
use crate::storage::models::AuditEvent;

/// The trail, newest first, narrowed by `filter`; the read itself is audited (with the filter,
/// so the trail shows what an administrator looked for). An invite's holder is never found by
/// name: the actor criterion matches accounts and the service only.
pub async fn whole(cx: &Context, admin: &UserPrincipal, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEvent>> {
    require_admin(admin, "only the administrator reads the whole audit trail")?;
    let now = cx.clock.now();
    let mut criteria = Vec::new();
    if let Some(actor) = &filter.actor {
        criteria.push(format!("actor ~ {actor}"));
    }
    if let Some(case_id) = filter.case_id {
        criteria.push(format!("case {case_id}"));
    }
    if let Some(action) = &filter.action {
        criteria.push(format!("action {action}*"));
    }
    if let Some(from) = filter.from {
        criteria.push(format!("from {}", from.to_rfc3339()));
    }
    if let Some(before) = filter.before {
        criteria.push(format!("before {}", before.to_rfc3339()));
    }
    let detail = (!criteria.is_empty()).then(|| criteria.join("; "));
    cx.store.record_audit(&admin.principal().audit(now, "audit.read_all", filter.case_id, None, detail)).await?;
    Ok(cx.store.filtered_audit(filter, limit).await?.into_iter().map(by_case_id_only).collect())
}

/// The row without the name of an invite's holder.
fn by_case_id_only(mut event: AuditEvent) -> AuditEvent {
    if event.actor_kind == "invite" {
        // The label is written as "<name> (cliënt)" or "<name> (<organisation>, gast)"; before
        // that was so, an accepted invite was labelled by the bare name, its kind in the detail.
        let client = event.actor_label.ends_with("(cliënt)")
            || (event.action == "invite.accept" && event.detail.as_deref() == Some("client"));
        let kind = if client { "cliënt" } else { "gast" };
        event.actor_label = kind.to_owned();
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn event(kind: &str, label: &str) -> AuditEvent {
        AuditEvent {
            id: Uuid::now_v7(),
            at: Utc::now(),
            actor_kind: kind.into(),
            actor_id: Some(Uuid::now_v7()),
            actor_label: label.into(),
            action: "plan.read".into(),
            case_id: Some(Uuid::now_v7()),
            subject_kind: None,
            subject_id: None,
            detail: None,
        }
    }

    #[test]
    fn an_invite_holder_is_named_by_kind_and_an_account_by_name() {
        assert_eq!(by_case_id_only(event("invite", "Daan V. (fictief) (cliënt)")).actor_label, "cliënt");
        assert_eq!(by_case_id_only(event("invite", "Els (Leger des Heils, gast)")).actor_label, "gast");
        let accepted_before = AuditEvent {
            action: "invite.accept".into(),
            detail: Some("client".into()),
            ..event("invite", "Daan V. (fictief)")
        };
        assert_eq!(by_case_id_only(accepted_before).actor_label, "cliënt");
        assert_eq!(
            by_case_id_only(event("user", "Inge de Wit (PI Dordrecht)")).actor_label,
            "Inge de Wit (PI Dordrecht)"
        );
    }
}
