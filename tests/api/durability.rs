//! What a user was told is saved is in the record: writes that race the finalising of the
//! minutes are either in the final minutes or refused, never both "saved" and missing.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How many times each race is run; before the fix about half of them lost the write.
const TRIALS: usize = 20;

fn domain_section<'a>(minutes: &'a Value, domain: &str) -> &'a Value {
    minutes["domains"]
        .as_array()
        .expect("domains is an array")
        .iter()
        .find(|d| d["domain"] == domain)
        .expect("a section")
}

on_both_backends! {
    async fn a_minutes_write_racing_the_finalise_is_in_the_record_or_refused(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = demo.casemanager.clone();
        for trial in 0..TRIALS {
            let (status, meeting) = cm.post(&format!("/api/cases/{}/meetings", demo.case_id), json!({
                // A conference takes a 60-minute slot of its case: one per trial, 61 minutes apart.
                "scheduled_at": (app.now() + chrono::Duration::days(1) + chrono::Duration::minutes(61 * trial as i64)).to_rfc3339(),
                "purpose": format!("Race {trial}"),
            })).await;
            assert_eq!(status, StatusCode::CREATED, "{meeting}");
            let meeting_id = id(&meeting);
            let domain_path = format!("/api/meetings/{meeting_id}/domains/housing");
            let (status, _) = cm.put(&domain_path, json!({ "situation": "Voor de race." })).await;
            assert_eq!(status, StatusCode::OK);

            let text = format!("Geschreven in ronde {trial}.");
            let description = format!("Afspraak uit ronde {trial}");
            let (actions_path, finalise_path) =
                (format!("/api/cases/{}/actions", demo.case_id), format!("/api/meetings/{meeting_id}/finalise"));
            let (written, agreed, finalised) = tokio::join!(
                cm.put(&domain_path, json!({ "situation": text })),
                cm.post(&actions_path, json!({
                    "domain": "housing",
                    "description": description,
                    "owner_organisation_id": demo.housing_org,
                    "due_date": (app.now().date_naive() + chrono::Duration::days(14)).to_string(),
                    "meeting_id": meeting_id,
                })),
                cm.post(&finalise_path, json!({})),
            );
            assert_eq!(finalised.0, StatusCode::OK, "the finalise goes through: {}", finalised.1);

            let (status, page) = cm.get(&format!("/api/meetings/{meeting_id}")).await;
            assert_eq!(status, StatusCode::OK);
            let housing = domain_section(&page["minutes"], "housing");
            assert_eq!(housing, domain_section(&finalised.1, "housing"), "the finalise answered what it stored");
            match written.0 {
                StatusCode::OK => {
                    assert_eq!(housing["situation"], text, "trial {trial}: a saved write is in the final minutes");
                }
                StatusCode::CONFLICT => {
                    assert_eq!(written.1["error"], "minutes_finalised");
                    assert_eq!(housing["situation"], "Voor de race.", "trial {trial}: a refused write changed nothing");
                }
                other => panic!("trial {trial}: unexpected answer to the write: {other} {}", written.1),
            }
            let in_record = housing["agreed"].as_array().expect("agreed is an array").iter()
                .any(|a| a["description"] == description);
            match agreed.0 {
                StatusCode::CREATED => assert!(in_record, "trial {trial}: a created action is in the final minutes"),
                StatusCode::CONFLICT => assert!(!in_record, "trial {trial}: a refused action is not in them"),
                other => panic!("trial {trial}: unexpected answer to the action: {other} {}", agreed.1),
            }
        }
    }
}
