//! The fictional demo workspace (`--demo`): organisations of the Drechtsteden chain, one
//! account per role (password `demo`), and one case of a fictional detainee with an earlier,
//! finalised conference and one scheduled conference. With `--demo-history` (on by default) a
//! year of history of six more cases across two municipalities comes with it ([`history`]).
//! Every person here is invented.
//!
//! Seeding is idempotent: accounts and organisations are found by e-mail and name, and each
//! case is created once (remembered in `app_setting`). The first case, its accounts and its
//! scheduled conference are what the end-to-end story and the API tests play with; the history
//! never touches them.

pub mod history;

use crate::auth::password;
use crate::core::Context;
use crate::domain::{ActionStatus, LifeDomain, OrganisationKind, Role};
use crate::meetings;
use crate::storage::actions::{NewAction, StatusChange};
use crate::storage::audit::{Actor, NewAudit};
use crate::storage::cases::{NewCase, NewMember};
use crate::storage::meetings::{DomainWrite, EntryText, Finalising, NewMeeting};
use crate::storage::models::{AttendanceLine, Organisation, User};
use crate::storage::users::NewUser;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use uuid::Uuid;

/// Why the demo workspace was not seeded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("refusing --demo: this database holds {0} account(s) that are not demo accounts; use a fresh --data-dir")]
    RealAccounts(usize),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The demo password of every demo account.
pub const PASSWORD: &str = "demo";

/// The demo accounts: e-mail, name, role, organisation, organisation kind. This list is a
/// contract that outside checks rely on.
pub const ACCOUNTS: &[(&str, &str, Role, &str, OrganisationKind)] = &[
    ("admin@ketentafel.example", "Bram Beheer", Role::Admin, "Functioneel beheer Ketentafel", OrganisationKind::Other),
    ("casemanager@pi-dordrecht.example", "Inge de Wit", Role::Casemanager, "PI Dordrecht", OrganisationKind::Pi),
    (
        "rio@gemeente-dordrecht.example",
        "Rik Vermeulen",
        Role::Coordinator,
        "Gemeente Dordrecht",
        OrganisationKind::Municipality,
    ),
    ("reclassering@reclassering.example", "Priya Ramdin", Role::Partner, "Reclassering", OrganisationKind::Probation),
    ("woning@woonbron.example", "Wouter Hendriks", Role::Partner, "Woonbron", OrganisationKind::Housing),
    (
        "schuldhulp@schuldhulp.example",
        "Sanne Kok",
        Role::Partner,
        "Schuldhulp Drechtsteden",
        OrganisationKind::DebtCounselling,
    ),
    (
        "stuurgroep@zvh-zhz.example",
        "Marloes Visser",
        Role::Steering,
        "Zorg- en Veiligheidshuis Zuid-Holland Zuid",
        OrganisationKind::Zvh,
    ),
    // A second administrator: what opens case content needs two (see `accounts::requests`).
    ("beheer2@ketentafel.example", "Bea Beheer", Role::Admin, "Functioneel beheer Ketentafel", OrganisationKind::Other),
];

/// The fictional client of the demo case.
pub const CLIENT: &str = "Daan V. (fictief)";

const SEEDED: &str = "demo_case_id";

fn system(at: DateTime<Utc>, action: &'static str, case_id: Option<Uuid>) -> NewAudit {
    NewAudit { at, actor: Actor::system("demo"), action, case_id, subject: None, detail: None }
}

/// The demo account with this e-mail address, with its organisation.
fn by_email<'a>(users: &'a [(User, Organisation)], email: &str) -> &'a (User, Organisation) {
    users.iter().find(|(u, _)| u.email == email).expect("every demo account was just created")
}

/// Every demo account: the fixed ones, and those of the history.
fn all_accounts() -> impl Iterator<Item = &'static (&'static str, &'static str, Role, &'static str, OrganisationKind)> {
    ACCOUNTS.iter().chain(history::ACCOUNTS)
}

/// Creates whatever of the demo workspace does not exist yet; with `with_history`, the year of
/// history too.
pub async fn seed(cx: &Context, with_history: bool) -> Result<(), DemoError> {
    let store = &cx.store;
    let now = cx.clock.now();
    // Demo accounts share the password `demo`: never put them into a database with real ones.
    let real =
        store.users(None).await?.into_iter().filter(|u| !all_accounts().any(|(email, ..)| *email == u.email)).count();
    if real > 0 {
        return Err(DemoError::RealAccounts(real));
    }
    let wanted: Vec<_> = if with_history { all_accounts().collect() } else { ACCOUNTS.iter().collect() };
    let mut users: Vec<(User, Organisation)> = Vec::new();
    for (email, name, role, org_name, kind) in wanted {
        let org = match store.organisation_by_name(org_name).await? {
            Some(org) => org,
            None => {
                store.insert_organisation(org_name, *kind, now, Some(&system(now, "organisation.create", None))).await?
            }
        };
        let user = match store.user_credentials(email).await? {
            Some((user, _)) => user,
            None => {
                let new = NewUser {
                    organisation_id: org.id,
                    name: (*name).to_owned(),
                    email: (*email).to_owned(),
                    role: *role,
                    password_hash: password::hash(PASSWORD.to_owned()).await,
                    password_change_required: false,
                };
                store.insert_user(&new, now, Some(&system(now, "account.create", None))).await?
            }
        };
        users.push((user, org));
    }
    if store.setting(SEEDED).await?.is_none() {
        let case_id = seed_case(cx, &users, now).await?;
        store.set_setting(SEEDED, &case_id.to_string()).await?;
    }
    if with_history {
        let cast = history::Cast { users: &users, organisations: store.organisations().await? };
        history::seed(cx, &cast).await?;
    }
    Ok(())
}

async fn seed_case(cx: &Context, users: &[(User, Organisation)], now: DateTime<Utc>) -> Result<Uuid, sqlx::Error> {
    let store = &cx.store;
    let (casemanager, pi) = by_email(users, "casemanager@pi-dordrecht.example");
    let (rio, municipality) = by_email(users, "rio@gemeente-dordrecht.example");
    let (probation, probation_org) = by_email(users, "reclassering@reclassering.example");
    let (housing, housing_org) = by_email(users, "woning@woonbron.example");
    // The Dutch date: what the pages count from (a conference "the day after tomorrow" must
    // not land on the schedule form's default of tomorrow between midnight in the Netherlands
    // and midnight UTC).
    let today = crate::timezone::to_local(now).date_naive();
    let earlier = now - Duration::days(21);

    let case_id = Uuid::now_v7();
    let new_case = NewCase {
        client_pseudonym: CLIENT.to_owned(),
        prison_id: pi.id,
        detention_start: today - Duration::days(70),
        expected_release: today + Duration::days(42),
        municipality_id: municipality.id,
        created_by: casemanager.id,
    };
    let members: Vec<NewMember> = [casemanager, rio, probation, housing]
        .iter()
        .map(|u| NewMember { organisation_id: u.organisation_id, user_id: Some(u.id), added_by: Some(casemanager.id) })
        .collect();
    let mut audit = system(earlier, "case.create", Some(case_id));
    store.insert_case(&new_case, &members, earlier - Duration::days(7), &audit).await?;

    // The first conference, three weeks ago, finalised.
    let first = store
        .insert_meeting(
            &NewMeeting {
                case_id,
                scheduled_at: earlier,
                purpose: "Eerste netwerkberaad: wat is er nodig voor een goede terugkeer naar Dordrecht?".into(),
                chair_id: casemanager.id,
                partners_may_edit: false,
                created_by: casemanager.id,
            },
            meetings::SLOT,
            earlier - Duration::days(3),
            &system(earlier, "meeting.schedule", Some(case_id)),
        )
        .await?
        .map_err(|overlap| sqlx::Error::Protocol(format!("the demo's conferences overlap: {overlap:?}")))?;
    let entries = [
        (LifeDomain::Id, "Geen geldig identiteitsbewijs; geen briefadres.", "Ik wil gewoon mijn ID-kaart terug."),
        (
            LifeDomain::Housing,
            "Geen woning na vrijlating; zus kan hem hooguit twee weken opvangen.",
            "Ik wil een eigen kamer, het liefst in Dordrecht.",
        ),
        (
            LifeDomain::WorkIncome,
            "Had werk in de logistiek; heeft een VCA-certificaat dat verloopt.",
            "Ik wil weer aan het werk, heftruck rijden.",
        ),
        (
            LifeDomain::Debts,
            "Onbekende schulden; vermoedelijk CJIB-boetes en een achterstand bij de zorgverzekeraar.",
            "Ik wil weten hoeveel het is.",
        ),
        (LifeDomain::Care, "Zorgverzekering is tijdens detentie geschorst.", ""),
    ];
    for (domain, situation, wish) in entries {
        let text = EntryText { situation: situation.into(), client_wish: wish.into(), notes: String::new() };
        audit = system(earlier, "minutes.write", Some(case_id));
        let write = DomainWrite { meeting_id: first.id, domain, text, base_revision: None, author: casemanager.id };
        store.write_domain_entry(&write, earlier, &audit).await?.ok();
    }
    let actor = Actor::system("demo");
    let actions = [
        (
            LifeDomain::Id,
            "Briefadres aanvragen bij de gemeente",
            Some(municipality.id),
            false,
            -10,
            Some((ActionStatus::Done, 12)),
        ),
        (
            LifeDomain::Id,
            "ID-kaart aanvragen via de burgemeester van de PI-gemeente",
            Some(pi.id),
            false,
            7,
            Some((ActionStatus::InProgress, 9)),
        ),
        (
            LifeDomain::Housing,
            "Inschrijven als woningzoekende en urgentie aanvragen",
            Some(housing_org.id),
            false,
            -16,
            None,
        ),
        (
            LifeDomain::WorkIncome,
            "Bijstandsaanvraag voorbereiden zodat die op de dag van vrijlating ingaat",
            Some(municipality.id),
            false,
            14,
            None,
        ),
        (
            LifeDomain::Debts,
            "Overzicht maken van schulden en CJIB-boetes",
            Some(probation_org.id),
            false,
            5,
            Some((ActionStatus::Blocked, 10)),
        ),
        (LifeDomain::Care, "Zorgverzekering laten heractiveren op de dag van vrijlating", None, true, 42, None),
    ];
    for (domain, description, owner, client, due_in, change) in actions {
        let new = NewAction {
            case_id,
            domain,
            description: description.into(),
            owner_organisation_id: owner,
            owner_user_id: None,
            owner_is_client: client,
            due_date: today + Duration::days(due_in),
            meeting_id: Some(first.id),
            created_by: casemanager.id,
        };
        audit = system(earlier, "action.create", Some(case_id));
        let Some(action) = store.insert_action(&new, &actor, earlier, &audit).await? else {
            continue;
        };
        if let Some((to, days_ago)) = change {
            let note = (to == ActionStatus::Blocked)
                .then(|| "Wacht op toestemming van de cliënt om gegevens op te vragen.".to_owned());
            let change = StatusChange { from: ActionStatus::Open, to, note };
            audit = system(now - Duration::days(days_ago), "action.status", Some(case_id));
            store.change_action_status(action.id, &change, &actor, now - Duration::days(days_ago), &audit).await?;
        }
    }
    // It was held: the casemanager, the municipality, probation and housing were there for 55
    // minutes, so its record says when it was held and who took part (not "not held").
    store.mark_meeting_live(first.id, earlier).await?;
    for (n, (person, organisation)) in
        [(casemanager, pi), (rio, municipality), (probation, probation_org), (housing, housing_org)]
            .into_iter()
            .enumerate()
    {
        let line = AttendanceLine {
            name: person.name.clone(),
            organisation: Some(organisation.name.clone()),
            role: person.role.to_string(),
            joined_at: earlier + Duration::minutes(n as i64),
            left_at: None,
        };
        let row = Uuid::now_v7();
        store.record_join(row, first.id, Some(person.id), None, &line).await?;
        store.record_leave(row, earlier + Duration::minutes(55)).await?;
    }
    store.mark_meeting_ended(first.id, earlier + Duration::minutes(55)).await?;
    let case = store.case(case_id).await?.expect("the demo case was just created");
    // As it is now, with the revision of the minutes written above.
    let first = store.meeting(first.id).await?.expect("the first conference was just created");
    let mut record = meetings::minutes(cx, &first, &case).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let finalised_at = earlier + Duration::hours(1);
    record.status = crate::domain::MeetingStatus::Closed;
    record.finalised_at = Some(finalised_at);
    record.finalised_by_name = Some(format!("{} ({})", casemanager.name, pi.name));
    let tabled = meetings::view::tabled_action_ids(&record);
    let table: Vec<_> = store.case_actions(case_id).await?.into_iter().filter(|a| tabled.contains(&a.id)).collect();
    let stored = meetings::final_record(&record).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    audit = system(finalised_at, "minutes.finalise", Some(case_id));
    let finalised = store.finalise_meeting(&first, &table, &stored, casemanager.id, finalised_at, &audit).await?;
    if finalised != Finalising::Done {
        return Err(sqlx::Error::Protocol(format!("the demo's first conference did not finalise: {finalised:?}")));
    }

    // The next conference, the day after tomorrow at 10:00 Dutch time.
    let at_ten =
        (today + Duration::days(2)).and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("09:00 exists")).and_utc();
    store
        .insert_meeting(
            &NewMeeting {
                case_id,
                scheduled_at: at_ten,
                purpose: "Tweede netwerkberaad: voortgang per leefgebied, zes weken voor vrijlating.".into(),
                chair_id: casemanager.id,
                partners_may_edit: false,
                created_by: casemanager.id,
            },
            meetings::SLOT,
            now,
            &system(now, "meeting.schedule", Some(case_id)),
        )
        .await?
        .map_err(|overlap| sqlx::Error::Protocol(format!("the demo's conferences overlap: {overlap:?}")))?;
    Ok(case_id)
}

/// The lines printed at start-up in demo mode.
pub fn banner(public_url: &str, with_history: bool) -> Vec<String> {
    let mut lines = vec![
        format!("Ketentafel demo: open {public_url}/"),
        format!("Fictieve demo-accounts / fictional demo accounts (wachtwoord / password: {PASSWORD}):"),
    ];
    let accounts: Vec<_> = if with_history { all_accounts().collect() } else { ACCOUNTS.iter().collect() };
    for (email, name, role, org, _) in accounts {
        lines.push(format!("  {email:<36} {role:<12} {name} — {org}"));
    }
    lines
}
