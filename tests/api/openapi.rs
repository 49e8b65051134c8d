//! The API is published as OpenAPI 3, including every path of the contract.

use crate::on_both_backends;
use reqwest::StatusCode;

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
            ("/api/escalations", "get"), ("/api/escalations/{id}", "get"), ("/api/escalations/{id}/review", "post"),
            ("/api/escalations/{id}/decision", "post"), ("/api/escalations/{id}/close", "post"),
            ("/api/actions/{id}/escalations", "post"), ("/api/admin/escalations/run", "post"),
            ("/api/obstacles", "get"), ("/api/obstacles", "post"), ("/api/obstacles/{id}", "get"), ("/api/obstacles/{id}", "patch"),
            ("/api/obstacles/{id}/escalations", "post"), ("/api/notifications", "get"), ("/api/notifications/unread-count", "get"),
            ("/api/notifications/{id}/read", "post"), ("/api/notifications/read-all", "post"),
            ("/api/figures", "get"), ("/api/figures/{file}", "get"),
        ] {
            assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is documented");
        }
        let (status, health) = app.anonymous().get("/healthz").await;
        assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
    }
}
