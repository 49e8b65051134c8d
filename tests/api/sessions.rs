//! Logging in and out, session expiry, and accounts made by the administrator.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

on_both_backends! {
    async fn login_sets_an_httponly_cookie_and_returns_a_bearer_token(app: TestApp) {
        let response = app.anonymous().http.post(app.url("/api/session"))
            .json(&json!({ "email": "Casemanager@PI-Dordrecht.example", "password": "demo" })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
        assert!(cookie.starts_with("kt_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        let body: serde_json::Value = response.json().await.unwrap();
        let token = body["token"].as_str().unwrap();
        assert_eq!(body["user"]["role"], "casemanager");
        assert!(body["user"].get("password_hash").is_none());

        let api = reqwest::Client::new();
        let me = api.get(app.url("/api/me")).bearer_auth(token).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        let bogus = api.get(app.url("/api/me")).bearer_auth("e30.e30.bogus").send().await.unwrap();
        assert_eq!(bogus.status(), StatusCode::UNAUTHORIZED);
    }
}

on_both_backends! {
    async fn a_wrong_password_is_refused_and_repeated_guessing_is_stopped(app: TestApp) {
        let guesser = app.anonymous();
        for _ in 0..10 {
            let (status, body) = guesser.post("/api/session", json!({ "email": RIO, "password": "geheim" })).await;
            assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
        }
        let (status, _) = guesser.post("/api/session", json!({ "email": RIO, "password": "demo" })).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits out the window");
        app.advance(chrono::Duration::minutes(16));
        let (status, _) = guesser.post("/api/session", json!({ "email": RIO, "password": "demo" })).await;
        assert_eq!(status, StatusCode::OK);
    }
}

on_both_backends! {
    async fn logout_ends_the_session_everywhere(app: TestApp) {
        let browser = app.anonymous();
        let (_, login) = browser.post("/api/session", json!({ "email": HOUSING, "password": "demo" })).await;
        let token = login["token"].as_str().unwrap().to_owned();
        let (status, _) = browser.delete("/api/session").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = browser.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let replay = reqwest::Client::new().get(app.url("/api/cases")).bearer_auth(token).send().await.unwrap();
        assert_eq!(replay.status(), StatusCode::UNAUTHORIZED, "the token of an ended session is dead");
    }
}

on_both_backends! {
    async fn an_idle_session_expires_and_an_active_one_is_renewed(app: TestApp) {
        let active = app.login(PROBATION).await;
        let idle = app.login(HOUSING).await;
        app.advance(chrono::Duration::minutes(40));
        let response = active.http.get(app.url("/api/me")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("set-cookie").is_some(), "past half its life the cookie is renewed");
        app.advance(chrono::Duration::minutes(40));
        let (status, _) = active.get("/api/me").await;
        assert_eq!(status, StatusCode::OK, "80 minutes after login, but active");
        let (status, _) = idle.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "80 minutes idle");
    }
}

on_both_backends! {
    async fn a_new_account_must_replace_its_one_time_password_first(app: TestApp) {
        let admin = app.login(ADMIN).await;
        let (_, orgs) = admin.get("/api/organisations").await;
        let woonbron = orgs.as_array().unwrap().iter().find(|o| o["name"] == "Woonbron").map(id).unwrap();
        let (status, created) = admin.post("/api/admin/users", json!({ "organisation_id": woonbron, "name": "Nina Nieuw", "email": "nina@woonbron.example", "role": "partner" })).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let one_time = created["one_time_password"].as_str().unwrap().to_owned();
        let (status, _) = admin.post("/api/admin/users", json!({ "organisation_id": woonbron, "name": "Nina Twee", "email": "NINA@woonbron.example", "role": "partner" })).await;
        assert_eq!(status, StatusCode::CONFLICT);

        let nina = app.anonymous();
        let (status, login) = nina.post("/api/session", json!({ "email": "nina@woonbron.example", "password": one_time })).await;
        assert_eq!((status, login["user"]["password_change_required"].as_bool()), (StatusCode::OK, Some(true)));
        let (status, body) = nina.get("/api/cases").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _) = nina.post("/api/me/password", json!({ "current_password": one_time, "new_password": "kort" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = nina.post("/api/me/password", json!({ "current_password": one_time, "new_password": "een lang en eigen wachtwoord" })).await;
        assert_eq!(status, StatusCode::OK);
        let (status, cases) = nina.get("/api/cases").await;
        assert_eq!((status, cases), (StatusCode::OK, json!([])), "a new partner sees no case until put on one");

        // Deactivating the account ends its sessions at once.
        let (status, _) = admin.patch(&format!("/api/admin/users/{}", id(&created["user"])), json!({ "active": false })).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = nina.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

on_both_backends! {
    async fn many_people_logging_in_correctly_from_one_address_are_never_held_up(app: TestApp) {
        for round in 0..4 {
            for email in [CASEMANAGER, RIO, PROBATION, HOUSING, OUTSIDER] {
                let (status, _) = app.anonymous().post("/api/session", json!({ "email": email, "password": "demo" })).await;
                assert_eq!(status, StatusCode::OK, "login {round} of {email}");
            }
        }
    }
}

on_both_backends! {
    async fn changing_the_password_ends_the_accounts_other_sessions(app: TestApp) {
        let admin = app.login(ADMIN).await;
        let (_, orgs) = admin.get("/api/organisations").await;
        let woonbron = orgs.as_array().unwrap().iter().find(|o| o["name"] == "Woonbron").map(id).unwrap();
        let (_, created) = admin.post("/api/admin/users", json!({ "organisation_id": woonbron, "name": "Nina Nieuw", "email": "nina@woonbron.example", "role": "partner" })).await;
        let one_time = created["one_time_password"].as_str().unwrap().to_owned();
        let (here, elsewhere) = (app.anonymous(), app.anonymous());
        for browser in [&here, &elsewhere] {
            let (status, _) = browser.post("/api/session", json!({ "email": "nina@woonbron.example", "password": one_time })).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, body) = here.get(&format!("/api/meetings/{}", uuid::Uuid::now_v7())).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "a generated password opens nothing");
        let (status, _) = here.post("/api/me/password", json!({ "current_password": one_time, "new_password": "een lang en eigen wachtwoord" })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(here.get("/api/me").await.0, StatusCode::OK, "the session that changed it stays");
        assert_eq!(elsewhere.get("/api/me").await.0, StatusCode::UNAUTHORIZED, "every other session ends");
    }
}

on_both_backends! {
    async fn a_session_ends_after_its_maximum_lifetime_however_active(app: TestApp) {
        let active = app.login(PROBATION).await;
        for _ in 0..30 {
            app.advance(chrono::Duration::minutes(29));
            if active.get("/api/me").await.0 != StatusCode::OK {
                break;
            }
        }
        let (status, _) = active.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "twelve hours after login the session is over");
    }
}

on_both_backends! {
    async fn guessing_the_current_password_is_limited_and_audited(app: TestApp) {
        let rio = app.login(RIO).await;
        for _ in 0..10 {
            let (status, _) = rio.post("/api/me/password", json!({ "current_password": "fout", "new_password": "een lang en eigen wachtwoord" })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let (status, _) = rio.post("/api/me/password", json!({ "current_password": "demo", "new_password": "een lang en eigen wachtwoord" })).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let (_, trail) = app.login(ADMIN).await.get("/api/admin/audit").await;
        let failures = trail.as_array().unwrap().iter().filter(|e| e["action"] == "account.password_change_failed").count();
        assert_eq!(failures, 10);
    }
}
