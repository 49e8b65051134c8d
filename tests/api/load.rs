//! The node's load as operations read it (`GET /api/admin/runtime`). The load harness that reads
//! it during a run is tested in its own package (load/tests/harness.rs).

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;

on_both_backends! {
    async fn only_the_administrator_reads_the_node_load_and_it_counts_conferences(app: TestApp) {
        let (status, _) = app.login(CASEMANAGER).await.get("/api/admin/runtime").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.anonymous().get("/api/admin/runtime").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let admin = app.login(ADMIN).await;
        let (status, idle) = admin.get("/api/admin/runtime").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(idle["conferences"], 0);
        assert!(idle["tasks"].as_u64().unwrap() > 0);

        let demo = app.demo_case().await;
        let mut chair = crate::conference::join(&app, crate::conference::token(&app, CASEMANAGER).await, demo.meeting_id, false).await;
        chair.admitted(std::time::Duration::from_secs(20)).await.expect("the chair enters");
        let (_, busy) = admin.get("/api/admin/runtime").await;
        assert_eq!(busy["conferences"], 1, "{busy}");
        chair.leave().await;
    }
}
