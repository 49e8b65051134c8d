//! A year of fictional history for the demo workspace (`--demo-history`, on with `--demo`): six
//! more cases across two municipalities, with finalised conferences and who attended them,
//! actions done on time and late, open and overdue ones, escalations with the steering group's
//! decisions and one systemic obstacle — so that every chart of the figures shows something.
//!
//! Every date is counted from the moment of seeding, so a fresh demo always looks current.
//! Each case is seeded once (remembered in `app_setting` under its own key), event by event in
//! the order they happened. Every name here is invented; no BSN anywhere.

use super::{by_email, system};
use crate::core::Context;
use crate::domain::{ActionStatus, CaseStatus, DecisionKind, EscalationReason, LifeDomain, OrganisationKind, Role};
use crate::meetings;
use crate::storage::actions::{NewAction, StatusChange};
use crate::storage::audit::Actor;
use crate::storage::cases::{NewCase, NewMember};
use crate::storage::escalations::{Decision, NewEscalation, Step};
use crate::storage::meetings::{DomainWrite, EntryText, Finalising, NewMeeting};
use crate::storage::models::{AttendanceLine, Organisation, User};
use crate::storage::notifications::{Notice, NoticeKind};
use crate::storage::obstacles::NewObstacle;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use uuid::Uuid;

/// The accounts the history adds (password `demo` too): the coordinator of the second
/// municipality. Same shape as [`super::ACCOUNTS`].
pub const ACCOUNTS: &[(&str, &str, Role, &str, OrganisationKind)] = &[(
    "rio@gemeente-zwijndrecht.example",
    "Yara Bos",
    Role::Coordinator,
    "Gemeente Zwijndrecht",
    OrganisationKind::Municipality,
)];

/// The cases of the history, oldest first.
pub const CASES: &[CaseSpec] = &[MO, SEM, LARS, NOAH, RAVI, JESSE];

/// Who owns an action.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    /// The organisation of this name (one of the demo's).
    Org(&'static str),
    /// The client himself.
    Client,
}

/// What became of an action, `days` counted from today (negative: in the past).
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Open,
    InProgress(i64),
    Blocked(i64),
    Done(i64),
    Cancelled(i64),
}

/// An action agreed in the case's first conference.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub domain: LifeDomain,
    pub description: &'static str,
    pub owner: Owner,
    /// Due date, in days from today.
    pub due: i64,
    pub outcome: Outcome,
}

/// An escalation of one of the case's actions (by index), opened `opened` days from today.
#[derive(Debug, Clone, Copy)]
pub struct EscalationSpec {
    pub action: usize,
    pub reason: EscalationReason,
    pub opened: i64,
    pub note: &'static str,
    /// Taken under review, without a decision yet.
    pub reviewed: Option<i64>,
    /// The steering group's decision: kind, day, note.
    pub decided: Option<(DecisionKind, i64, &'static str)>,
    /// Closed after the decision was carried out.
    pub closed: Option<i64>,
}

/// One case of the history.
#[derive(Debug, Clone, Copy)]
pub struct CaseSpec {
    /// Its key in `app_setting` (`demo_history:<key>`).
    pub key: &'static str,
    pub pseudonym: &'static str,
    /// The municipality of origin: one of the demo's two.
    pub municipality: &'static str,
    pub detention_start: i64,
    pub expected_release: i64,
    /// The days of its conferences, all finalised; actions are agreed in the first.
    pub conferences: &'static [i64],
    pub actions: &'static [ActionSpec],
    pub escalations: &'static [EscalationSpec],
    /// Closed on this day (the client is settled).
    pub closed: Option<i64>,
}

const DORDRECHT: &str = "Gemeente Dordrecht";
const ZWIJNDRECHT: &str = "Gemeente Zwijndrecht";
const PI: Owner = Owner::Org("PI Dordrecht");
const WOONBRON: Owner = Owner::Org("Woonbron");
const PROBATION: Owner = Owner::Org("Reclassering");
const DEBT: Owner = Owner::Org("Schuldhulp Drechtsteden");

const fn action(domain: LifeDomain, description: &'static str, owner: Owner, due: i64, outcome: Outcome) -> ActionSpec {
    ActionSpec { domain, description, owner, due, outcome }
}

const fn escalation(action: usize, reason: EscalationReason, opened: i64, note: &'static str) -> EscalationSpec {
    EscalationSpec { action, reason, opened, note, reviewed: None, decided: None, closed: None }
}

/// Released two months ago and settled: everything done, some of it late; closed.
const MO: CaseSpec = CaseSpec {
    key: "mo",
    pseudonym: "Mo B. (fictief)",
    municipality: DORDRECHT,
    detention_start: -420,
    expected_release: -60,
    conferences: &[-330, -240, -150, -75],
    actions: &[
        action(
            LifeDomain::Id,
            "Briefadres aanvragen bij de gemeente",
            Owner::Org(DORDRECHT),
            -300,
            Outcome::Done(-305),
        ),
        action(
            LifeDomain::Housing,
            "Inschrijven bij Woonbron en urgentie aanvragen",
            WOONBRON,
            -270,
            Outcome::Done(-248),
        ),
        action(
            LifeDomain::WorkIncome,
            "Uitkeringsaanvraag klaarzetten voor de dag van vrijlating",
            Owner::Org(DORDRECHT),
            -90,
            Outcome::Done(-95),
        ),
        action(LifeDomain::Debts, "Schuldenoverzicht maken met de cliënt", DEBT, -180, Outcome::Done(-152)),
        action(LifeDomain::Care, "Huisarts zoeken in de nieuwe wijk", Owner::Client, -62, Outcome::Done(-58)),
    ],
    escalations: &[
        EscalationSpec {
            decided: Some((DecisionKind::Assigned, -250, "Woonbron beslist binnen twee weken over de urgentie.")),
            closed: Some(-248),
            ..escalation(1, EscalationReason::Overdue, -255, "De urgentieaanvraag is ruim twee weken over de datum.")
        },
        EscalationSpec {
            decided: Some((
                DecisionKind::Assigned,
                -158,
                "Schuldhulp Drechtsteden maakt het overzicht binnen twee weken af.",
            )),
            closed: Some(-150),
            ..escalation(3, EscalationReason::Overdue, -165, "Het schuldenoverzicht is ruim twee weken over de datum.")
        },
    ],
    closed: Some(-20),
};

/// Out in three weeks; housing is overdue and escalated, debts are blocked and under review.
const SEM: CaseSpec = CaseSpec {
    key: "sem",
    pseudonym: "Sem K. (fictief)",
    municipality: DORDRECHT,
    detention_start: -300,
    expected_release: 20,
    conferences: &[-200, -110, -30],
    actions: &[
        action(LifeDomain::Id, "ID-kaart aanvragen", PI, -150, Outcome::Done(-160)),
        action(
            LifeDomain::Housing,
            "Kamer zoeken via de maatschappelijke opvang",
            Owner::Org(DORDRECHT),
            -40,
            Outcome::InProgress(-60),
        ),
        action(LifeDomain::WorkIncome, "Werkfit-traject starten", PROBATION, -120, Outcome::Done(-100)),
        action(LifeDomain::Debts, "Beschermingsbewind aanvragen", DEBT, -5, Outcome::Blocked(-35)),
    ],
    escalations: &[
        EscalationSpec {
            decided: Some((DecisionKind::Returned, -101, "Het casusteam regelt de intake zelf met de reclassering.")),
            closed: Some(-100),
            ..escalation(2, EscalationReason::Overdue, -105, "Het werkfit-traject is nog niet gestart.")
        },
        escalation(1, EscalationReason::Overdue, -25, "Nog geen kamer, terwijl de vrijlating over drie weken is."),
        EscalationSpec {
            reviewed: Some(-20),
            ..escalation(
                3,
                EscalationReason::Blocked,
                -27,
                "Bewind loopt vast: de rechtbank wil eerst een inkomensverklaring.",
            )
        },
    ],
    closed: None,
};

/// Released five months ago in the second municipality; one late action, resolved by steering.
const LARS: CaseSpec = CaseSpec {
    key: "lars",
    pseudonym: "Lars de G. (fictief)",
    municipality: ZWIJNDRECHT,
    detention_start: -380,
    expected_release: -150,
    conferences: &[-320, -250, -180],
    actions: &[
        action(LifeDomain::Id, "Paspoort laten verlengen", Owner::Org(ZWIJNDRECHT), -280, Outcome::Done(-290)),
        action(LifeDomain::Housing, "Huurcontract bij Woonbron tekenen", WOONBRON, -200, Outcome::Done(-176)),
        action(LifeDomain::WorkIncome, "Sollicitatietraining volgen", Owner::Client, -170, Outcome::Done(-172)),
        action(
            LifeDomain::Debts,
            "Afbetalingsregeling met het CJIB treffen",
            PROBATION,
            -160,
            Outcome::Cancelled(-150),
        ),
    ],
    escalations: &[EscalationSpec {
        decided: Some((
            DecisionKind::Resolved,
            -178,
            "Woonbron en de gemeente hebben de sleuteloverdracht vastgelegd.",
        )),
        closed: Some(-176),
        ..escalation(1, EscalationReason::Overdue, -185, "Het huurcontract is nog niet getekend.")
    }],
    closed: None,
};

/// Out in six weeks; no housing support without a fixed address: a systemic obstacle.
const NOAH: CaseSpec = CaseSpec {
    key: "noah",
    pseudonym: "Noah E. (fictief)",
    municipality: ZWIJNDRECHT,
    detention_start: -200,
    expected_release: 45,
    conferences: &[-150, -60],
    actions: &[
        action(LifeDomain::Id, "DigiD aanvragen", Owner::Client, -100, Outcome::Done(-104)),
        action(LifeDomain::Housing, "Woonbegeleiding aanvragen", Owner::Org(ZWIJNDRECHT), -75, Outcome::Open),
        action(LifeDomain::WorkIncome, "Aanmelden bij het werkbedrijf", Owner::Org(ZWIJNDRECHT), 10, Outcome::Open),
        action(LifeDomain::Debts, "Schulden in kaart brengen", DEBT, -30, Outcome::Done(-32)),
        action(LifeDomain::Care, "Indicatie ambulante zorg aanvragen", PROBATION, -10, Outcome::InProgress(-20)),
    ],
    escalations: &[
        EscalationSpec {
            decided: Some((
                DecisionKind::Obstacle,
                -40,
                "Woonbegeleiding wordt alleen toegekend met een vast adres; dat speelt bij meer cliënten.",
            )),
            ..escalation(1, EscalationReason::Overdue, -60, "De aanvraag voor woonbegeleiding is niet ingediend.")
        },
        escalation(
            4,
            EscalationReason::Manual,
            -70,
            "De zorgverzekeraar wacht op een verwijzing die de PI niet kan geven.",
        ),
    ],
    closed: None,
};

/// Out in three months; two late actions escalated and decided, one escalated by hand this week.
const RAVI: CaseSpec = CaseSpec {
    key: "ravi",
    pseudonym: "Ravi P. (fictief)",
    municipality: DORDRECHT,
    detention_start: -150,
    expected_release: 90,
    conferences: &[-100, -20],
    actions: &[
        action(LifeDomain::Id, "Geboorteakte opvragen", Owner::Org(DORDRECHT), -70, Outcome::Done(-72)),
        action(LifeDomain::Housing, "Voorlopige opvang regelen", WOONBRON, 30, Outcome::Open),
        action(LifeDomain::WorkIncome, "Diploma's laten waarderen", PROBATION, -55, Outcome::Done(-28)),
        action(LifeDomain::Debts, "Budgetcursus volgen", Owner::Client, -5, Outcome::Open),
        action(LifeDomain::Care, "Aanmelden bij de verslavingszorg", PROBATION, -80, Outcome::Done(-44)),
    ],
    escalations: &[
        EscalationSpec {
            decided: Some((DecisionKind::Assigned, -55, "De reclassering meldt aan vóór het volgende beraad.")),
            closed: Some(-44),
            ..escalation(4, EscalationReason::Overdue, -65, "De aanmelding bij de verslavingszorg is over de datum.")
        },
        EscalationSpec {
            decided: Some((DecisionKind::Returned, -33, "Het casusteam lost dit zelf op; de diploma's zijn onderweg.")),
            closed: Some(-28),
            ..escalation(2, EscalationReason::Overdue, -40, "De waardering van de diploma's blijft liggen.")
        },
        escalation(1, EscalationReason::Manual, -6, "Woonbron heeft geen plek vóór de vrijlating."),
    ],
    closed: None,
};

/// Five months to go in the second municipality; housing is already overdue.
const JESSE: CaseSpec = CaseSpec {
    key: "jesse",
    pseudonym: "Jesse M. (fictief)",
    municipality: ZWIJNDRECHT,
    detention_start: -90,
    expected_release: 150,
    conferences: &[-45],
    actions: &[
        action(LifeDomain::Id, "ID-kaart aanvragen via de PI", PI, -10, Outcome::Done(-12)),
        action(LifeDomain::Housing, "Inschrijven als woningzoekende", Owner::Org(ZWIJNDRECHT), -28, Outcome::Open),
        action(LifeDomain::WorkIncome, "Werkervaringsplek zoeken", PROBATION, 30, Outcome::Open),
        action(LifeDomain::Debts, "Aanmelden bij de schuldhulp", DEBT, -35, Outcome::Done(-30)),
    ],
    escalations: &[escalation(
        1,
        EscalationReason::Overdue,
        -13,
        "De inschrijving als woningzoekende is over de datum.",
    )],
    closed: None,
};

/// What happens on a day, in the order of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Conference(usize),
    Status(usize),
    Open(usize),
    Review(usize),
    Decide(usize),
    Close(usize),
    CloseCase,
}

/// The people and organisations the history works with.
pub struct Cast<'a> {
    pub users: &'a [(User, Organisation)],
    pub organisations: Vec<Organisation>,
}

impl Cast<'_> {
    fn organisation(&self, name: &str) -> Result<&Organisation, sqlx::Error> {
        self.organisations
            .iter()
            .find(|o| o.name == name)
            .ok_or_else(|| sqlx::Error::Protocol(format!("the demo has no organisation {name}")))
    }

    /// The demo account of an organisation (each has one or two).
    fn member_of(&self, organisation: Uuid) -> Option<&User> {
        self.users.iter().map(|(u, _)| u).find(|u| u.organisation_id == organisation && u.role != Role::Admin)
    }
}

/// Seeds whatever case of the history is not there yet.
pub async fn seed(cx: &Context, cast: &Cast<'_>) -> Result<(), sqlx::Error> {
    let now = cx.clock.now();
    for spec in CASES {
        let key = format!("demo_history:{}", spec.key);
        if cx.store.setting(&key).await?.is_some() {
            continue;
        }
        let case_id = seed_case(cx, cast, spec, now).await?;
        cx.store.set_setting(&key, &case_id.to_string()).await?;
    }
    Ok(())
}

/// 10:00 Dutch time (09:00 UTC in winter) on the day `days` from today.
fn at(today: NaiveDate, days: i64) -> DateTime<Utc> {
    (today + Duration::days(days)).and_hms_opt(9, 0, 0).expect("09:00 exists").and_utc()
}

async fn seed_case(cx: &Context, cast: &Cast<'_>, spec: &CaseSpec, now: DateTime<Utc>) -> Result<Uuid, sqlx::Error> {
    let store = &cx.store;
    let today = crate::timezone::to_local(now).date_naive();
    let (casemanager, pi) = by_email(cast.users, "casemanager@pi-dordrecht.example");
    let (steering, _) = by_email(cast.users, "stuurgroep@zvh-zhz.example");
    let municipality = cast.organisation(spec.municipality)?;
    let first = spec.conferences[0];

    // Who is on the case: the casemanager, the municipality's coordinator, and whoever owns an action.
    let mut people: Vec<&User> = vec![casemanager];
    let mut organisations = vec![municipality.id];
    for a in spec.actions {
        if let Owner::Org(name) = a.owner {
            organisations.push(cast.organisation(name)?.id);
        }
    }
    for org in organisations {
        if let Some(user) = cast.member_of(org)
            && !people.iter().any(|p| p.id == user.id)
        {
            people.push(user);
        }
    }
    let members: Vec<NewMember> = people
        .iter()
        .map(|u| NewMember { organisation_id: u.organisation_id, user_id: Some(u.id), added_by: Some(casemanager.id) })
        .collect();
    let case_id = Uuid::now_v7();
    let opened = at(today, first - 14);
    let new_case = NewCase {
        client_pseudonym: spec.pseudonym.to_owned(),
        prison_id: pi.id,
        detention_start: today + Duration::days(spec.detention_start),
        expected_release: today + Duration::days(spec.expected_release),
        municipality_id: municipality.id,
        created_by: casemanager.id,
    };
    store.insert_case(&new_case, &members, opened, &system(opened, "case.create", Some(case_id))).await?;

    let mut events: Vec<(i64, Event)> = Vec::new();
    events.extend(spec.conferences.iter().enumerate().map(|(i, &d)| (d, Event::Conference(i))));
    for (i, a) in spec.actions.iter().enumerate() {
        match a.outcome {
            Outcome::Open => {}
            Outcome::InProgress(d) | Outcome::Blocked(d) | Outcome::Done(d) | Outcome::Cancelled(d) => {
                events.push((d, Event::Status(i)));
            }
        }
    }
    for (i, e) in spec.escalations.iter().enumerate() {
        events.push((e.opened, Event::Open(i)));
        events.extend(e.reviewed.map(|d| (d, Event::Review(i))));
        events.extend(e.decided.map(|(_, d, _)| (d, Event::Decide(i))));
        events.extend(e.closed.map(|d| (d, Event::Close(i))));
    }
    events.extend(spec.closed.map(|d| (d, Event::CloseCase)));
    events.sort();

    let actor = Actor::system("demo");
    let mut action_ids: Vec<Uuid> = Vec::new();
    let mut escalation_ids: Vec<Option<Uuid>> = vec![None; spec.escalations.len()];
    for (day, event) in events {
        let when = at(today, day);
        match event {
            Event::Conference(i) => {
                let purpose = if i == 0 {
                    "Eerste netwerkberaad: wat is er nodig voor een goede terugkeer?"
                } else {
                    "Netwerkberaad: voortgang per leefgebied."
                };
                let meeting = store
                    .insert_meeting(
                        &NewMeeting {
                            case_id,
                            scheduled_at: when,
                            purpose: purpose.into(),
                            chair_id: casemanager.id,
                            partners_may_edit: false,
                            created_by: casemanager.id,
                        },
                        meetings::SLOT,
                        when - Duration::days(10),
                        &system(when - Duration::days(10), "meeting.schedule", Some(case_id)),
                    )
                    .await?
                    .map_err(|overlap| sqlx::Error::Protocol(format!("demo conferences overlap: {overlap:?}")))?;
                store.mark_meeting_live(meeting.id, when).await?;
                for (n, person) in people.iter().enumerate() {
                    let line = AttendanceLine {
                        name: person.name.clone(),
                        organisation: Some(person.organisation_name.clone()),
                        role: person.role.to_string(),
                        joined_at: when + Duration::minutes(n as i64),
                        left_at: None,
                    };
                    let row = Uuid::now_v7();
                    store.record_join(row, meeting.id, Some(person.id), None, &line).await?;
                    store.record_leave(row, when + Duration::minutes(55)).await?;
                }
                store.mark_meeting_ended(meeting.id, when + Duration::minutes(55)).await?;
                let situation = if i == 0 {
                    "Eerste inventarisatie van wat er op de dag van vrijlating geregeld moet zijn."
                } else {
                    "De afspraken van het vorige beraad zijn doorgelopen."
                };
                let text = EntryText { situation: situation.into(), client_wish: String::new(), notes: String::new() };
                let write = DomainWrite {
                    meeting_id: meeting.id,
                    domain: LifeDomain::Housing,
                    text,
                    base_revision: None,
                    author: casemanager.id,
                };
                store.write_domain_entry(&write, when, &system(when, "minutes.write", Some(case_id))).await?.ok();
                if i == 0 {
                    for a in spec.actions {
                        let (owner_organisation_id, owner_is_client) = match a.owner {
                            Owner::Org(name) => (Some(cast.organisation(name)?.id), false),
                            Owner::Client => (None, true),
                        };
                        let new = NewAction {
                            case_id,
                            domain: a.domain,
                            description: a.description.into(),
                            owner_organisation_id,
                            owner_user_id: None,
                            owner_is_client,
                            due_date: today + Duration::days(a.due),
                            meeting_id: Some(meeting.id),
                            created_by: casemanager.id,
                        };
                        let audit = system(when, "action.create", Some(case_id));
                        let created = store.insert_action(&new, &actor, when, &audit).await?;
                        let created =
                            created.ok_or_else(|| sqlx::Error::Protocol("a demo action was refused".into()))?;
                        action_ids.push(created.id);
                    }
                }
                finalise(cx, meeting.id, case_id, casemanager, pi, when + Duration::hours(1)).await?;
            }
            Event::Status(i) => {
                let a = &spec.actions[i];
                let to = match a.outcome {
                    Outcome::InProgress(_) => ActionStatus::InProgress,
                    Outcome::Blocked(_) => ActionStatus::Blocked,
                    Outcome::Done(_) => ActionStatus::Done,
                    Outcome::Cancelled(_) | Outcome::Open => ActionStatus::Cancelled,
                };
                let note = match to {
                    ActionStatus::Blocked => Some("Wacht op een inkomensverklaring van de cliënt.".to_owned()),
                    ActionStatus::Cancelled => Some("Niet meer nodig: de boetes zijn betaald.".to_owned()),
                    _ => None,
                };
                let change = StatusChange { from: ActionStatus::Open, to, note };
                let audit = system(when, "action.status", Some(case_id));
                store.change_action_status(action_ids[i], &change, &actor, when, &audit).await?;
            }
            Event::Open(i) => {
                let e = &spec.escalations[i];
                let a = &spec.actions[e.action];
                let action_id = action_ids[e.action];
                // The keys the rules engine uses, so it does not open the same episode again.
                let rule_key = match (e.reason, a.outcome) {
                    (EscalationReason::Overdue, _) => {
                        Some(format!("overdue:{action_id}:{}", today + Duration::days(a.due)))
                    }
                    (EscalationReason::Blocked, Outcome::Blocked(since)) => Some(format!(
                        "blocked:{action_id}:{}",
                        at(today, since).to_rfc3339_opts(SecondsFormat::Micros, true)
                    )),
                    _ => None,
                };
                let id = Uuid::now_v7();
                let manual = e.reason == EscalationReason::Manual;
                let new = NewEscalation {
                    case_id,
                    action_id: Some(action_id),
                    domain: a.domain,
                    reason: e.reason,
                    rule_key,
                    note: e.note.into(),
                    raised_by: manual.then_some(casemanager.id),
                };
                let audit = system(when, "escalation.open", Some(case_id));
                let opened = store.insert_escalation(&new, when, &audit, &nobody(case_id, id)).await?;
                escalation_ids[i] = opened.map(|e| e.id);
            }
            Event::Review(i) | Event::Decide(i) | Event::Close(i) => {
                let Some(id) = escalation_ids[i] else { continue };
                let e = &spec.escalations[i];
                let (step, action) = match event {
                    Event::Review(_) => (Step::Review, "escalation.review"),
                    Event::Close(_) => (Step::Close, "escalation.close"),
                    _ => {
                        let (kind, _, note) = e.decided.expect("a decision event has its decision");
                        let a = &spec.actions[e.action];
                        let assigned = match (kind, a.owner) {
                            (DecisionKind::Assigned, Owner::Org(name)) => Some(cast.organisation(name)?.id),
                            _ => None,
                        };
                        let obstacle = (kind == DecisionKind::Obstacle).then(|| {
                            Err(NewObstacle {
                                title: "Geen woonbegeleiding zonder vast adres".into(),
                                description: note.into(),
                                domain: Some(a.domain),
                                owner_organisation_id: Some(municipality.id),
                                owner_user_id: None,
                            })
                        });
                        let decision = Decision {
                            kind,
                            note: note.into(),
                            assigned_organisation_id: assigned,
                            assigned_due_date: assigned.map(|_| when.date_naive() + Duration::days(14)),
                            obstacle,
                        };
                        (Step::Decide(decision), "escalation.decide")
                    }
                };
                let audit = system(when, action, Some(case_id));
                store.escalation_step(id, &step, steering.id, when, &audit, None).await?;
            }
            Event::CloseCase => {
                let audit = system(when, "case.close", Some(case_id));
                store.set_case_status(case_id, CaseStatus::Closed, when, &audit).await?;
            }
        }
    }
    Ok(case_id)
}

/// A notice that reaches nobody: the history is not news to anyone.
fn nobody(case_id: Uuid, escalation_id: Uuid) -> Notice {
    Notice {
        kind: NoticeKind::Escalation,
        case_id,
        subject: ("escalation", escalation_id),
        key: format!("demo-history:{escalation_id}"),
        organisation_id: None,
        user_id: Some(Uuid::nil()),
        except: None,
        mail: false,
    }
}

/// Finalises a conference as its chair would have: the minutes as they stand, frozen.
pub async fn finalise(
    cx: &Context,
    meeting_id: Uuid,
    case_id: Uuid,
    chair: &User,
    chair_organisation: &Organisation,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let store = &cx.store;
    let case = store.case(case_id).await?.ok_or_else(|| sqlx::Error::Protocol("the demo case is gone".into()))?;
    let meeting =
        store.meeting(meeting_id).await?.ok_or_else(|| sqlx::Error::Protocol("the demo conference is gone".into()))?;
    let mut record = meetings::minutes(cx, &meeting, &case).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    record.status = crate::domain::MeetingStatus::Closed;
    record.finalised_at = Some(at);
    record.finalised_by_name = Some(format!("{} ({})", chair.name, chair_organisation.name));
    let tabled = meetings::view::tabled_action_ids(&record);
    let table: Vec<_> = store.case_actions(case_id).await?.into_iter().filter(|a| tabled.contains(&a.id)).collect();
    let stored = meetings::final_record(&record).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let audit = system(at, "minutes.finalise", Some(case_id));
    match store.finalise_meeting(&meeting, &table, &stored, chair.id, at, &audit).await? {
        Finalising::Done => Ok(()),
        other => Err(sqlx::Error::Protocol(format!("a demo conference did not finalise: {other:?}"))),
    }
}
