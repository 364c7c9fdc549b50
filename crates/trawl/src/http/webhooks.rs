//! `GET /api/v1/webhooks/secret`: the team's webhook signing secret, for team admins to
//! configure their receivers. Reading it is audited; it is derived, not stored (see
//! `crate::webhook::sign`).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::ApiErrors;
use super::AppState;
use crate::auth::{audit, Caller, Scope};
use crate::error::AppResult;
use crate::webhook::sign;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(secret))
}

/// The team's signing secret and how deliveries are signed with it.
#[derive(Serialize, ToSchema)]
struct WebhookSecret {
    secret: String,
    /// The header that carries the signature.
    header: String,
    scheme: String,
}

/// The team's webhook signing secret (team admins; every read is audited).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/secret",
    tag = "webhooks",
    responses((status = 200, description = "The secret", body = WebhookSecret), ApiErrors)
)]
async fn secret(State(state): State<AppState>, caller: Caller) -> AppResult<Json<WebhookSecret>> {
    caller.require(Scope::Admin)?;
    let secret = sign::team_secret(state.config.secret.as_ref(), caller.team_id);
    let e = audit::by(
        audit::event(audit::WEBHOOK_SECRET_READ, &caller.meta),
        &caller,
    );
    audit::record(state.store.as_ref(), e).await;
    Ok(Json(WebhookSecret {
        secret: secret.expose().to_string(),
        header: sign::HEADER.to_string(),
        scheme: "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"{t}.{raw body}\" keyed by secret>"
            .into(),
    }))
}
