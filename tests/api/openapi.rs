//! The API is published as OpenAPI 3, including every path of the contract, and the document
//! says what the server really speaks: a client generated from it must work.

use crate::on_both_backends;
use ketentafel::domain::{
    AccountRequestKind, ActionStatus, CaseStatus, DecisionKind, EscalationReason, EscalationStatus, InviteKind,
    LifeDomain, MeetingStatus, ObstacleStatus, OrganisationKind, Role,
};
use ketentafel::figures::Period;
use ketentafel::i18n::Lang;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

on_both_backends! {
    async fn the_openapi_document_lists_the_whole_contract(app: TestApp) {
        let (status, doc) = app.anonymous().get("/api/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        for (path, method) in [
            ("/api/session", "post"), ("/api/session", "delete"), ("/api/me", "get"),
            ("/api/cases", "get"), ("/api/cases", "post"), ("/api/cases/{id}", "get"), ("/api/cases/{id}/members", "post"),
            ("/api/cases/{id}/meetings", "post"), ("/api/meetings/{id}", "get"), ("/api/meetings/{id}/invites", "post"),
            ("/api/meetings/{id}/domains/{domain}", "put"), ("/api/cases/{id}/actions", "get"), ("/api/cases/{id}/actions", "post"),
            ("/api/actions/{id}", "patch"), ("/api/meetings/{id}/finalise", "post"), ("/api/meetings/{id}/minutes", "get"),
            ("/api/cases/{id}/audit", "get"),
            ("/api/actions/{id}/client-text", "put"), ("/api/meetings/{id}/client-purpose", "put"),
            ("/api/escalations", "get"), ("/api/escalations/{id}", "get"), ("/api/escalations/{id}/review", "post"),
            ("/api/escalations/{id}/decision", "post"), ("/api/escalations/{id}/close", "post"),
            ("/api/actions/{id}/escalations", "post"), ("/api/admin/escalations/run", "post"),
            ("/api/obstacles", "get"), ("/api/obstacles", "post"), ("/api/obstacles/{id}", "get"), ("/api/obstacles/{id}", "patch"),
            ("/api/obstacles/{id}/escalations", "post"), ("/api/notifications", "get"), ("/api/notifications/unread-count", "get"),
            ("/api/notifications/{id}/read", "post"), ("/api/notifications/read-all", "post"),
            ("/api/figures", "get"), ("/api/figures/{file}", "get"),
            ("/api/admin/users", "post"), ("/api/admin/users/{id}/reset", "post"), ("/api/admin/requests", "get"),
            ("/api/admin/requests/{id}/approve", "post"), ("/api/admin/requests/{id}/reject", "post"), ("/api/activation", "post"),
            ("/api/cases/{id}/members/{member_id}", "delete"), ("/api/admin/retention", "get"),
            ("/api/admin/organisations/{id}", "patch"), ("/api/admin/audit", "get"),
            ("/api/meetings/{id}", "patch"), ("/api/meetings/{id}/minutes.pdf", "get"), ("/api/meetings/{id}/invites", "get"),
            ("/api/meetings/{id}/invites/{invite_id}/reissue", "post"), ("/api/meetings/{id}/invites/{invite_id}/email", "post"),
            ("/api/meetings/{id}/invites/{invite_id}/sheet", "get"),
        ] {
            assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is documented");
        }
        let (status, health) = app.anonymous().get("/healthz").await;
        assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
    }
}

/// What serde writes for every value of an enum.
fn codes<T: Serialize>(values: &[T]) -> Vec<Value> {
    values.iter().map(|v| serde_json::to_value(v).expect("an enum value serialises")).collect()
}

/// Every enum that the API speaks, by its schema name, with what serde writes for it.
fn enums_as_serde_writes_them() -> BTreeMap<&'static str, Vec<Value>> {
    BTreeMap::from([
        ("Role", codes(Role::ALL)),
        ("OrganisationKind", codes(OrganisationKind::ALL)),
        ("CaseStatus", codes(CaseStatus::ALL)),
        ("MeetingStatus", codes(MeetingStatus::ALL)),
        ("ActionStatus", codes(ActionStatus::ALL)),
        ("InviteKind", codes(InviteKind::ALL)),
        ("AccountRequestKind", codes(AccountRequestKind::ALL)),
        ("EscalationReason", codes(EscalationReason::ALL)),
        ("EscalationStatus", codes(EscalationStatus::ALL)),
        ("DecisionKind", codes(DecisionKind::ALL)),
        ("ObstacleStatus", codes(ObstacleStatus::ALL)),
        ("LifeDomain", codes(LifeDomain::ALL)),
        ("Lang", codes(&[Lang::Nl, Lang::En])),
        ("Period", codes(&[Period::Month, Period::Quarter])),
    ])
}

/// Every `$ref` anywhere below `value`.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

on_both_backends! {
    async fn every_enum_in_the_openapi_document_lists_the_codes_that_serde_writes(app: TestApp) {
        let (_, doc) = app.anonymous().get("/api/openapi.json").await;
        let expected = enums_as_serde_writes_them();

        let schemas = doc["components"]["schemas"].as_object().expect("the document has schemas");
        let mut seen = BTreeSet::new();
        for (name, schema) in schemas {
            let Some(values) = schema.get("enum") else { continue };
            let wanted = expected.get(name.as_str()).unwrap_or_else(|| {
                panic!("the enum schema {name} is new: add it to enums_as_serde_writes_them")
            });
            assert_eq!(values.as_array().unwrap(), wanted, "the values of the enum schema {name}");
            seen.insert(name.as_str());
        }
        for name in expected.keys() {
            assert!(seen.contains(name), "the enum {name} is published as a schema with its values");
        }
    }
}

on_both_backends! {
    async fn every_reference_in_the_openapi_document_names_a_schema_it_defines(app: TestApp) {
        let (_, doc) = app.anonymous().get("/api/openapi.json").await;

        let mut found = Vec::new();
        refs(&doc, &mut found);

        assert!(!found.is_empty(), "the document uses references");
        let missing: BTreeSet<&str> = found
            .into_iter()
            .filter(|target| {
                let Some(name) = target.strip_prefix("#/components/schemas/") else { return true };
                doc["components"]["schemas"].get(name).is_none()
            })
            .collect();
        assert!(missing.is_empty(), "references to schemas the document does not define: {missing:?}");
    }
}

on_both_backends! {
    async fn path_parameters_in_the_openapi_document_are_exactly_those_of_the_path_template(app: TestApp) {
        let (_, doc) = app.anonymous().get("/api/openapi.json").await;

        let mut wrong = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("the document has paths") {
            let template: BTreeSet<&str> =
                path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
            for (method, operation) in item.as_object().unwrap() {
                let params = operation["parameters"].as_array().map(Vec::as_slice).unwrap_or_default();
                let in_path: BTreeSet<&str> = params
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect();
                if in_path != template {
                    wrong.push(format!("{method} {path}: in path {in_path:?}, template {template:?}"));
                }
            }
        }
        assert!(wrong.is_empty(), "path parameters that do not match their template:\n{}", wrong.join("\n"));
    }
}

on_both_backends! {
    async fn every_operation_documents_the_session_it_needs_and_the_errors_of_its_session_check_and_body(app: TestApp) {
        let (_, doc) = app.anonymous().get("/api/openapi.json").await;
        let public = [("post", "/api/session"), ("get", "/api/invites/{token}"), ("post", "/api/invites/{token}/accept")];

        let mut missing = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("the document has paths") {
            for (method, operation) in item.as_object().unwrap() {
                let mut expected = Vec::new();
                if !public.contains(&(method.as_str(), path.as_str())) {
                    expected.extend(["401", "403"]);
                    let schemes: Vec<_> = operation["security"].as_array().into_iter().flatten().flat_map(|r| r.as_object().unwrap().keys()).collect();
                    if schemes != ["session_cookie", "bearer"] {
                        missing.push(format!("{method} {path}: the session cookie or bearer token it needs"));
                    }
                }
                if operation.get("requestBody").is_some() {
                    expected.extend(["400", "413", "415", "422"]);
                }
                for status in expected {
                    let error = &operation["responses"][status]["content"]["application/json"]["schema"]["$ref"];
                    if error != "#/components/schemas/ErrorBody" {
                        missing.push(format!("{method} {path}: {status}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "not documented (errors with the error body):\n{}", missing.join("\n"));
    }
}
