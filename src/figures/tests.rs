use super::*;
use crate::storage::figures::{ActionFact, CaseFact, EscalationFact};
use chrono::Duration;
use uuid::Uuid;

fn noon(date: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{date}T12:00:00+01:00")).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn action(domain: LifeDomain, status: ActionStatus, due: &str, done: Option<&str>) -> ActionFact {
    ActionFact { case_id: Uuid::nil(), domain, status, due_date: day(due), completed_at: done.map(noon) }
}

fn figures(data: &FigureData) -> Figures {
    compute(noon("2026-03-15"), Period::Month, day("2026-01-01"), day("2026-03-15"), &LeadDays::default(), data, "all")
}

#[test]
fn periods_are_months_or_quarters_including_empty_ones() {
    assert_eq!(Period::Month.keys(day("2025-11-20"), day("2026-02-01")), ["2025-11", "2025-12", "2026-01", "2026-02"]);
    assert_eq!(Period::Quarter.keys(day("2025-11-20"), day("2026-04-01")), ["2025-Q4", "2026-Q1", "2026-Q2"]);
}

#[test]
fn an_action_done_on_its_due_date_is_on_time_and_a_day_later_is_not() {
    let data = FigureData {
        actions: vec![
            action(LifeDomain::Id, ActionStatus::Done, "2026-02-10", Some("2026-02-10")),
            action(LifeDomain::Id, ActionStatus::Done, "2026-02-10", Some("2026-02-11")),
            // Past due and not done: judged, late.
            action(LifeDomain::Id, ActionStatus::Blocked, "2026-02-20", None),
            // Due later and not done: not judged yet. Cancelled: never judged.
            action(LifeDomain::Id, ActionStatus::Open, "2026-03-20", None),
            action(LifeDomain::Id, ActionStatus::Cancelled, "2026-02-10", None),
        ],
        ..FigureData::default()
    };
    let f = figures(&data);
    let february = f.on_time.iter().find(|r| r.period == "2026-02" && r.domain == LifeDomain::Id).unwrap();
    assert_eq!((february.judged, february.on_time), (3, 1));
    assert_eq!(february.percent, Some(33.3));
    let total = &f.on_time_total[0];
    assert_eq!((total.period.as_str(), total.judged), ("total", 3));
    assert_eq!(f.on_time_total[1].percent, None, "housing had nothing to judge");
}

#[test]
fn open_escalations_fall_into_age_buckets_at_their_boundaries() {
    let now = noon("2026-03-15");
    let opened =
        |days: i64, status| EscalationFact { status, created_at: now - Duration::days(days), decided_at: None };
    let data = FigureData {
        escalations: vec![
            opened(7, EscalationStatus::Open),
            opened(8, EscalationStatus::UnderReview),
            opened(60, EscalationStatus::Open),
            opened(61, EscalationStatus::Open),
            opened(3, EscalationStatus::Closed),
        ],
        ..FigureData::default()
    };
    let counts: Vec<i64> = figures(&data).open_escalations_by_age.iter().map(|b| b.escalations).collect();
    assert_eq!(counts, [1, 1, 0, 1, 1]);
}

#[test]
fn the_decision_time_is_the_median_per_period_of_the_decision() {
    let decided = |opened: &str, days: i64| EscalationFact {
        status: EscalationStatus::Decided,
        created_at: noon(opened),
        decided_at: Some(noon(opened) + Duration::days(days)),
    };
    let data = FigureData {
        escalations: vec![
            decided("2026-02-01", 2),
            decided("2026-02-01", 4),
            decided("2026-02-01", 9),
            decided("2026-03-01", 1),
            decided("2026-03-01", 4),
        ],
        ..FigureData::default()
    };
    let f = figures(&data);
    let by_period: Vec<(String, i64, Option<f64>)> =
        f.decision_time.iter().map(|d| (d.period.clone(), d.decided, d.median_days)).collect();
    assert_eq!(
        by_period,
        [("2026-01".to_owned(), 0, None), ("2026-02".to_owned(), 3, Some(4.0)), ("2026-03".to_owned(), 2, Some(2.5)),]
    );
}

#[test]
fn cases_with_warnings_are_counted_per_domain_for_open_cases_only() {
    let case = |status, release: &str| CaseFact { id: Uuid::new_v4(), status, expected_release: day(release) };
    let soon = case(CaseStatus::Open, "2026-03-25");
    let mut data = FigureData {
        cases: vec![soon.clone(), case(CaseStatus::Closed, "2026-03-25"), case(CaseStatus::Open, "2026-12-31")],
        ..FigureData::default()
    };
    data.actions.push(ActionFact {
        case_id: soon.id,
        ..action(LifeDomain::Care, ActionStatus::InProgress, "2026-03-20", None)
    });
    let f = figures(&data);
    let counts: Vec<i64> = f.warnings_by_domain.iter().map(|w| w.cases).collect();
    // Ten days left: every domain is within its lead time except care, which is in hand.
    assert_eq!(counts, [1, 1, 1, 1, 0]);
    assert_eq!(f.open_cases, 2);
}

#[test]
fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
    assert_eq!(median(vec![]), None);
    assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
}
