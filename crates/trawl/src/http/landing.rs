//! `GET /`: a small page that says what this server is and where to go next. It is
//! also the HTML page the browser security headers (`middleware::headers`) are checked
//! against until the dashboard exists.

use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};

use super::middleware::headers::CspNonce;
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

async fn landing(Extension(nonce): Extension<CspNonce>) -> Html<String> {
    // The only style is inline, allowed by this response's CSP nonce; no script.
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trawl</title>
<style nonce="{nonce}">
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }}
code {{ background: #f3f3f3; padding: 0 .2em; }}
</style>
</head>
<body>
<h1>Trawl</h1>
<p>A self-hosted web scraping service: scrape a page, crawl or map a site, and read the
results as clean Markdown, through Firecrawl's v2 API (<code>/v2/*</code>) or Trawl's own
(<code>/api/v1/*</code>).</p>
<ul>
<li><a href="/health">/health</a>: the state of this server and what it depends on</li>
<li><a href="/docs">/docs</a>: the API documentation</li>
</ul>
<p>Version {version}.</p>
</body>
</html>
"#,
        nonce = nonce.0,
        version = env!("CARGO_PKG_VERSION"),
    ))
}
