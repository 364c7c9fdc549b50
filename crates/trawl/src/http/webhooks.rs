//! `GET /api/v1/webhooks/secret`: the team's webhook signing secret, for team admins to
//! configure their receivers. Reading it is audited; it is derived, not stored (see
//! `crate::webhook::sign`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::AppState;
use crate::auth::{audit, Caller, Role, Scope};
use crate::error::AppResult;
use crate::webhook::sign;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/webhooks/secret", get(secret))
}

async fn secret(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    caller.require_role(Role::Admin)?;
    caller.require_scope(Scope::Admin)?;
    let secret = sign::team_secret(state.config.secret.as_ref(), caller.team_id);
    let e = audit::by(
        audit::event(audit::WEBHOOK_SECRET_READ, &caller.meta),
        &caller,
    );
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(json!({
        "secret": secret.expose(),
        "header": sign::HEADER,
        "scheme": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"{t}.{raw body}\" keyed by secret>",
    })))
}
