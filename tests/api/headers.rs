//! The security headers every answer carries, pages and API alike.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;

on_both_backends! {
    async fn every_answer_keeps_camera_and_microphone_to_our_own_pages_and_isolates_its_window(app: TestApp) {
        let browser = app.login(CASEMANAGER).await;
        for path in ["/", "/cases", "/js/app.js", "/api/me", "/api/nothing-here", "/healthz"] {
            let response = browser.http.get(app.url(path)).send().await.unwrap();
            assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let policy = header("permissions-policy");
            for feature in ["camera=(self)", "microphone=(self)", "geolocation=()", "display-capture=()", "payment=()", "usb=()"] {
                assert!(policy.split(", ").any(|f| f == feature), "{path}: {feature} in {policy:?}");
            }
            assert_eq!(header("cross-origin-opener-policy"), "same-origin", "{path}");
        }
    }
}
