//! Who reads which escalation: the reads the queue and the obstacles register share, each
//! audited against its case; the administrator sees that escalations exist, not whom they are
//! about.

use crate::auth::UserPrincipal;
use crate::auth::access;
use crate::cases;
use crate::core::Context;
use crate::error::{Error, Result};
use crate::storage::escalations::{Escalation, EscalationFilter};
use uuid::Uuid;

/// The escalations `filter` selects, each read audited against its case.
pub(crate) async fn read_audited(
    cx: &Context,
    user: &UserPrincipal,
    filter: &EscalationFilter,
) -> Result<Vec<Escalation>> {
    let now = cx.clock.now();
    let escalations = cx.store.escalations(filter).await?;
    let principal = user.principal();
    for e in &escalations {
        cx.store
            .record_audit(&principal.audit(now, "escalation.list", Some(e.case_id), Some(("escalation", e.id)), None))
            .await?;
    }
    Ok(escalations.into_iter().map(|e| redacted_for(user, e)).collect())
}

/// The administrator keeps the service running, not the cases: he sees that escalations
/// exist and where they stand, but not whom they are about or what was written.
pub(crate) fn redacted_for(user: &UserPrincipal, mut escalation: Escalation) -> Escalation {
    if user.role() == crate::domain::Role::Admin {
        escalation.client_pseudonym = String::new();
        escalation.note = String::new();
        escalation.action_description = None;
        escalation.decision_note = None;
        escalation.raised_by_name = None;
    }
    escalation
}

/// The escalation, if the caller may read it (404 otherwise, like a case off the list).
pub(crate) async fn readable(cx: &Context, user: &UserPrincipal, id: Uuid) -> Result<Escalation> {
    let escalation = cx.store.escalation(id).await?.ok_or(Error::NotFound)?;
    let rights = match access::escalation_scope(user) {
        None => None,
        Some(_) => Some(cases::load(cx, user, escalation.case_id).await?.1),
    };
    if !access::may_read_escalation(user, rights) {
        return Err(Error::NotFound);
    }
    Ok(escalation)
}
