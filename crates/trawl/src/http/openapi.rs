//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations.
//!
//! Every `/api/v1`, `/api/tasks` and `/v2` route is registered through [`api_routes`]
//! with `utoipa_axum::routes!`, which takes the method and path from the handler's
//! annotation: the route and its documentation come from one place, so a route cannot be
//! served without being documented. Health, metrics and the HTML pages are not part of
//! the API and stay plain routes.
//!
//! Served as JSON at `GET /openapi.json` and rendered as HTML at `GET /docs`
//! ([`super::docs`]); both are public.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use super::AppState;
use crate::error::FieldError;

/// Names of the security schemes (the `security(...)` attributes spell them out too).
pub const BEARER: &str = "bearer";
pub const API_KEY: &str = "api_key";
pub const SESSION: &str = "session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Trawl",
        description = "Self-hosted web scraping: Firecrawl's v2 API under `/v2`, Trawl's own \
            under `/api/v1` and `/api/tasks`. Errors under `/api` are one envelope, \
            `{\"error\":{code,message,details,request_id,timestamp}}`; under `/v2` they are \
            Firecrawl's `{success:false,error,code}`. Lists page with an opaque `next_cursor`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("api_key" = []), ("session" = [])),
    components(schemas(ErrorEnvelope, ErrorBody, FirecrawlError, FieldError)),
    tags(
        (name = "auth", description = "Accounts, sessions and tokens"),
        (name = "users", description = "Instance users (instance admins)"),
        (name = "teams", description = "Teams and their members"),
        (name = "invites", description = "Invitations into a team"),
        (name = "keys", description = "A team's API keys"),
        (name = "audit", description = "The audit log"),
        (name = "jobs", description = "A team's background jobs"),
        (name = "documents", description = "Stored pages: search, read, export, import"),
        (name = "schedules", description = "Recurring scrapes and crawls with change tracking"),
        (name = "webhooks", description = "Webhook signing"),
        (name = "admin", description = "Every team's jobs and the workers (instance admins)"),
        (name = "tasks", description = "The simple scrape task pair"),
        (name = "v2", description = "Firecrawl's v2 API, as its SDKs call it"),
    ),
)]
struct ApiDoc;

/// `Authorization: Bearer`, `X-API-Key` and the dashboard's session cookie. Changes made
/// with the cookie also need the `X-CSRF-Token` header (see `GET /api/v1/auth/csrf`).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (`trawl_…`) or a JWT access token from `POST /api/v1/auth/token`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key",
            ))),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SECURE_SESSION_COOKIE,
                "The dashboard session from `POST /api/v1/auth/login` (named `trawl_session` \
                 over plain HTTP in development, where browsers refuse `__Host-` cookies); \
                 requests that change state must also send its CSRF token in `X-CSRF-Token`",
            ))),
        );
    }
}

/// Every documented route: the API the document describes, and nothing else.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(super::auth::routes())
        .merge(super::users::routes())
        .merge(super::teams::routes())
        .merge(super::invites::routes())
        .merge(super::keys::routes())
        .merge(super::audit::routes())
        .merge(super::jobs::routes())
        .merge(super::documents::routes())
        .merge(super::schedules::routes())
        .merge(super::webhooks::routes())
        .merge(super::admin::routes())
        .merge(super::tasks::routes())
        .merge(super::v2::routes())
}

/// The document, built once from [`api_routes`].
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
        let mut doc = api_routes().into_openapi();
        qualify_operation_ids(&mut doc);
        doc
    });
    &DOC
}

/// utoipa names an operation after its handler (`list`, `show`), which repeats across
/// modules; ids must be unique, so each is prefixed with its tag (`jobs_list`).
fn qualify_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first())
                .cloned()
                .unwrap_or_default();
            if let Some(id) = op.operation_id.as_mut() {
                *id = format!("{tag}_{id}");
            }
        }
    }
}

/// `GET /openapi.json` and `GET /docs`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(super::docs::page))
}

async fn openapi_json() -> Response {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        // Serialising plain data with string keys cannot fail.
        document()
            .to_json()
            .expect("the OpenAPI document serialises")
    });
    let mut r = JSON.as_str().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Every error under `/api`.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// The body of an error envelope.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`, `rate_limited`.
    pub code: String,
    /// For people; names the field and the rule when one is invalid.
    pub message: String,
    /// `{"fields":[{field,rule}]}` for validation errors, `{"retry_after_secs"}` for 429,
    /// otherwise null.
    #[schema(value_type = Option<Object>)]
    pub details: Value,
    /// The `X-Request-Id` of this request.
    pub request_id: Option<String>,
    /// RFC 3339, milliseconds, UTC.
    pub timestamp: String,
}

/// Every error under `/v2`, in Firecrawl's shape.
#[derive(Serialize, ToSchema)]
pub struct FirecrawlError {
    /// Always `false`.
    pub success: bool,
    /// For people; names the field and the rule when one is invalid.
    pub error: String,
    /// Stable machine-readable code (the same codes as under `/api`).
    pub code: String,
    #[schema(value_type = Option<Object>)]
    pub details: Value,
    pub request_id: Option<String>,
}

/// The errors every authenticated `/api` operation can answer, in the envelope.
#[derive(IntoResponses)]
pub enum ApiErrors {
    /// Malformed request: not JSON, wrong content type.
    #[response(status = 400)]
    BadRequest(ErrorEnvelope),
    /// No credential, or an invalid or expired one.
    #[response(status = 401)]
    Unauthorized(ErrorEnvelope),
    /// The credential lacks the role or scope, or a cookie request failed the CSRF check.
    #[response(status = 403)]
    Forbidden(ErrorEnvelope),
    /// The resource does not exist or belongs to another team.
    #[response(status = 404)]
    NotFound(ErrorEnvelope),
    /// A field broke its rule; `details.fields` names each.
    #[response(status = 422)]
    Validation(ErrorEnvelope),
    /// Over the rate limit; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(ErrorEnvelope),
    /// Any other error (409 conflict, 408 time-out, 413/414/431 input limits, 5xx), in
    /// the same envelope.
    #[response(status = "default")]
    Other(ErrorEnvelope),
}

/// The errors every `/v2` operation can answer, in Firecrawl's shape.
#[derive(IntoResponses)]
pub enum V2Errors {
    /// Malformed request, or a field broke its rule (named in `error`).
    #[response(status = 400)]
    BadRequest(FirecrawlError),
    /// No credential, or an invalid one.
    #[response(status = 401)]
    Unauthorized(FirecrawlError),
    /// The key lacks the scope, or the URL is refused (private address, robots.txt).
    #[response(status = 403)]
    Forbidden(FirecrawlError),
    /// No such job for this team.
    #[response(status = 404)]
    NotFound(FirecrawlError),
    /// Over the rate limit; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(FirecrawlError),
    /// Any other error (408 fetch time-out, 424 the target failed, 409, input limits,
    /// 5xx), in the same shape.
    #[response(status = "default")]
    Other(FirecrawlError),
}

/// A list: `{"data": [...]}`.
#[derive(Serialize, ToSchema)]
pub struct DataList<T> {
    pub data: Vec<T>,
}

/// One page of a list; pass `next_cursor` back as `cursor` for the next (absent or null
/// on the last page).
#[derive(Serialize, ToSchema)]
pub struct CursorPage<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}
