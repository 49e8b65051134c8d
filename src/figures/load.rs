//! Loading the figures for a viewer: the query, its checks, the scope, and the audit row.

use super::{Figures, Period, compute, local_day};
use crate::auth::UserPrincipal;
use crate::auth::access;
use crate::core::Context;
use crate::domain::validate::{self, Invalid};
use crate::error::Result;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

/// Which figures to compute; every parameter is optional.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// `month` (default) or `quarter`.
    pub period: Option<Period>,
    /// The first day counted (default: the start of the period a year back).
    pub from: Option<NaiveDate>,
    /// The last day counted (default: today).
    pub to: Option<NaiveDate>,
    /// The language of chart and CSV texts: `nl` (default) or `en`.
    pub lang: Option<crate::i18n::Lang>,
}

/// The figures over the cases `user` may see: every case, aggregated, for steering and admin;
/// the cases on their list (and, for a coordinator, of the municipality) for everyone else.
pub async fn for_user(cx: &Context, user: &UserPrincipal, query: &FiguresQuery, what: &str) -> Result<Figures> {
    let now = cx.clock.now();
    let today = local_day(now);
    let period = query.period.unwrap_or_default();
    let to = validate::date("to", query.to.unwrap_or(today))?;
    let back = match period {
        Period::Month => 11,
        Period::Quarter => 9,
    };
    let default_from =
        period.start(to).checked_sub_months(chrono::Months::new(back)).expect("dates stay within chrono's range");
    let from = validate::date("from", query.from.unwrap_or(default_from))?;
    if from > to {
        return Err(Invalid::new("from", "is after `to`").into());
    }
    if (to - from).num_days() > 3660 {
        return Err(Invalid::new("from", "covers more than ten years").into());
    }
    let scope = access::escalation_scope(user);
    let data = cx.store.figure_data(scope).await?;
    cx.store.record_audit(&user.principal().audit(now, "figures.read", None, None, Some(what.to_owned()))).await?;
    let scope = if scope.is_none() { "all" } else { "own" };
    Ok(compute(now, period, from, to, &cx.escalation.lead_days, &data, scope))
}
