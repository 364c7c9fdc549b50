//! The authorization matrix: every served route × every kind of caller × own and other
//! team, each answer compared with the rule kept in `authz_matrix.txt`. A route served
//! without a row there, or a row for no route, fails the test.
//!
//! Callers: anonymous; the instance admin; users (JWT) of each role; for each role a
//! key with every scope the role allows and keys holding one scope each. An answer is
//! judged by its class only: 401 (no valid credential), 403 (refused), or anything
//! else (authorization passed: the route may still answer 404 or 422). Within a route,
//! callers expected to be refused go first, so that a call that succeeds and changes
//! the resource (a deletion, say) cannot turn a later refusal into a 404.

use std::collections::BTreeSet;

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use trawl::auth::{create_key, create_user, KeyRequest, Role, Scope};
use trawl::store::crawl::NewDocument;
use trawl::store::identity::NewInvite;
use trawl::store::jobs::{NewJob, DEFAULT_TEAM};
use uuid::Uuid;

use crate::auth::{fresh_app, tokens, PASSWORD};
use crate::both_backends;
use crate::helpers::*;

const TABLE: &str = include_str!("authz_matrix.txt");

#[derive(Debug, Clone)]
enum Rule {
    Public,
    Authenticated,
    User,
    InstanceAdmin,
    Scopes(Vec<Scope>),
}

#[derive(Debug, Clone)]
struct Row {
    method: Method,
    path: String,
    rule: Rule,
    params: Vec<(String, String)>,
    body: Option<Value>,
    fresh: bool,
}

fn rows() -> Vec<Row> {
    TABLE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.split(" | ").map(str::trim).collect();
            assert_eq!(cols.len(), 5, "five columns in {line:?}");
            let (method, path) = cols[0]
                .split_once(char::is_whitespace)
                .expect("method path");
            let rule = match cols[1] {
                "public" => Rule::Public,
                "authenticated" => Rule::Authenticated,
                "user" => Rule::User,
                "instance-admin" => Rule::InstanceAdmin,
                s => Rule::Scopes(
                    s.strip_prefix("scope:")
                        .unwrap_or_else(|| panic!("unknown rule {s:?}"))
                        .split('+')
                        .map(|n| n.parse().unwrap())
                        .collect(),
                ),
            };
            let params = match cols[2] {
                "-" => Vec::new(),
                p => p
                    .split(',')
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("NAME=RESOURCE");
                        (k.to_string(), v.to_string())
                    })
                    .collect(),
            };
            Row {
                method: method.to_uppercase().parse().unwrap(),
                path: path.trim().to_string(),
                rule,
                params,
                body: (cols[3] != "-")
                    .then(|| serde_json::from_str(cols[3]).expect("body is JSON")),
                fresh: cols[4] == "fresh",
            }
        })
        .collect()
}

#[test]
fn every_served_route_has_exactly_one_row() {
    let doc = serde_json::to_value(trawl::http::openapi::document()).unwrap();
    let mut served = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            served.insert((method.to_uppercase(), path.clone()));
        }
    }
    let mut listed = BTreeSet::new();
    for r in rows() {
        assert!(
            listed.insert((r.method.to_string(), r.path.clone())),
            "{} {} twice",
            r.method,
            r.path
        );
    }
    let missing: Vec<_> = served.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "served routes without a row in authz_matrix.txt: {missing:?}"
    );
    assert!(extra.is_empty(), "rows for routes not served: {extra:?}");
}

/// Who calls.
#[derive(Debug, Clone)]
struct Cred {
    label: String,
    token: Option<String>,
    role: Role,
    scopes: Vec<Scope>,
    is_user: bool,
    is_instance_admin: bool,
    /// How to make another one like it, for calls that end their credential.
    email: Option<String>,
    key_spec: Option<(Role, Option<Vec<Scope>>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Unauthenticated,
    Refused,
    Passed,
}

fn expected(rule: &Rule, c: &Cred) -> Answer {
    if c.token.is_none() {
        return match rule {
            Rule::Public => Answer::Passed,
            _ => Answer::Unauthenticated,
        };
    }
    let allowed = match rule {
        Rule::Public | Rule::Authenticated => true,
        Rule::User => c.is_user,
        Rule::InstanceAdmin => c.is_instance_admin,
        Rule::Scopes(needed) => {
            c.is_instance_admin
                || needed
                    .iter()
                    .all(|s| c.role >= s.min_role() && c.scopes.contains(s))
        }
    };
    if allowed {
        Answer::Passed
    } else {
        Answer::Refused
    }
}

fn classify(status: StatusCode) -> Answer {
    match status {
        StatusCode::UNAUTHORIZED => Answer::Unauthenticated,
        StatusCode::FORBIDDEN => Answer::Refused,
        _ => Answer::Passed,
    }
}

/// One team's resources, by the names the table uses.
struct Resources {
    team: Uuid,
    ids: Vec<(&'static str, String)>,
}

impl Resources {
    fn get(&self, name: &str) -> String {
        if name == "team" {
            return self.team.to_string();
        }
        self.ids
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no resource {name}"))
            .1
            .clone()
    }
}

async fn resources(app: &TestApp, team: Uuid) -> Resources {
    let store = app.store.as_ref();
    let member = create_user(
        store,
        &format!("m-{}@example.com", Uuid::now_v7().simple()),
        PASSWORD.into(),
        Some((team, Role::Viewer)),
        false,
        None,
    )
    .await
    .unwrap();
    let invite = store
        .create_invite(&NewInvite {
            id: Uuid::now_v7(),
            token_hash: format!("matrix-{}", Uuid::now_v7()),
            team_id: team,
            role: Role::Viewer,
            email: None,
            created_by: None,
            expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        })
        .await
        .unwrap();
    let (_, key) = create_key(
        store,
        KeyRequest {
            team_id: team,
            name: "victim".into(),
            role: Role::Viewer,
            scopes: None,
            expires_at: None,
            created_by: None,
        },
    )
    .await
    .unwrap();
    let jobs = store
        .enqueue(&[
            NewJob::new(team, "scrape", json!({"url": "http://127.0.0.1:9/"})),
            NewJob::new(
                team,
                "crawl",
                json!({"url": "http://127.0.0.1:9/", "limit": 1}),
            ),
            NewJob::new(team, "batch", json!({"urls": ["http://127.0.0.1:9/"]})),
        ])
        .await
        .unwrap();
    let doc = Uuid::now_v7();
    store
        .store_documents(
            team,
            &[NewDocument {
                id: doc,
                url: "https://example.com/matrix".into(),
                final_url: None,
                domain: "example.com".into(),
                title: Some("matrix".into()),
                description: None,
                language: None,
                status_code: Some(200),
                markdown: Some("matrix".into()),
                metadata: json!({}),
                analysis: None,
                content_hash: None,
                formats: json!({}),
                fetched_at: chrono::Utc::now(),
                schedule_id: None,
                change_status: None,
                diff: None,
            }],
        )
        .await
        .unwrap();
    let (admin, _) = create_key(
        store,
        KeyRequest {
            team_id: team,
            name: "setup".into(),
            role: Role::Admin,
            scopes: None,
            expires_at: None,
            created_by: None,
        },
    )
    .await
    .unwrap();
    let r = Client::new()
        .post(app.url("/api/v1/schedules"))
        .bearer_auth(&admin)
        .json(
            &json!({"name": "matrix", "kind": "scrape", "url": "http://127.0.0.1:9/",
            "cron": "0 3 * * *", "timezone": "UTC"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let schedule: Value = r.json().await.unwrap();
    Resources {
        team,
        ids: vec![
            ("member", member.id.to_string()),
            ("invite", invite.id.to_string()),
            ("key", key.id.to_string()),
            ("job", jobs[0].id.to_string()),
            ("crawl", jobs[1].id.to_string()),
            ("batch", jobs[2].id.to_string()),
            ("doc", doc.to_string()),
            ("schedule", schedule["id"].as_str().unwrap().to_string()),
            ("user", member.id.to_string()),
        ],
    }
}

async fn user_cred(app: &TestApp, team: Uuid, role: Role) -> Cred {
    let (email, _) = crate::auth::member(app, team, role).await;
    let (access, _) = tokens(app, &email).await;
    Cred {
        label: format!("user:{role}"),
        token: Some(access),
        role,
        scopes: role.scopes(),
        is_user: true,
        is_instance_admin: false,
        email: Some(email),
        key_spec: None,
    }
}

async fn key_cred(app: &TestApp, team: Uuid, role: Role, scopes: Option<Vec<Scope>>) -> Cred {
    let k = crate::auth::key(app, team, role, scopes.clone()).await;
    let held: Vec<Scope> = scopes
        .clone()
        .unwrap_or_else(|| role.scopes())
        .into_iter()
        .filter(|s| s.min_role() <= role)
        .collect();
    Cred {
        label: match &scopes {
            None => format!("key:{role}:all"),
            Some(s) => format!(
                "key:{role}:{}",
                s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("+")
            ),
        },
        token: Some(k),
        role,
        scopes: held,
        is_user: false,
        is_instance_admin: false,
        email: None,
        key_spec: Some((role, scopes)),
    }
}

/// A new credential like `c` (for calls that end theirs).
async fn renewed(app: &TestApp, team: Uuid, c: &Cred) -> Cred {
    match (&c.email, &c.key_spec) {
        (Some(email), _) => {
            let (access, _) = tokens(app, email).await;
            Cred {
                token: Some(access),
                ..c.clone()
            }
        }
        (None, Some((role, scopes))) => key_cred(app, team, *role, scopes.clone()).await,
        _ => c.clone(),
    }
}

async fn send(app: &TestApp, row: &Row, path: &str, c: &Cred) -> StatusCode {
    let mut req = Client::new().request(row.method.clone(), app.url(path));
    if let Some(t) = &c.token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = &row.body {
        req = req.json(b);
    }
    req.send().await.unwrap().status()
}

both_backends! {
    async fn every_route_answers_every_caller_as_the_matrix_says(backend: Backend) {
        let app = fresh_app(backend, &[]).await;
        // The instance's first account: the instance admin, member of `default`.
        let root_email = "root@example.com";
        create_user(app.store.as_ref(), root_email, PASSWORD.into(), None, false, None).await.unwrap();
        let (root, _) = tokens(&app, root_email).await;
        let own = DEFAULT_TEAM;
        let other = crate::auth::team(&app).await;
        let own_res = resources(&app, own).await;
        let other_res = resources(&app, other).await;

        let mut creds = vec![
            Cred { label: "anonymous".into(), token: None, role: Role::Viewer, scopes: vec![],
                is_user: false, is_instance_admin: false, email: None, key_spec: None },
            Cred { label: "instance-admin".into(), token: Some(root), role: Role::Admin,
                scopes: Role::Admin.scopes(), is_user: true, is_instance_admin: true,
                email: Some(root_email.into()), key_spec: None },
        ];
        for role in [Role::Admin, Role::Operator, Role::Viewer] {
            creds.push(user_cred(&app, own, role).await);
            creds.push(key_cred(&app, own, role, None).await);
            // A key cannot hold a scope above its role (creating one is refused).
            for scope in Scope::ALL.into_iter().filter(|s| s.min_role() <= role) {
                creds.push(key_cred(&app, own, role, Some(vec![scope])).await);
            }
        }

        let mut failures = Vec::new();
        let mut cases = 0;
        for row in rows() {
            // Refusals first: a success may change the resource the others address.
            let mut order = creds.clone();
            order.sort_by_key(|c| expected(&row.rule, c) == Answer::Passed);
            for (res, own_team) in [(&own_res, true), (&other_res, false)] {
                if !own_team && !row.params.iter().any(|(_, r)| r != "user") {
                    continue;
                }
                let mut path = row.path.clone();
                for (name, resource) in &row.params {
                    path = path.replace(&format!("{{{name}}}"), &res.get(resource));
                }
                // A public route checks no credential: whoever calls, the answer is of
                // the class the anonymous caller (first in `order`) got, e.g. a login
                // with wrong credentials is 401 for everyone alike.
                let mut public_answer = None;
                for c in &order {
                    let c = if row.fresh { renewed(&app, own, c).await } else { c.clone() };
                    let status = send(&app, &row, &path, &c).await;
                    let got = classify(status);
                    cases += 1;
                    let want = match row.rule {
                        Rule::Public => *public_answer.get_or_insert(got),
                        _ => expected(&row.rule, &c),
                    };
                    let ok = if own_team {
                        got == want
                    } else {
                        // Another team's resource: never reachable, whoever asks (only
                        // the instance admin manages every team).
                        match want {
                            Answer::Unauthenticated => got == want,
                            _ if c.is_instance_admin => true,
                            _ => matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                        }
                    };
                    if !ok {
                        failures.push(format!(
                            "{} {path} as {} ({}): got {got:?}, want {want:?}",
                            row.method, c.label, if own_team { "own team" } else { "other team" }
                        ));
                    }
                }
            }
        }
        assert!(cases > 2000, "{cases} cases");
        assert!(failures.is_empty(), "{} of {cases} answers differ from the matrix:\n{}", failures.len(), failures.join("\n"));
    }
}
