//! The dashboard: figures over exactly the cases the viewer may see, as JSON, accessible SVG
//! and CSV, never with a name in them.

use crate::escalation::run_engine;
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn total(figures: &Value, key: &str, field: &str) -> i64 {
    figures[key].as_array().unwrap().iter().map(|row| row[field].as_i64().unwrap()).sum()
}

fn domain_row<'a>(rows: &'a Value, domain: &str) -> &'a Value {
    rows.as_array().unwrap().iter().find(|r| r["domain"] == domain).unwrap()
}

on_both_backends! {
    async fn figures_count_only_what_the_viewer_may_see_and_hold_no_names(app: TestApp) {
        let _demo = app.demo_case().await;
        let steering = app.login(STEERING).await;
        run_engine(&steering).await;
        let (_, queue) = steering.get("/api/escalations?reason=overdue").await;
        let (status, _) = steering.post(&format!("/api/escalations/{}/decision", id(&queue[0])),
            json!({ "decision": "returned", "note": "Het casusteam pakt dit op." })).await;
        assert_eq!(status, StatusCode::OK);

        let (status, all) = steering.get("/api/figures").await;
        assert_eq!(status, StatusCode::OK, "{all}");
        assert_eq!(all["scope"], "all");
        assert_eq!(all["open_cases"], 1);
        assert_eq!(total(&all, "open_escalations_by_age", "escalations"), 1, "the decided one is no longer open");
        assert_eq!(total(&all, "decision_time", "decided"), 1);
        // The postal address was done two days before its due date; the housing action is late.
        let on_time = &all["on_time_total"];
        assert_eq!((domain_row(on_time, "id")["judged"].as_i64(), domain_row(on_time, "id")["percent"].as_f64()), (Some(1), Some(100.0)));
        assert_eq!((domain_row(on_time, "housing")["judged"].as_i64(), domain_row(on_time, "housing")["on_time"].as_i64()), (Some(1), Some(0)));
        let warnings = &all["warnings_by_domain"];
        assert_eq!(domain_row(warnings, "housing")["cases"], 1);
        assert_eq!(domain_row(warnings, "id")["cases"], 0);
        let text = all.to_string();
        assert!(!text.contains("Daan") && !text.contains("Inschrijven"), "no names or case content in figures");

        // Someone on no case counts nothing; a partner on the case counts it.
        let (status, none) = app.login(OUTSIDER).await.get("/api/figures").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((none["scope"].as_str(), none["open_cases"].as_i64()), (Some("own"), Some(0)));
        assert_eq!(total(&none, "decision_time", "decided"), 0);
        assert_eq!(total(&none, "warnings_by_domain", "cases"), 0);
        let (_, own) = app.login(HOUSING).await.get("/api/figures?period=quarter").await;
        assert_eq!(own["open_cases"], 1);
        assert_eq!(own["period"], "quarter");
        assert_eq!(total(&own, "decision_time", "decided"), 1);
        assert!(own["decision_time"].as_array().unwrap().iter().all(|d| d["period"].as_str().unwrap().contains("-Q")));

        // Bad input is refused clearly.
        for (path, expected) in [
            ("/api/figures?period=weekly", StatusCode::BAD_REQUEST),
            ("/api/figures?from=2026-05-01&to=2026-01-01", StatusCode::UNPROCESSABLE_ENTITY),
            ("/api/figures/pie.svg", StatusCode::NOT_FOUND),
            ("/api/figures/on-time.png", StatusCode::NOT_FOUND),
        ] {
            let (status, body) = steering.get(path).await;
            assert_eq!(status, expected, "{path}: {body}");
        }
    }
}

on_both_backends! {
    async fn charts_are_accessible_svg_and_the_data_downloads_as_csv(app: TestApp) {
        let _demo = app.demo_case().await;
        let rio = app.login(RIO).await;
        for chart in ["on-time", "escalation-age", "decision-time", "warnings"] {
            let response = rio.http.get(format!("{}/api/figures/{chart}.svg", rio.base)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("image/svg+xml"));
            let svg = response.text().await.unwrap();
            assert!(svg.starts_with("<svg") && svg.contains("role=\"img\""), "{svg}");
            assert!(svg.contains(&format!("<title id=\"figure-{chart}-title\">")) && svg.contains("<desc"), "{chart}");
        }
        let (_, svg) = rio.get_text("/api/figures/warnings.svg").await;
        assert!(svg.contains("Onderdak (wonen)") && svg.contains(">1</text>"), "the housing bar says 1 in words: {svg}");
        let (_, english) = rio.get_text("/api/figures/warnings.svg?lang=en").await;
        assert!(english.contains("Housing") && english.contains("Cases with a readiness warning"));

        let response = rio.http.get(format!("{}/api/figures/warnings.csv", rio.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"ketentafel-warnings-"));
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "leefgebied_code,leefgebied,casussen");
        assert!(lines.contains(&"housing,Onderdak (wonen),1"), "{csv}");
        assert_eq!(lines.len(), 6);
        let (_, on_time) = rio.get_text("/api/figures/on-time.csv?lang=en").await;
        assert!(on_time.starts_with("period,domain_code,life domain,judged,on_time,percent"));
        assert!(on_time.lines().any(|l| l.starts_with("total,id,ID and papers,1,1,100")), "{on_time}");
    }
}
