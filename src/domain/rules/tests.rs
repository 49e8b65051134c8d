use super::*;

/// Noon in the Netherlands (winter time) on `date`.
fn noon(date: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{date}T12:00:00+01:00")).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn action(status: ActionStatus, changed: DateTime<Utc>, due: &str) -> ActionFacts {
    ActionFacts {
        id: Uuid::new_v4(),
        domain: LifeDomain::Housing,
        status,
        status_changed_at: changed,
        due_date: date(due),
    }
}

fn case(actions: Vec<ActionFacts>, conferences: Vec<TabledConference>) -> CaseFacts {
    CaseFacts { case_id: Uuid::new_v4(), actions, conferences }
}

fn reasons(now: DateTime<Utc>, cases: &[CaseFacts]) -> Vec<EscalationReason> {
    evaluate(now, &RuleConfig::default(), cases).into_iter().map(|o| o.reason).collect()
}

#[test]
fn an_action_fourteen_days_late_is_not_overdue_and_fifteen_days_late_is() {
    let late = case(vec![action(ActionStatus::Open, noon("2026-01-01"), "2026-01-10")], vec![]);
    assert!(reasons(noon("2026-01-24"), std::slice::from_ref(&late)).is_empty());
    let openings = evaluate(noon("2026-01-25"), &RuleConfig::default(), std::slice::from_ref(&late));
    assert_eq!(openings.len(), 1);
    assert_eq!(openings[0].reason, EscalationReason::Overdue);
    assert_eq!(openings[0].rule_key, format!("overdue:{}:2026-01-10", late.actions[0].id));
}

#[test]
fn the_overdue_day_starts_at_midnight_dutch_time_not_utc() {
    let late = case(vec![action(ActionStatus::InProgress, noon("2026-01-01"), "2026-01-10")], vec![]);
    // 23:30 UTC on the 24th is already the 25th in the Netherlands.
    let just_after_dutch_midnight = DateTime::parse_from_rfc3339("2026-01-24T23:30:00Z").unwrap().with_timezone(&Utc);
    let just_before = just_after_dutch_midnight - Duration::hours(1);
    assert!(reasons(just_before, std::slice::from_ref(&late)).is_empty());
    assert_eq!(reasons(just_after_dutch_midnight, &[late]), [EscalationReason::Overdue]);
}

#[test]
fn moving_the_due_date_gives_a_new_overdue_episode() {
    let mut late = action(ActionStatus::Open, noon("2026-01-01"), "2026-01-10");
    let first = evaluate(noon("2026-02-01"), &RuleConfig::default(), &[case(vec![late.clone()], vec![])]);
    late.due_date = date("2026-01-12");
    let second = evaluate(noon("2026-02-01"), &RuleConfig::default(), &[case(vec![late], vec![])]);
    assert_ne!(first[0].rule_key, second[0].rule_key);
}

#[test]
fn done_and_cancelled_actions_never_escalate() {
    let long_ago = noon("2025-01-01");
    let finished = case(
        vec![
            action(ActionStatus::Done, long_ago, "2025-01-10"),
            action(ActionStatus::Cancelled, long_ago, "2025-01-10"),
        ],
        vec![],
    );
    assert!(reasons(noon("2026-06-01"), &[finished]).is_empty());
}

#[test]
fn an_action_blocked_exactly_seven_days_is_not_escalated_and_a_second_later_it_is() {
    let since = noon("2026-03-02");
    let blocked = case(vec![action(ActionStatus::Blocked, since, "2026-12-31")], vec![]);
    let boundary = since + Duration::days(7);
    assert!(reasons(boundary, std::slice::from_ref(&blocked)).is_empty());
    let openings = evaluate(boundary + Duration::seconds(1), &RuleConfig::default(), std::slice::from_ref(&blocked));
    assert_eq!(openings.len(), 1);
    assert_eq!(openings[0].reason, EscalationReason::Blocked);
    assert!(openings[0].rule_key.starts_with(&format!("blocked:{}:2026-03-02T11:00:00", blocked.actions[0].id)));
}

#[test]
fn an_action_late_and_blocked_escalates_for_both_reasons() {
    let both = case(vec![action(ActionStatus::Blocked, noon("2026-01-01"), "2026-01-02")], vec![]);
    assert_eq!(reasons(noon("2026-02-01"), &[both]), [EscalationReason::Overdue, EscalationReason::Blocked]);
}

fn conference(day: &str, actions: &[(Uuid, ActionStatus)]) -> TabledConference {
    TabledConference { finalised_at: noon(day), actions: actions.to_vec() }
}

#[test]
fn an_action_pending_at_two_conferences_is_not_carried_over_and_at_three_it_is() {
    let pending = action(ActionStatus::InProgress, noon("2026-01-01"), "2026-12-31");
    let on_table = [(pending.id, ActionStatus::Open)];
    let mut facts =
        case(vec![pending.clone()], vec![conference("2026-01-05", &on_table), conference("2026-01-19", &on_table)]);
    assert!(reasons(noon("2026-01-20"), std::slice::from_ref(&facts)).is_empty());
    facts.conferences.push(conference("2026-02-02", &[(pending.id, ActionStatus::Blocked)]));
    let openings = evaluate(noon("2026-02-03"), &RuleConfig::default(), &[facts]);
    assert_eq!(openings.len(), 1);
    assert_eq!(openings[0].rule_key, format!("carried_over:{}", pending.id));
}

#[test]
fn only_the_last_conferences_count_so_a_gap_resets_the_carry_over() {
    let pending = action(ActionStatus::Open, noon("2026-01-01"), "2026-12-31");
    let on_table = [(pending.id, ActionStatus::Open)];
    let facts = case(
        vec![pending.clone()],
        vec![
            conference("2026-01-05", &on_table),
            conference("2026-01-19", &on_table),
            // Done at the close of this one, reopened afterwards.
            conference("2026-02-02", &[(pending.id, ActionStatus::Done)]),
            conference("2026-02-16", &on_table),
        ],
    );
    assert!(reasons(noon("2026-02-17"), &[facts]).is_empty());
}

#[test]
fn an_action_finished_since_the_last_conference_is_not_carried_over() {
    let finished = action(ActionStatus::Done, noon("2026-02-03"), "2026-12-31");
    let on_table = [(finished.id, ActionStatus::Open)];
    let facts = case(
        vec![finished],
        vec![
            conference("2026-01-05", &on_table),
            conference("2026-01-19", &on_table),
            conference("2026-02-02", &on_table),
        ],
    );
    assert!(reasons(noon("2026-02-04"), &[facts]).is_empty());
}

#[test]
fn the_thresholds_are_configurable() {
    let config = RuleConfig { overdue_days: 0, blocked_days: 1, carry_over_conferences: 1 };
    let pending = action(ActionStatus::Blocked, noon("2026-01-01"), "2026-01-02");
    let facts = case(vec![pending.clone()], vec![conference("2026-01-01", &[(pending.id, ActionStatus::Open)])]);
    let found: Vec<_> = evaluate(noon("2026-01-03"), &config, &[facts]).into_iter().map(|o| o.reason).collect();
    assert_eq!(found, [EscalationReason::Overdue, EscalationReason::Blocked, EscalationReason::CarriedOver]);
}

#[test]
fn evaluating_twice_asks_for_the_same_keys() {
    let facts = case(vec![action(ActionStatus::Blocked, noon("2026-01-01"), "2026-01-02")], vec![]);
    let keys = |now| -> Vec<String> {
        evaluate(now, &RuleConfig::default(), std::slice::from_ref(&facts)).into_iter().map(|o| o.rule_key).collect()
    };
    assert_eq!(keys(noon("2026-02-01")), keys(noon("2026-02-05")));
}
