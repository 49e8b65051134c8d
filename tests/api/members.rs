//! The need-to-know list in the browser's terms: adding and removing someone needs a reason,
//! the reason is in the case's audit trail, and only those who manage the case change the list.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn entry<'a>(case: &'a Value, name: &str) -> Option<&'a Value> {
    case["members"].as_array().unwrap().iter().find(|m| m["user_name"] == name)
}

on_both_backends! {
    async fn adding_and_removing_a_member_needs_a_reason_that_the_trail_keeps(app: TestApp) {
        let demo = app.demo_case().await;
        let cm = &demo.casemanager;
        let members = format!("/api/cases/{}/members", demo.case_id);
        let (_, users) = cm.get("/api/users").await;
        let sanne = users.as_array().unwrap().iter().find(|u| u["name"] == "Sanne Kok").map(id).unwrap();

        // Someone off the case does not learn it exists, let alone change who is on it.
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        let wouter = id(entry(&case, "Wouter Hendriks").unwrap());
        let (status, _) = app.login(OUTSIDER).await.delete_with(&format!("{members}/{wouter}"), json!({ "reason": "Weg" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.login(OUTSIDER).await.post(&members, json!({ "user_id": sanne, "reason": "Ik wil meekijken" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Without a reason, or with only blanks: refused, and nobody is added.
        let (status, body) = cm.post(&members, json!({ "user_id": sanne })).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")), "{body}");
        let (status, body) = cm.post(&members, json!({ "user_id": sanne, "reason": "   " })).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{body}");
        let (status, body) = cm.post(&members, json!({ "user_id": sanne, "reason": "x".repeat(501) })).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{body}");
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert!(entry(&case, "Sanne Kok").is_none(), "nobody was added without a reason");

        let (status, added) = cm.post(&members, json!({ "user_id": sanne, "reason": "Schulden bij het CJIB in kaart brengen" })).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");

        // A partner on the case reads it but does not change who is on it.
        let partner = app.login(HOUSING).await;
        let entry_path = format!("{members}/{}", id(&added));
        let (status, _) = partner.delete_with(&entry_path, json!({ "reason": "Mag niet" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = partner.post(&members, json!({ "organisation_id": demo.housing_org, "reason": "Mag niet" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Removing needs a reason too; a body without one, or none at all, changes nothing.
        let (status, body) = cm.delete_with(&entry_path, json!({ "reason": "" })).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{body}");
        let (status, _) = cm.delete_with(&entry_path, json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = cm.delete(&entry_path).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert!(entry(&case, "Sanne Kok").is_some(), "still on the case");

        let (status, _) = cm.delete_with(&entry_path, json!({ "reason": "  Schuldhulp is klaar met het overzicht " })).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, case) = cm.get(&format!("/api/cases/{}", demo.case_id)).await;
        assert!(entry(&case, "Sanne Kok").is_none(), "taken off");

        // The coordinator reads both reasons in the case's trail, trimmed.
        let (status, trail) = app.login(RIO).await.get(&format!("/api/cases/{}/audit", demo.case_id)).await;
        assert_eq!(status, StatusCode::OK);
        let detail = |action: &str| {
            trail.as_array().unwrap().iter().find(|e| e["action"] == action).and_then(|e| e["detail"].as_str()).map(str::to_owned)
        };
        assert_eq!(detail("case.member_add").as_deref(), Some("Schulden bij het CJIB in kaart brengen"));
        assert_eq!(detail("case.member_remove").as_deref(), Some("Schuldhulp is klaar met het overzicht"));
    }
}
