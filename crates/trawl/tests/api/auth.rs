//! Identity and access: accounts, keys, JWTs, sessions, roles, audit. Most tests are
//! refusals, each on its own, on both backends.

use std::time::{Duration, Instant};

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use trawl::auth::jwt::{Claims, JwtKeys};
use trawl::auth::{create_key, create_user, KeyRequest, Role, Scope};
use trawl::secret::Secret;
use trawl::store::jobs::{NewJob, DEFAULT_TEAM};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;

const SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
pub(crate) const PASSWORD: &str = "a perfectly fine passphrase";

pub(crate) async fn app(backend: Backend) -> TestApp {
    app_with(backend, &[]).await
}

/// An app whose first account (the instance admin) already exists, so that the
/// accounts a test makes are ordinary ones.
pub(crate) async fn app_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let app = fresh_app(backend, env).await;
    let first = create_user(
        app.store.as_ref(),
        "root@example.com",
        PASSWORD.into(),
        None,
        false,
        None,
    )
    .await
    .unwrap();
    assert!(first.is_admin);
    app
}

/// An app with no account yet.
pub(crate) async fn fresh_app(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("TRAWL_SECRET", SECRET), ("TRAWL_JOBS_IN_PROCESS", "false")];
    all.extend_from_slice(env);
    spawn_app_with(backend, &all).await.unwrap()
}

/// A user with `role` in `team`.
pub(crate) async fn member(app: &TestApp, team: Uuid, role: Role) -> (String, Uuid) {
    let email = format!("u-{}@example.com", Uuid::now_v7().simple());
    let u = create_user(
        app.store.as_ref(),
        &email,
        PASSWORD.into(),
        Some((team, role)),
        false,
        None,
    )
    .await
    .unwrap();
    (email, u.id)
}

pub(crate) async fn team(app: &TestApp) -> Uuid {
    let id = Uuid::now_v7();
    app.store
        .create_team(id, &format!("team-{}", id.simple()), None)
        .await
        .unwrap();
    id
}

pub(crate) async fn key(
    app: &TestApp,
    team: Uuid,
    role: Role,
    scopes: Option<Vec<Scope>>,
) -> String {
    key_by(app, team, role, scopes, None).await
}

pub(crate) async fn key_by(
    app: &TestApp,
    team: Uuid,
    role: Role,
    scopes: Option<Vec<Scope>>,
    created_by: Option<Uuid>,
) -> String {
    create_key(
        app.store.as_ref(),
        KeyRequest {
            team_id: team,
            name: format!("k-{}", Uuid::now_v7().simple()),
            role,
            scopes,
            expires_at: None,
            created_by,
        },
    )
    .await
    .unwrap()
    .0
}

pub(crate) async fn tokens(app: &TestApp, email: &str) -> (String, String) {
    let r = post(
        app,
        "/api/v1/auth/token",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    (
        b["access_token"].as_str().unwrap().into(),
        b["refresh_token"].as_str().unwrap().into(),
    )
}

/// Logs in; returns the `Cookie` header value and the CSRF token.
pub(crate) async fn session(app: &TestApp, email: &str) -> (String, String) {
    let r = post(
        app,
        "/api/v1/auth/login",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    // Over plain HTTP in development: no `__Host-` prefix and no `Secure`, which
    // browsers would refuse (see security.rs for the secure form).
    assert!(set.starts_with("trawl_session="), "{set}");
    assert!(!set.contains("Secure"), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
    let cookie = set.split(';').next().unwrap().to_string();
    let b: Value = r.json().await.unwrap();
    (cookie, b["csrf_token"].as_str().unwrap().into())
}

pub(crate) async fn post(app: &TestApp, path: &str, body: Value) -> Response {
    Client::new()
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn get_bearer(app: &TestApp, path: &str, token: &str) -> Response {
    Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn job_in(app: &TestApp, team: Uuid) -> Uuid {
    app.store
        .enqueue(&[NewJob::new(team, "noop", json!({}))])
        .await
        .unwrap()[0]
        .id
}

pub(crate) async fn expect_error(r: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status(), status);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], code, "{b}");
    assert!(b["error"]["request_id"].is_string());
    b
}

fn claims(user: Uuid, team: Uuid) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: user,
        team,
        iss: "trawl".into(),
        aud: "trawl-api".into(),
        iat: now,
        exp: now + 600,
        jti: Uuid::now_v7(),
        fam: Uuid::now_v7(),
    }
}

/// Claims for `email`'s account that name a live refresh family (one `tokens` made), so
/// that only what a test changes in them can make them fail.
async fn live_claims(app: &TestApp, email: &str, user: Uuid) -> Claims {
    let (access, _) = tokens(app, email).await;
    let issued = signer()
        .verify(&access)
        .expect("the instance signs with SECRET");
    Claims {
        fam: issued.fam,
        ..claims(user, DEFAULT_TEAM)
    }
}

fn signer() -> JwtKeys {
    JwtKeys::new(Some(&Secret::new(SECRET)))
}

both_backends! {
    async fn first_user_becomes_instance_admin_of_default(backend: Backend) {
        let app = fresh_app(backend, &[]).await;
        let r = post(&app, "/api/v1/auth/register",
            json!({"email": "First@Example.com", "password": PASSWORD})).await;
        assert_eq!(r.status(), 202);
        let u: Value = r.json().await.unwrap();
        assert_eq!(u["email"], "first@example.com");
        let first = app.store.user_by_email("first@example.com").await.unwrap().unwrap();
        assert!(first.is_admin);
        let (access, _) = tokens(&app, "first@example.com").await;
        let me: Value = get_bearer(&app, "/api/v1/auth/me", &access).await.json().await.unwrap();
        assert_eq!(me["team_id"], DEFAULT_TEAM.to_string());
        assert_eq!(me["role"], "admin");
        // The second account is an ordinary one with a team of its own.
        let r = post(&app, "/api/v1/auth/register",
            json!({"email": "second@example.com", "password": PASSWORD})).await;
        assert_eq!(r.status(), 202);
        let second = app.store.user_by_email("second@example.com").await.unwrap().unwrap();
        assert!(!second.is_admin);
    }

    async fn key_authenticates_by_bearer_and_x_api_key(backend: Backend) {
        let app = app(backend).await;
        let k = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let job = job_in(&app, DEFAULT_TEAM).await;
        let r = get_bearer(&app, &format!("/api/v1/jobs/{job}"), &k).await;
        assert_eq!(r.status(), 200);
        let r = Client::new().get(app.url(&format!("/api/v1/jobs/{job}")))
            .header("x-api-key", &k).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn missing_credential_is_401_in_the_envelope(backend: Backend) {
        let app = app(backend).await;
        let r = Client::new().get(app.url("/api/v1/keys")).send().await.unwrap();
        assert!(r.headers().contains_key("www-authenticate"));
        expect_error(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn expired_jwt_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, user) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let live = live_claims(&app, &email, user).await;
        let mut c = live.clone();
        c.iat -= 3600;
        c.exp = chrono::Utc::now().timestamp() - 600;
        let t = signer().sign(&c).unwrap();
        expect_error(get_bearer(&app, "/api/v1/auth/me", &t).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        // The same claims, unexpired, pass: the refusal was the expiry.
        let ok = signer().sign(&live).unwrap();
        assert_eq!(get_bearer(&app, "/api/v1/auth/me", &ok).await.status(), 200);
    }

    async fn tampered_jwt_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let (access, _) = tokens(&app, &email).await;
        let parts: Vec<&str> = access.split('.').collect();
        // Claim to be an admin of another team, keep the signature.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        payload["team"] = json!(Uuid::now_v7());
        let forged = format!("{}.{}.{}", parts[0], b64.encode(payload.to_string()), parts[2]);
        expect_error(get_bearer(&app, "/api/v1/auth/me", &forged).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn alg_none_jwt_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, user) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let live = live_claims(&app, &email, user).await;
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
        let body = b64.encode(serde_json::to_string(&live).unwrap());
        for t in [format!("{header}.{body}."), format!("{header}.{body}.x")] {
            expect_error(get_bearer(&app, "/api/v1/auth/me", &t).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }

    async fn wrong_algorithm_jwt_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, user) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let live = live_claims(&app, &email, user).await;
        let t = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
            &live,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        ).unwrap();
        expect_error(get_bearer(&app, "/api/v1/auth/me", &t).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn wrong_audience_jwt_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, user) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let live = live_claims(&app, &email, user).await;
        let mut c = live.clone();
        c.aud = "someone-else".into();
        let t = signer().sign(&c).unwrap();
        expect_error(get_bearer(&app, "/api/v1/auth/me", &t).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn wrong_issuer_jwt_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, user) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let live = live_claims(&app, &email, user).await;
        let mut c = live.clone();
        c.iss = "evil".into();
        let t = signer().sign(&c).unwrap();
        expect_error(get_bearer(&app, "/api/v1/auth/me", &t).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let (_, r1) = tokens(&app, &email).await;
        let r = post(&app, "/api/v1/auth/refresh", json!({"refresh_token": r1})).await;
        assert_eq!(r.status(), 200);
        let b: Value = r.json().await.unwrap();
        let r2 = b["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(r1, r2);
        // Replaying the spent token fails, and takes its successor down with it.
        let replay = post(&app, "/api/v1/auth/refresh", json!({"refresh_token": r1})).await;
        expect_error(replay, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let after = post(&app, "/api/v1/auth/refresh", json!({"refresh_token": r2})).await;
        expect_error(after, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let reuse = app.store.list_audit(&trawl::store::identity::AuditFilter {
            event: Some("authn_token_reuse".into()), limit: 10, ..Default::default()
        }).await.unwrap();
        assert_eq!(reuse.len(), 1);
    }

    async fn revoked_key_is_rejected_with_401(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let (access, _) = tokens(&app, &email).await;
        let r = Client::new().post(app.url("/api/v1/keys")).bearer_auth(&access)
            .json(&json!({"name": "ci", "role": "viewer"})).send().await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let b: Value = r.json().await.unwrap();
        let k = b["key"].as_str().unwrap().to_string();
        let id = b["api_key"]["id"].as_str().unwrap().to_string();
        assert_eq!(get_bearer(&app, "/api/v1/auth/me", &k).await.status(), 200);
        let r = Client::new().delete(app.url(&format!("/api/v1/keys/{id}"))).bearer_auth(&access)
            .send().await.unwrap();
        assert_eq!(r.status(), 200);
        expect_error(get_bearer(&app, "/api/v1/auth/me", &k).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn key_revoked_elsewhere_stops_working_within_a_second(backend: Backend) {
        let app = app(backend).await;
        let k = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        assert_eq!(get_bearer(&app, "/api/v1/auth/me", &k).await.status(), 200);
        // As another node (or the CLI) would: straight in the database.
        let id = app.store.list_api_keys(Some(DEFAULT_TEAM)).await.unwrap()[0].id;
        app.store.revoke_api_key(id, None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(get_bearer(&app, "/api/v1/auth/me", &k).await.status(), 401);
    }

    async fn expired_key_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (k, rec) = create_key(app.store.as_ref(), KeyRequest {
            team_id: DEFAULT_TEAM, name: "short".into(), role: Role::Viewer, scopes: None,
            expires_at: Some(chrono::Utc::now() + chrono::Duration::milliseconds(1500)),
            created_by: None,
        }).await.unwrap();
        assert!(rec.expires_at.is_some());
        assert_eq!(get_bearer(&app, "/api/v1/auth/me", &k).await.status(), 200);
        tokio::time::sleep(Duration::from_millis(1600)).await;
        expect_error(get_bearer(&app, "/api/v1/auth/me", &k).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn bad_checksum_or_prefix_key_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let k = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let mut chars: Vec<char> = k.chars().collect();
        let last = chars.len() - 1;
        chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
        let bad_sum: String = chars.into_iter().collect();
        let bad_prefix = k.replacen("trawl_", "trawx_", 1);
        for bad in [bad_sum, bad_prefix, "trawl_short".into()] {
            let r = Client::new().get(app.url("/api/v1/auth/me")).header("x-api-key", &bad)
                .send().await.unwrap();
            expect_error(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }

    async fn query_string_key_is_refused_unless_enabled(backend: Backend) {
        let app = app(backend).await;
        let k = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let r = Client::new().get(app.url(&format!("/api/v1/auth/me?api_key={k}"))).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let app2 = app_with(backend, &[("TRAWL_AUTH_ALLOW_QUERY_API_KEY", "true")]).await;
        let k2 = key(&app2, DEFAULT_TEAM, Role::Viewer, None).await;
        let r = Client::new().get(app2.url(&format!("/api/v1/auth/me?api_key={k2}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn viewer_creating_a_job_is_forbidden(backend: Backend) {
        let app = app(backend).await;
        let k = key(&app, DEFAULT_TEAM, Role::Viewer, None).await;
        let r = Client::new().post(app.url("/api/v1/jobs")).bearer_auth(&k)
            .json(&json!({"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/"}})).send().await.unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "forbidden").await;
        // An operator key may.
        let op = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
        let r = Client::new().post(app.url("/api/v1/jobs")).bearer_auth(&op)
            .json(&json!({"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/"}})).send().await.unwrap();
        assert_eq!(r.status(), 201);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let fails = app.store.list_audit(&trawl::store::identity::AuditFilter {
            event: Some("authz_fail".into()), limit: 10, ..Default::default()
        }).await.unwrap();
        assert_eq!(fails.len(), 1);
    }

    async fn key_without_the_scope_is_forbidden(backend: Backend) {
        let app = app(backend).await;
        let k = key(&app, DEFAULT_TEAM, Role::Operator, Some(vec![Scope::JobsRead])).await;
        let r = Client::new().post(app.url("/api/v1/jobs")).bearer_auth(&k)
            .json(&json!({"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/"}})).send().await.unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn operator_managing_keys_is_forbidden(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Operator).await;
        let (access, _) = tokens(&app, &email).await;
        let r = Client::new().post(app.url("/api/v1/keys")).bearer_auth(&access)
            .json(&json!({"name": "x"})).send().await.unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(get_bearer(&app, "/api/v1/keys", &access).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn key_scopes_above_its_role_are_refused(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let (access, _) = tokens(&app, &email).await;
        let r = Client::new().post(app.url("/api/v1/keys")).bearer_auth(&access)
            .json(&json!({"name": "x", "role": "viewer", "scopes": ["scrape"]})).send().await.unwrap();
        let b = expect_error(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(b["error"]["details"]["fields"][0]["field"], "scopes");
    }

    async fn cross_team_job_read_is_404(backend: Backend) {
        let app = app(backend).await;
        let other = team(&app).await;
        let job = job_in(&app, other).await;
        let k = key(&app, DEFAULT_TEAM, Role::Admin, None).await;
        let r = get_bearer(&app, &format!("/api/v1/jobs/{job}"), &k).await;
        expect_error(r, StatusCode::NOT_FOUND, "not_found").await;
        let theirs = key(&app, other, Role::Viewer, None).await;
        assert_eq!(get_bearer(&app, &format!("/api/v1/jobs/{job}"), &theirs).await.status(), 200);
    }

    async fn cross_team_members_read_is_404(backend: Backend) {
        let app = app(backend).await;
        let other = team(&app).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let (access, _) = tokens(&app, &email).await;
        let r = get_bearer(&app, &format!("/api/v1/teams/{other}/members"), &access).await;
        expect_error(r, StatusCode::NOT_FOUND, "not_found").await;
        let r = get_bearer(&app, &format!("/api/v1/teams/{DEFAULT_TEAM}/members"), &access).await;
        assert_eq!(r.status(), 200);
    }

    async fn cross_team_key_revoke_is_404(backend: Backend) {
        let app = app(backend).await;
        let other = team(&app).await;
        key(&app, other, Role::Viewer, None).await;
        let theirs = app.store.list_api_keys(Some(other)).await.unwrap()[0].id;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let (access, _) = tokens(&app, &email).await;
        let r = Client::new().delete(app.url(&format!("/api/v1/keys/{theirs}"))).bearer_auth(&access)
            .send().await.unwrap();
        expect_error(r, StatusCode::NOT_FOUND, "not_found").await;
        assert!(app.store.list_api_keys(Some(other)).await.unwrap()[0].revoked_at.is_none());
    }

    async fn disabled_users_session_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let admin = admin_token(&app).await;
        let (email, id) = member(&app, DEFAULT_TEAM, Role::Operator).await;
        let (cookie, _) = session(&app, &email).await;
        let me = Client::new().get(app.url("/api/v1/auth/me")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(me.status(), 200);
        let r = Client::new().post(app.url(&format!("/api/v1/users/{id}/disable"))).bearer_auth(&admin)
            .send().await.unwrap();
        assert_eq!(r.status(), 200);
        let me = Client::new().get(app.url("/api/v1/auth/me")).header("cookie", &cookie).send().await.unwrap();
        expect_error(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
        // Nor can they log in again (same answer as a wrong password).
        let r = post(&app, "/api/v1/auth/login", json!({"email": email, "password": PASSWORD})).await;
        expect_error(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }

    async fn disabled_users_key_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let admin = admin_token(&app).await;
        let (_, id) = member(&app, DEFAULT_TEAM, Role::Operator).await;
        let k = key_by(&app, DEFAULT_TEAM, Role::Operator, None, Some(id)).await;
        assert_eq!(get_bearer(&app, "/api/v1/auth/me", &k).await.status(), 200);
        let r = Client::new().post(app.url(&format!("/api/v1/users/{id}/disable"))).bearer_auth(&admin)
            .send().await.unwrap();
        assert_eq!(r.status(), 200);
        expect_error(get_bearer(&app, "/api/v1/auth/me", &k).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn disabled_users_refresh_token_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, id) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let (_, refresh) = tokens(&app, &email).await;
        app.store.set_user_disabled(id, true).await.unwrap();
        let r = post(&app, "/api/v1/auth/refresh", json!({"refresh_token": refresh})).await;
        expect_error(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn session_after_logout_is_rejected(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let (cookie, csrf) = session(&app, &email).await;
        let r = Client::new().post(app.url("/api/v1/auth/logout")).header("cookie", &cookie)
            .header("x-csrf-token", &csrf).send().await.unwrap();
        assert_eq!(r.status(), 204);
        let me = Client::new().get(app.url("/api/v1/auth/me")).header("cookie", &cookie).send().await.unwrap();
        expect_error(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn session_unsafe_request_without_csrf_is_forbidden(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let (cookie, csrf) = session(&app, &email).await;
        let r = Client::new().post(app.url("/api/v1/auth/logout")).header("cookie", &cookie)
            .send().await.unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "forbidden").await;
        let r = Client::new().post(app.url("/api/v1/auth/logout")).header("cookie", &cookie)
            .header("x-csrf-token", format!("{csrf}x")).send().await.unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "forbidden").await;
        // Still logged in: the refused requests did nothing.
        let me = Client::new().get(app.url("/api/v1/auth/me")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(me.status(), 200);
    }

    async fn idle_session_expires(backend: Backend) {
        let app = app_with(backend, &[("TRAWL_AUTH_SESSION_IDLE_SECS", "1")]).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let (cookie, _) = session(&app, &email).await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let me = Client::new().get(app.url("/api/v1/auth/me")).header("cookie", &cookie).send().await.unwrap();
        expect_error(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn changing_the_password_ends_sessions_and_refresh_tokens(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let (cookie, _) = session(&app, &email).await;
        let (access, refresh) = tokens(&app, &email).await;
        let r = Client::new().post(app.url("/api/v1/auth/password")).bearer_auth(&access)
            .json(&json!({"current_password": PASSWORD, "new_password": "another fine passphrase"}))
            .send().await.unwrap();
        assert_eq!(r.status(), 204);
        let me = Client::new().get(app.url("/api/v1/auth/me")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(me.status(), 401);
        let r = post(&app, "/api/v1/auth/refresh", json!({"refresh_token": refresh})).await;
        assert_eq!(r.status(), 401);
        let r = post(&app, "/api/v1/auth/token", json!({"email": email, "password": "another fine passphrase"})).await;
        assert_eq!(r.status(), 200);
    }

    async fn login_lockout_answers_429_with_retry_after(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        for _ in 0..5 {
            let r = post(&app, "/api/v1/auth/token", json!({"email": email, "password": "wrong password!"})).await;
            assert_eq!(r.status(), 401);
        }
        // Even the right password waits now.
        let r = post(&app, "/api/v1/auth/token", json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(r.status(), 429);
        let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
        let locks = app.store.list_audit(&trawl::store::identity::AuditFilter {
            event: Some("authn_login_lock".into()), limit: 10, ..Default::default()
        }).await.unwrap();
        assert_eq!(locks.len(), 1);
    }

    async fn unknown_user_and_wrong_password_answer_alike(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Viewer).await;
        let mut times = [Duration::ZERO; 2];
        let mut bodies = Vec::new();
        for round in 0..3 {
            for (i, who) in [email.clone(), format!("nobody{round}@example.com")].iter().enumerate() {
                let start = Instant::now();
                let r = post(&app, "/api/v1/auth/token", json!({"email": who, "password": "wrong password!"})).await;
                times[i] += start.elapsed();
                assert_eq!(r.status(), 401);
                let b: Value = r.json().await.unwrap();
                bodies.push((b["error"]["code"].clone(), b["error"]["message"].clone()));
            }
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
        let (a, b) = (times[0].as_secs_f64(), times[1].as_secs_f64());
        // Without the dummy hash an unknown email answers ~50x faster; 3x leaves room for
        // a loaded CI machine without letting that through.
        assert!(a / b < 3.0 && b / a < 3.0, "wrong password {a:.3}s vs unknown user {b:.3}s");
    }

    async fn common_and_short_passwords_are_refused(backend: Backend) {
        let app = app(backend).await;
        for pw in ["password1", "short", "qwertyuiop"] {
            let r = post(&app, "/api/v1/auth/register", json!({"email": "a@example.com", "password": pw})).await;
            let b = expect_error(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!(b["error"]["details"]["fields"][0]["field"], "password");
        }
    }

    async fn closed_registration_admits_only_the_first_account(backend: Backend) {
        let app = fresh_app(backend, &[("TRAWL_AUTH_REGISTRATION", "closed")]).await;
        let r = post(&app, "/api/v1/auth/register", json!({"email": "one@example.com", "password": PASSWORD})).await;
        assert_eq!(r.status(), 202);
        let r = post(&app, "/api/v1/auth/register", json!({"email": "two@example.com", "password": PASSWORD})).await;
        expect_error(r, StatusCode::CONFLICT, "registration_closed").await;
    }

    async fn non_admin_reading_the_audit_log_is_forbidden(backend: Backend) {
        let app = app(backend).await;
        let k = key(&app, DEFAULT_TEAM, Role::Operator, None).await;
        expect_error(get_bearer(&app, "/api/v1/audit", &k).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn team_admin_cannot_use_the_instance_admin_job_api(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let (access, _) = tokens(&app, &email).await;
        expect_error(get_bearer(&app, "/api/v1/admin/jobs", &access).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn user_removed_from_the_team_loses_their_token(backend: Backend) {
        let app = app(backend).await;
        let (email, id) = member(&app, DEFAULT_TEAM, Role::Operator).await;
        let (access, _) = tokens(&app, &email).await;
        assert_eq!(get_bearer(&app, "/api/v1/auth/me", &access).await.status(), 200);
        app.store.remove_member(DEFAULT_TEAM, id).await.unwrap();
        expect_error(get_bearer(&app, "/api/v1/auth/me", &access).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    async fn audit_log_lists_events_for_admins_and_exports_json_lines(backend: Backend) {
        let app = app(backend).await;
        let (email, _) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let (access, _) = tokens(&app, &email).await;
        let all: Value = get_bearer(&app, "/api/v1/audit?event=authn_login_success", &access).await
            .json().await.unwrap();
        assert_eq!(all["data"].as_array().unwrap().len(), 1, "{all}");
        assert!(!all.to_string().contains(PASSWORD));
        let r = get_bearer(&app, "/api/v1/audit?format=jsonl&limit=5", &access).await;
        assert_eq!(r.headers()["content-type"], "application/x-ndjson");
        let text = r.text().await.unwrap();
        for line in text.lines() {
            serde_json::from_str::<Value>(line).unwrap();
        }
        let report = trawl::auth::audit::verify_chain(app.store.as_ref()).await.unwrap();
        assert!(report.first_bad.is_none() && report.rows >= 2, "{report:?}");
    }

    async fn tampered_audit_row_is_found_by_verify(backend: Backend) {
        let app = app(backend).await;
        for _ in 0..3 {
            post(&app, "/api/v1/auth/token", json!({"email": "x@example.com", "password": "wrong password!"})).await;
        }
        let rows = app.store.audit_chain(0, 10).await.unwrap();
        assert_eq!(rows.len(), 3);
        // Append-only in the database: an ordinary UPDATE is refused…
        assert!(raw_sql(&app, "UPDATE audit_log SET reason = 'nothing to see'").await.is_err());
        // …so an attacker drops the guard first.
        let drop = if app.db.url.starts_with("sqlite") {
            "DROP TRIGGER audit_log_no_update"
        } else {
            "DROP TRIGGER audit_log_no_change ON audit_log"
        };
        raw_sql(&app, drop).await.unwrap();
        raw_sql(&app, &format!("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = {}", rows[1].seq))
            .await.unwrap();
        let report = trawl::auth::audit::verify_chain(app.store.as_ref()).await.unwrap();
        assert_eq!(report.first_bad.map(|b| b.0), Some(rows[1].seq));
    }
}

pub(crate) async fn raw_sql(app: &TestApp, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    if app.db.url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(&app.db.url).await?;
        sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ())
    } else {
        let mut c = sqlx::PgConnection::connect(&app.db.url).await?;
        sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ())
    }
}

/// Creates an invite through the API as `admin` (a bearer token); returns its body.
async fn invite(app: &TestApp, admin: &str, team: Uuid, body: Value) -> Value {
    let r = Client::new()
        .post(app.url(&format!("/api/v1/teams/{team}/invites")))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn register(app: &TestApp, email: &str, invite: Option<&str>) -> Response {
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(t) = invite {
        body["invite"] = json!(t);
    }
    post(app, "/api/v1/auth/register", body).await
}

async fn me_with_cookie(app: &TestApp, cookie: &str) -> Response {
    Client::new()
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

both_backends! {
    async fn invite_registers_into_its_team_with_its_role_once(backend: Backend) {
        let app = app_with(backend, &[("TRAWL_AUTH_REGISTRATION", "invite")]).await;
        let admin = admin_token(&app).await;
        let t = team(&app).await;
        let inv = invite(&app, &admin, t, json!({"role": "operator"})).await;
        let token = inv["token"].as_str().unwrap();
        assert!(token.starts_with("inv_") && token.len() > 40, "{inv}");
        assert_eq!(inv["state"], "pending");
        // Without an invite, invite-only registration refuses.
        let r = register(&app, "nobody@example.com", None).await;
        expect_error(r, StatusCode::CONFLICT, "registration_closed").await;
        let r = register(&app, "joiner@example.com", Some(token)).await;
        assert_eq!(r.status(), 202);
        let id = app.store.user_by_email("joiner@example.com").await.unwrap().unwrap().id;
        assert_eq!(app.store.role_in_team(id, t).await.unwrap(), Some(Role::Operator));
        // Spent: a second registration with it is refused and creates no account.
        let r = register(&app, "second@example.com", Some(token)).await;
        expect_error(r, StatusCode::CONFLICT, "invite_invalid").await;
        assert!(app.store.user_by_email("second@example.com").await.unwrap().is_none());
        let list: Value = get_bearer(&app, &format!("/api/v1/teams/{t}/invites"), &admin)
            .await.json().await.unwrap();
        assert_eq!(list["data"][0]["state"], "used", "{list}");
        assert_eq!(list["data"][0]["used_by"], json!(id));
        assert!(list["data"][0].get("token").is_none(), "the token is shown once only");
    }

    async fn invite_for_one_address_refuses_another(backend: Backend) {
        let app = app_with(backend, &[("TRAWL_AUTH_REGISTRATION", "invite")]).await;
        let admin = admin_token(&app).await;
        let inv = invite(&app, &admin, DEFAULT_TEAM,
            json!({"role": "viewer", "email": "Alice@Example.com"})).await;
        let token = inv["token"].as_str().unwrap();
        let r = register(&app, "mallory@example.com", Some(token)).await;
        expect_error(r, StatusCode::CONFLICT, "invite_invalid").await;
        let r = register(&app, "alice@example.com", Some(token)).await;
        assert_eq!(r.status(), 202);
    }

    async fn expired_and_revoked_invites_are_refused(backend: Backend) {
        let app = app_with(backend, &[("TRAWL_AUTH_REGISTRATION", "invite")]).await;
        let admin = admin_token(&app).await;
        // Expired: written through the store, as the API allows no past expiry.
        let expired = format!("inv_{}", trawl::auth::keys::opaque_token());
        app.store.create_invite(&trawl::store::identity::NewInvite {
            id: Uuid::now_v7(),
            token_hash: trawl::auth::keys::hash_token(&expired),
            team_id: DEFAULT_TEAM,
            role: Role::Viewer,
            email: None,
            created_by: None,
            expires_at: chrono::Utc::now() - chrono::Duration::seconds(1),
        }).await.unwrap();
        let r = register(&app, "late@example.com", Some(&expired)).await;
        expect_error(r, StatusCode::CONFLICT, "invite_invalid").await;
        let inv = invite(&app, &admin, DEFAULT_TEAM, json!({"role": "viewer"})).await;
        let r = Client::new()
            .delete(app.url(&format!("/api/v1/teams/{DEFAULT_TEAM}/invites/{}", inv["id"].as_str().unwrap())))
            .bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), 204);
        let r = register(&app, "revoked@example.com", inv["token"].as_str()).await;
        expect_error(r, StatusCode::CONFLICT, "invite_invalid").await;
        // Made-up tokens are refused the same way.
        let r = register(&app, "guess@example.com", Some("inv_guess")).await;
        expect_error(r, StatusCode::CONFLICT, "invite_invalid").await;
    }

    async fn only_team_admins_manage_invites_and_bad_fields_are_named(backend: Backend) {
        let app = app(backend).await;
        let (op, _) = member(&app, DEFAULT_TEAM, Role::Operator).await;
        let (op_token, _) = tokens(&app, &op).await;
        let r = Client::new().post(app.url(&format!("/api/v1/teams/{DEFAULT_TEAM}/invites")))
            .bearer_auth(&op_token).json(&json!({"role": "admin"})).send().await.unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "forbidden").await;
        let other = team(&app).await;
        let (boss, _) = member(&app, DEFAULT_TEAM, Role::Admin).await;
        let (boss_token, _) = tokens(&app, &boss).await;
        let r = get_bearer(&app, &format!("/api/v1/teams/{other}/invites"), &boss_token).await;
        expect_error(r, StatusCode::NOT_FOUND, "not_found").await;
        let r = Client::new().post(app.url(&format!("/api/v1/teams/{DEFAULT_TEAM}/invites")))
            .bearer_auth(&boss_token)
            .json(&json!({"role": "viewer", "expires_in_hours": 0, "email": "nope"}))
            .send().await.unwrap();
        let b = expect_error(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let fields: Vec<&str> = b["error"]["details"]["fields"].as_array().unwrap()
            .iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["email", "expires_in_hours"], "{b}");
    }

    async fn session_id_rotates_when_the_users_role_changes(backend: Backend) {
        let app = app(backend).await;
        let admin = admin_token(&app).await;
        let (email, id) = member(&app, DEFAULT_TEAM, Role::Operator).await;
        let (old, _) = session(&app, &email).await;
        // Unchanged privileges: served, no new id.
        let r = me_with_cookie(&app, &old).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("set-cookie").is_none());
        let r = Client::new()
            .put(app.url(&format!("/api/v1/teams/{DEFAULT_TEAM}/members/{id}")))
            .bearer_auth(&admin).json(&json!({"role": "viewer"})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        // The next request is served under the new role, with a new session id.
        let r = me_with_cookie(&app, &old).await;
        assert_eq!(r.status(), 200);
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(set.starts_with("trawl_session=") && set.contains("HttpOnly"), "{set}");
        assert!(r.headers().get("x-csrf-token").is_some());
        let new = set.split(';').next().unwrap().to_string();
        assert_ne!(new, old);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["role"], "viewer");
        // The old id is dead; the new one works and is not rotated again.
        let r = me_with_cookie(&app, &old).await;
        expect_error(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let r = me_with_cookie(&app, &new).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("set-cookie").is_none());
    }
}
