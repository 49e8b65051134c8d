//! Logging in and out, session expiry, and accounts made by the administrator.

use crate::helpers::*;
use crate::on_both_backends;
use futures_util::StreamExt;
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

/// Tries a password for `email`; the status.
async fn try_login(client: &Client, email: &str, password: &str) -> StatusCode {
    client.post("/api/session", json!({ "email": email, "password": password })).await.0
}

on_both_backends! {
    async fn guessing_from_one_address_is_slowed_down_but_locks_nobody_out_for_good(app: TestApp) {
        let guesser = app.anonymous_from("127.0.0.2");
        for _ in 0..5 {
            assert_eq!(try_login(&guesser, RIO, "geheim").await, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(try_login(&guesser, RIO, "geheim").await, StatusCode::TOO_MANY_REQUESTS, "the sixth guess waits");
        assert_eq!(try_login(&guesser, RIO, "demo").await, StatusCode::TOO_MANY_REQUESTS, "from there even the right password waits");
        let mut refused = 0;
        for _ in 0..30 {
            app.advance(chrono::Duration::seconds(2));
            match try_login(&guesser, RIO, "geheim").await {
                StatusCode::TOO_MANY_REQUESTS => refused += 1,
                status => assert_eq!(status, StatusCode::UNAUTHORIZED),
            }
        }
        assert!(refused >= 20, "a minute of guessing every two seconds is mostly refused ({refused} of 30)");

        app.advance(chrono::Duration::minutes(16));
        assert_eq!(try_login(&guesser, RIO, "demo").await, StatusCode::OK, "the wait ends; nothing is locked for good");
        let (_, trail) = app.login(ADMIN).await.get("/api/admin/audit?limit=1000").await;
        let trail = trail.as_array().unwrap();
        let count = |action: &str| trail.iter().filter(|e| e["action"] == action).count();
        assert_eq!(count("session.login_failed"), 5 + 30 - refused, "every wrong password is audited");
        assert_eq!(count("session.login_refused"), 2 + refused, "every refusal is audited");
        let mut refusals = trail.iter().filter(|e| e["action"] == "session.login_refused");
        assert!(refusals.clone().all(|e| e["detail"].as_str().is_some_and(|d| d.starts_with("limit: "))));
        assert!(refusals.all(|e| !e["detail"].to_string().contains("geheim")), "no password in the trail");
    }
}

/// Logs `email` in from a browser at `address` and out again: the browser is now known.
async fn known_browser(app: &TestApp, email: &str, address: &str) -> Client {
    let browser = app.anonymous_from(address);
    let response = browser
        .http
        .post(app.url("/api/session"))
        .json(&json!({ "email": email, "password": "demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let known = cookies.iter().find(|c| c.starts_with("kt_device=")).expect("a known-device cookie");
    assert!(known.contains("HttpOnly") && known.contains("SameSite=Strict") && known.contains("Path=/"), "{known}");
    assert_eq!(browser.delete("/api/session").await.0, StatusCode::NO_CONTENT);
    browser
}

on_both_backends! {
    async fn an_attackers_fifty_wrong_passwords_do_not_stop_the_casemanager_on_her_known_device(app: TestApp) {
        let her_laptop = known_browser(&app, CASEMANAGER, "127.0.0.1").await;

        // Conference day: from address A, her own prison's network, someone tries her account
        // fifty times.
        let attacker = app.anonymous_from("127.0.0.1");
        let mut answered = Vec::new();
        for guess in 0..50 {
            answered.push(try_login(&attacker, CASEMANAGER, &format!("raden{guess}")).await);
        }
        assert!(answered.iter().all(|s| [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(s)));
        assert!(answered.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count() >= 40, "the guessing is slowed down");

        assert_eq!(try_login(&her_laptop, CASEMANAGER, "demo").await, StatusCode::OK, "she logs in from her own laptop");
        assert_eq!(her_laptop.get("/api/cases").await.0, StatusCode::OK);
        let unknown = app.anonymous_from("127.0.0.1");
        assert_eq!(try_login(&unknown, CASEMANAGER, "demo").await, StatusCode::TOO_MANY_REQUESTS, "a browser never used there waits like the attacker's");
    }
}

on_both_backends! {
    async fn guessing_one_account_from_many_addresses_holds_strangers_back_but_not_her_known_device(app: TestApp) {
        let her_laptop = known_browser(&app, CASEMANAGER, "127.0.0.1").await;
        let mut wrong = 0;
        for machine in 10..20 {
            let attacker = app.anonymous_from(&format!("127.0.0.{machine}"));
            for guess in 0..5 {
                match try_login(&attacker, CASEMANAGER, &format!("raden{guess}")).await {
                    StatusCode::UNAUTHORIZED => wrong += 1,
                    status => assert_eq!(status, StatusCode::TOO_MANY_REQUESTS),
                }
            }
        }
        assert!(wrong < 50, "the account's own limit stopped the botnet before its fiftieth guess");
        let elsewhere = app.anonymous_from("127.0.0.30");
        assert_eq!(try_login(&elsewhere, CASEMANAGER, "demo").await, StatusCode::TOO_MANY_REQUESTS, "the account holds strangers back");
        assert_eq!(try_login(&her_laptop, CASEMANAGER, "demo").await, StatusCode::OK, "her own laptop passes");
        assert_eq!(try_login(&elsewhere, RIO, "demo").await, StatusCode::OK, "other accounts are not affected");
    }
}

on_both_backends! {
    async fn a_spray_across_accounts_from_a_prisons_address_is_refused_while_its_staff_still_log_in(app: TestApp) {
        // Everyone in the prison shares one address; the colleagues logged in there before.
        let colleagues = [CASEMANAGER, RIO, PROBATION, HOUSING, OUTSIDER];
        let mut browsers = Vec::new();
        for email in colleagues {
            let browser = app.anonymous_from("127.0.0.3");
            assert_eq!(try_login(&browser, email, "demo").await, StatusCode::OK);
            browsers.push(browser);
        }
        app.advance(chrono::Duration::hours(20));

        // A terminal in the same network sprays one password across many accounts, four at a
        // time (parallel guesses are counted before any password is checked).
        let sprayer = app.anonymous_from("127.0.0.3");
        let emails: Vec<String> = (0..220).map(|i| format!("medewerker{i}@pi-dordrecht.example")).collect();
        let answers: Vec<StatusCode> = futures_util::stream::iter(&emails)
            .map(|email| try_login(&sprayer, email, "Welkom01!"))
            .buffer_unordered(4)
            .collect()
            .await;
        let refused = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert!(answers.iter().all(|s| [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(s)));
        assert!(refused >= 20, "spraying is refused ({refused} of 220)");
        assert_eq!(try_login(&sprayer, "nog-een@pi-dordrecht.example", "Welkom01!").await, StatusCode::TOO_MANY_REQUESTS);

        for (email, browser) in colleagues.iter().zip(&browsers) {
            assert_eq!(try_login(browser, email, "demo").await, StatusCode::OK, "{email} still logs in from her own browser");
        }
        assert_eq!(try_login(&app.anonymous_from("127.0.0.4"), STEERING, "demo").await, StatusCode::OK, "other addresses are not affected");
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
    async fn a_new_partner_sees_no_case_until_put_on_one_and_deactivating_ends_his_sessions(app: TestApp) {
        let nina = app.new_account("Woonbron", "Nina Nieuw", "nina@woonbron.example", "partner", "een lang en eigen wachtwoord").await;
        let admin = app.login(ADMIN).await;
        let woonbron = app.organisation("Woonbron").await;
        let (status, _) = admin.post("/api/admin/users", json!({ "organisation_id": woonbron, "name": "Nina Twee", "email": "NINA@woonbron.example", "role": "partner" })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, cases) = nina.get("/api/cases").await;
        assert_eq!((status, cases), (StatusCode::OK, json!([])), "a new partner sees no case until put on one");

        // Deactivating the account ends its sessions at once.
        let (_, me) = nina.get("/api/me").await;
        let (status, _) = admin.patch(&format!("/api/admin/users/{}", me["user"]["id"].as_str().unwrap()), json!({ "active": false })).await;
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
        let chosen = "een lang en eigen wachtwoord";
        let here = app.new_account("Woonbron", "Nina Nieuw", "nina@woonbron.example", "partner", chosen).await;
        let elsewhere = app.anonymous();
        let (status, _) = elsewhere.post("/api/session", json!({ "email": "nina@woonbron.example", "password": chosen })).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = here.post("/api/me/password", json!({ "current_password": chosen, "new_password": "nog een lang wachtwoord" })).await;
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
