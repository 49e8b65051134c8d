//! The figures ("meten = weten"): how the work is going, for coordinators and the steering
//! group, over the cases the viewer may see. Computed by a pure function from dates, statuses
//! and domains — never a name — and served as JSON, as accessible SVG charts ([`svg`]) and as
//! CSV ([`csv`]). The definitions (docs/escalation.md repeats them):
//!
//! - **Actions done on time**, per domain per period: the actions (not cancelled) whose due
//!   date falls in the period and that can be judged — done, or past their due date. On time:
//!   done on or before the due date (Dutch calendar). Actions due later and not done yet are
//!   not counted.
//! - **Open escalations by age**: escalations still open or under review now, by days since
//!   they were opened: 0–7, 8–14, 15–30, 31–60, more than 60.
//! - **Time from escalation to decision**: per period of the decision, the median of the days
//!   between opening and deciding.
//! - **Cases with a readiness warning, per domain**: open cases whose domain is not in hand
//!   while the release is within the domain's lead time (see `domain::readiness`), now.

pub mod csv;
mod load;
pub mod svg;

pub use load::{FiguresQuery, for_user};

use crate::domain::readiness::{self, LeadDays};
use crate::domain::{ActionStatus, CaseStatus, EscalationStatus, LifeDomain};
use crate::storage::figures::FigureData;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One chart of the dashboard, as SVG or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Actions done on time per domain over the range.
    OnTime,
    /// Open escalations by age.
    EscalationAge,
    /// Median days from escalation to decision, per period.
    DecisionTime,
    /// Open cases with a readiness warning, per domain.
    Warnings,
}

impl Chart {
    pub const ALL: [Chart; 4] = [Chart::OnTime, Chart::EscalationAge, Chart::DecisionTime, Chart::Warnings];

    /// The name in URLs and translation keys: `on-time`, `escalation-age`, `decision-time`,
    /// `warnings`.
    pub fn slug(self) -> &'static str {
        match self {
            Chart::OnTime => "on-time",
            Chart::EscalationAge => "escalation-age",
            Chart::DecisionTime => "decision-time",
            Chart::Warnings => "warnings",
        }
    }

    /// The chart named `slug`.
    pub fn from_slug(slug: &str) -> Option<Chart> {
        Chart::ALL.into_iter().find(|c| c.slug() == slug)
    }
}

/// How the time series are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    #[default]
    Month,
    Quarter,
}

impl Period {
    /// The period a day falls in: `2026-11` or `2026-Q4`.
    pub fn key(self, day: NaiveDate) -> String {
        match self {
            Period::Month => format!("{}-{:02}", day.year(), day.month()),
            Period::Quarter => format!("{}-Q{}", day.year(), day.month0() / 3 + 1),
        }
    }

    /// The first day of the period `day` falls in.
    fn start(self, day: NaiveDate) -> NaiveDate {
        let month = match self {
            Period::Month => day.month(),
            Period::Quarter => day.month0() / 3 * 3 + 1,
        };
        NaiveDate::from_ymd_opt(day.year(), month, 1).expect("the first of a month exists")
    }

    /// The first day of the next period.
    fn next(self, start: NaiveDate) -> NaiveDate {
        let months = match self {
            Period::Month => 1,
            Period::Quarter => 3,
        };
        start.checked_add_months(chrono::Months::new(months)).expect("dates stay within chrono's range")
    }

    /// The keys of every period from the one holding `from` to the one holding `to`.
    pub fn keys(self, from: NaiveDate, to: NaiveDate) -> Vec<String> {
        let mut keys = Vec::new();
        let mut start = self.start(from);
        while start <= to && keys.len() < 240 {
            keys.push(self.key(start));
            start = self.next(start);
        }
        keys
    }
}

/// Actions done on time in one domain and period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OnTime {
    /// `2026-11`, `2026-Q4`, or `total` for the whole range.
    pub period: String,
    pub domain: LifeDomain,
    /// Actions that can be judged: done, or past their due date.
    pub judged: i64,
    pub on_time: i64,
    /// `on_time / judged` in percent; absent when nothing could be judged.
    pub percent: Option<f64>,
}

/// Open escalations of one age.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgeBucket {
    /// `0-7`, `8-14`, `15-30`, `31-60` or `61+` days.
    pub bucket: String,
    pub escalations: i64,
}

/// Time from escalation to decision in one period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DecisionTime {
    pub period: String,
    /// Decisions taken in the period.
    pub decided: i64,
    /// The median days from opening to decision; absent without decisions.
    pub median_days: Option<f64>,
}

/// Open cases with a readiness warning in one domain.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DomainWarnings {
    pub domain: LifeDomain,
    pub cases: i64,
}

/// The dashboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figures {
    pub generated_at: DateTime<Utc>,
    pub period: Period,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `all` (steering, admin: every case, aggregated) or `own` (the cases the viewer sees).
    pub scope: String,
    /// Open cases counted.
    pub open_cases: i64,
    /// Per period and domain.
    pub on_time: Vec<OnTime>,
    /// Per domain over the whole range.
    pub on_time_total: Vec<OnTime>,
    pub open_escalations_by_age: Vec<AgeBucket>,
    pub decision_time: Vec<DecisionTime>,
    pub warnings_by_domain: Vec<DomainWarnings>,
}

/// The age buckets, in days: (label, lowest, highest).
pub const AGE_BUCKETS: [(&str, i64, i64); 5] =
    [("0-7", 0, 7), ("8-14", 8, 14), ("15-30", 15, 30), ("31-60", 31, 60), ("61+", 61, i64::MAX)];

fn local_day(at: DateTime<Utc>) -> NaiveDate {
    crate::timezone::to_local(at).date_naive()
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The median of `values`, `None` for none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// Computes the figures from `data` at `now`, for periods from `from` to `to`.
pub fn compute(
    now: DateTime<Utc>,
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    lead: &LeadDays,
    data: &FigureData,
    scope: &str,
) -> Figures {
    let today = local_day(now);
    let keys = period.keys(from, to);
    let judged: Vec<_> = data
        .actions
        .iter()
        .filter(|a| a.status != ActionStatus::Cancelled)
        .filter(|a| a.due_date >= from && a.due_date <= to)
        .filter(|a| a.status == ActionStatus::Done || a.due_date < today)
        .map(|a| {
            let on_time =
                a.status == ActionStatus::Done && a.completed_at.is_some_and(|done| local_day(done) <= a.due_date);
            (period.key(a.due_date), a.domain, on_time)
        })
        .collect();
    let on_time_row = |period_key: &str, domain: LifeDomain, total: bool| {
        let rows: Vec<_> = judged.iter().filter(|(key, d, _)| *d == domain && (total || key == period_key)).collect();
        let judged = rows.len() as i64;
        let on_time = rows.iter().filter(|(_, _, ok)| *ok).count() as i64;
        OnTime { period: period_key.to_owned(), domain, judged, on_time, percent: percent(on_time, judged) }
    };
    let on_time = keys
        .iter()
        .flat_map(|key| LifeDomain::ALL.iter().map(move |&d| (key, d)))
        .map(|(key, domain)| on_time_row(key, domain, false))
        .collect();
    let on_time_total = LifeDomain::ALL.iter().map(|&domain| on_time_row("total", domain, true)).collect();

    let open_ages: Vec<i64> = data
        .escalations
        .iter()
        .filter(|e| matches!(e.status, EscalationStatus::Open | EscalationStatus::UnderReview))
        .map(|e| (now - e.created_at).num_days())
        .collect();
    let open_escalations_by_age = AGE_BUCKETS
        .iter()
        .map(|&(label, low, high)| AgeBucket {
            bucket: label.to_owned(),
            escalations: open_ages.iter().filter(|&&age| age >= low && age <= high).count() as i64,
        })
        .collect();

    let decision_time = keys
        .iter()
        .map(|key| {
            let days: Vec<f64> = data
                .escalations
                .iter()
                .filter_map(|e| e.decided_at.map(|decided| (e.created_at, decided)))
                .filter(|&(_, decided)| period.key(local_day(decided)) == *key)
                .map(|(created, decided)| (decided - created).num_minutes() as f64 / 1440.0)
                .collect();
            DecisionTime {
                period: key.clone(),
                decided: days.len() as i64,
                median_days: median(days).map(|d| (d * 10.0).round() / 10.0),
            }
        })
        .collect();

    let open_cases: Vec<_> = data.cases.iter().filter(|c| c.status == CaseStatus::Open).collect();
    let mut warned = [0i64; 5];
    for case in &open_cases {
        let in_hand: Vec<LifeDomain> = data
            .actions
            .iter()
            .filter(|a| a.case_id == case.id)
            .filter(|a| matches!(a.status, ActionStatus::InProgress | ActionStatus::Done))
            .map(|a| a.domain)
            .collect();
        for warning in readiness::warnings(today, case.expected_release, lead, &in_hand) {
            let index = LifeDomain::ALL.iter().position(|&d| d == warning.domain);
            warned[index.expect("every domain is in ALL")] += 1;
        }
    }
    let warnings_by_domain =
        LifeDomain::ALL.iter().zip(warned).map(|(&domain, cases)| DomainWarnings { domain, cases }).collect();

    Figures {
        generated_at: now,
        period,
        from,
        to,
        scope: scope.to_owned(),
        open_cases: open_cases.len() as i64,
        on_time,
        on_time_total,
        open_escalations_by_age,
        decision_time,
        warnings_by_domain,
    }
}

#[cfg(test)]
mod tests;
