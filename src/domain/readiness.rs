//! Readiness before release: per life domain, a warning once the release date is within that
//! domain's lead time and nothing in the domain is done or under way. A pure function of the
//! day, the release date, the lead times and which domains are in hand.
//!
//! The warning starts on the day `release − lead days` (Dutch calendar) and stays until an
//! action of the domain is `in_progress` or `done`, also after the release date: an ID that
//! was not arranged is still not arranged the day after.

use crate::domain::LifeDomain;
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

/// How many days before release each domain should be in hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadDays([i64; 5]);

impl LeadDays {
    /// Lead times from a function of the domain.
    pub fn from_fn(mut days: impl FnMut(LifeDomain) -> i64) -> Self {
        let mut table = [0; 5];
        for (slot, &domain) in table.iter_mut().zip(LifeDomain::ALL) {
            *slot = days(domain);
        }
        LeadDays(table)
    }

    /// The lead time of `domain`, in days.
    pub fn get(&self, domain: LifeDomain) -> i64 {
        let index = LifeDomain::ALL.iter().position(|&d| d == domain).expect("every domain is in LifeDomain::ALL");
        self.0[index]
    }
}

impl Default for LeadDays {
    /// DESIGN.md's lead times ([`LifeDomain::default_lead_days`]).
    fn default() -> Self {
        LeadDays::from_fn(|d| i64::from(d.default_lead_days()))
    }
}

/// A domain that is not in hand while the release comes close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReadinessWarning {
    pub domain: LifeDomain,
    /// The domain's lead time.
    pub lead_days: i64,
    /// Days until the expected release (negative once it has passed).
    pub days_left: i64,
    /// The day by which the domain should have been in hand (release − lead time).
    pub due_by: NaiveDate,
}

/// The warnings for a case released on `release`, seen on `today`; `in_hand` lists the
/// domains with an action that is in progress or done.
pub fn warnings(
    today: NaiveDate,
    release: NaiveDate,
    lead: &LeadDays,
    in_hand: &[LifeDomain],
) -> Vec<ReadinessWarning> {
    let days_left = (release - today).num_days();
    LifeDomain::ALL
        .iter()
        .filter(|domain| !in_hand.contains(domain))
        .filter(|&&domain| days_left <= lead.get(domain))
        .map(|&domain| ReadinessWarning {
            domain,
            lead_days: lead.get(domain),
            days_left,
            due_by: release - Duration::days(lead.get(domain)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
    }

    fn warned(days_before_release: i64, in_hand: &[LifeDomain]) -> Vec<LifeDomain> {
        warnings(release() - Duration::days(days_before_release), release(), &LeadDays::default(), in_hand)
            .into_iter()
            .map(|w| w.domain)
            .collect()
    }

    #[test]
    fn each_domain_warns_from_exactly_its_lead_time_and_not_a_day_earlier() {
        for &domain in LifeDomain::ALL {
            let lead = i64::from(domain.default_lead_days());
            assert!(!warned(lead + 1, &[]).contains(&domain), "{domain} warns {} days before release", lead + 1);
            assert!(warned(lead, &[]).contains(&domain), "{domain} does not warn {lead} days before release");
        }
    }

    #[test]
    fn the_design_examples_warn() {
        // ID not arranged with three weeks left.
        assert!(warned(21, &[]).contains(&LifeDomain::Id));
        // A benefit not applied for with less than eight weeks left.
        assert!(warned(55, &[]).contains(&LifeDomain::WorkIncome));
        // Health insurance not arranged for the day of release.
        assert!(warned(0, &[]).contains(&LifeDomain::Care));
    }

    #[test]
    fn a_domain_with_an_action_under_way_or_done_does_not_warn() {
        assert_eq!(
            warned(0, &[LifeDomain::Id, LifeDomain::Housing, LifeDomain::Care]),
            [LifeDomain::WorkIncome, LifeDomain::Debts]
        );
    }

    #[test]
    fn the_warning_stays_after_the_release_date() {
        let warnings = warnings(release() + Duration::days(3), release(), &LeadDays::default(), &[]);
        assert_eq!(warnings.len(), 5);
        assert_eq!(warnings[0].days_left, -3);
        assert_eq!(warnings[0].due_by, release() - Duration::days(21));
    }

    #[test]
    fn lead_times_are_configurable_per_domain() {
        let lead = LeadDays::from_fn(|d| if d == LifeDomain::Care { 30 } else { 0 });
        let found: Vec<_> =
            warnings(release() - Duration::days(30), release(), &lead, &[]).into_iter().map(|w| w.domain).collect();
        assert_eq!(found, [LifeDomain::Care]);
    }
}
