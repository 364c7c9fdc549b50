//! The fetcher and single-page scrapes against a real local site: the SSRF guard on the
//! first hop and on redirects, limits, charsets, content types, error codes.

use std::time::{Duration, Instant};

use trawl::config::FetchConfig;
use trawl::fetch::{FetchError, FetchOptions, Fetcher};
use trawl::scrape::{ScrapeOptions, Scraper};
use url::Url;

use crate::site::TestSite;

fn fetcher(allow: &[&str]) -> Fetcher {
    let config = FetchConfig {
        allow: allow.iter().map(|s| s.to_string()).collect(),
        max_body_bytes: 1024 * 1024,
        ..Default::default()
    };
    Fetcher::new(&config).unwrap()
}

fn loopback() -> Fetcher {
    fetcher(&["127.0.0.0/8"])
}

async fn fetch(f: &Fetcher, url: &str) -> Result<trawl::fetch::FetchedPage, FetchError> {
    f.fetch(&Url::parse(url).unwrap(), &FetchOptions::default())
        .await
}

#[tokio::test]
async fn loopback_is_refused_unless_the_allow_list_opens_it() {
    let site = TestSite::start(3).await;
    let err = fetch(&fetcher(&[]), &site.url("/p/1.html"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRAPE_BLOCKED_ADDRESS", "{err}");
    assert_eq!(
        site.hits("/p/1.html"),
        0,
        "a refused address is never connected to"
    );
    let page = fetch(&loopback(), &site.url("/p/1.html")).await.unwrap();
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn names_that_resolve_to_loopback_are_refused_too() {
    let site = TestSite::start(3).await;
    let port = Url::parse(&site.base).unwrap().port().unwrap();
    let err = fetch(&fetcher(&[]), &format!("http://localhost:{port}/p/1.html"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRAPE_BLOCKED_ADDRESS", "{err}");
}

#[tokio::test]
async fn metadata_and_private_addresses_are_refused_before_connecting() {
    let f = fetcher(&[]);
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
    ] {
        let started = Instant::now();
        let err = fetch(&f, url).await.unwrap_err();
        assert_eq!(err.code(), "SCRAPE_BLOCKED_ADDRESS", "{url}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{url} was tried"
        );
    }
}

#[tokio::test]
async fn a_redirect_to_a_forbidden_address_is_refused_at_that_hop() {
    let site = TestSite::start(3).await;
    // Only this one loopback address is allowed; the redirect points at another.
    let f = fetcher(&["127.0.0.1/32"]);
    let to = "http://127.0.0.2/p/1.html";
    let err = fetch(&f, &site.url(&format!("/redirect?to={to}")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRAPE_BLOCKED_ADDRESS", "{err}");
    let err = fetch(&f, &site.url("/redirect?to=http://169.254.169.254/"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRAPE_BLOCKED_ADDRESS", "{err}");
}

#[tokio::test]
async fn redirects_are_followed_and_the_final_url_reported() {
    let site = TestSite::start(3).await;
    let page = fetch(&loopback(), &site.url("/redirect?to=/p/2.html"))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.final_url.path(), "/p/2.html");
}

#[tokio::test]
async fn a_redirect_loop_stops_after_the_limit() {
    let site = TestSite::start(1).await;
    let err = fetch(&loopback(), &site.url("/loop")).await.unwrap_err();
    assert!(matches!(err, FetchError::TooManyRedirects(10)), "{err}");
    assert_eq!(site.hits("/loop"), 11);
}

#[tokio::test]
async fn credentials_in_the_url_and_other_schemes_are_refused() {
    let f = loopback();
    let err = fetch(&f, "http://user:pw@127.0.0.1/").await.unwrap_err();
    assert!(err.to_string().contains("credentials"), "{err}");
    let err = fetch(&f, "ftp://127.0.0.1/").await.unwrap_err();
    assert!(matches!(err, FetchError::InvalidUrl(_)), "{err}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_reported_not_truncated() {
    let site = TestSite::start(1).await;
    let err = fetch(&loopback(), &site.url("/big")).await.unwrap_err();
    assert_eq!(err.code(), "SCRAPE_TOO_LARGE", "{err}");
}

#[tokio::test]
async fn a_slow_page_times_out_with_the_requested_timeout() {
    let site = TestSite::start(1).await;
    let started = Instant::now();
    let err = loopback()
        .fetch(
            &Url::parse(&site.url("/slow")).unwrap(),
            &FetchOptions {
                timeout: Some(Duration::from_millis(300)),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRAPE_TIMEOUT", "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_unresolvable_name_is_a_dns_error() {
    let err = fetch(&fetcher(&[]), "http://does-not-exist.invalid/")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRAPE_DNS_RESOLUTION_ERROR", "{err}");
}

#[tokio::test]
async fn binary_content_is_refused_with_a_clear_code() {
    let site = TestSite::start(1).await;
    let scraper = Scraper::new(loopback());
    let plan = ScrapeOptions::default().validate("").unwrap();
    let err = scraper
        .scrape(&Url::parse(&site.url("/binary")).unwrap(), &plan)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "SCRAPE_UNSUPPORTED_CONTENT", "{err}");
}

#[tokio::test]
async fn a_header_charset_is_decoded_to_utf8() {
    let site = TestSite::start(1).await;
    let scraper = Scraper::new(loopback());
    let plan = ScrapeOptions::default().validate("").unwrap();
    let scraped = scraper
        .scrape(&Url::parse(&site.url("/latin1")).unwrap(), &plan)
        .await
        .unwrap();
    assert_eq!(scraped.document.metadata.title.as_deref(), Some("Café"));
    assert!(scraped.document.markdown.unwrap().contains("Café crème"));
}

#[tokio::test]
async fn a_scrape_matches_the_generated_ground_truth() {
    let site = TestSite::start(5).await;
    let scraper = Scraper::new(loopback());
    let plan = ScrapeOptions::default().validate("").unwrap();
    for page in site.manifest["public_pages"].as_array().unwrap() {
        let url = site.url(page["path"].as_str().unwrap());
        let scraped = scraper
            .scrape(&Url::parse(&url).unwrap(), &plan)
            .await
            .unwrap();
        let m = &scraped.document.metadata;
        assert_eq!(m.title.as_deref(), page["title"].as_str());
        assert_eq!(m.description.as_deref(), page["description"].as_str());
        assert_eq!(m.language.as_deref(), page["lang"].as_str());
        assert_eq!(m.status_code, Some(200));
        assert_eq!(m.source_url.as_deref(), Some(url.as_str()));
        let md = scraped.document.markdown.unwrap();
        assert!(!md.contains("Advertisement"), "hidden ad leaked");
        assert!(!md.contains("[ext 0]"), "footer leaked");
        assert!(!md.contains("[Nav 0]"), "navigation leaked");
    }
}

#[tokio::test]
async fn an_http_error_status_comes_back_with_its_code() {
    let site = TestSite::start(1).await;
    let page = fetch(&loopback(), &site.url("/teapot")).await.unwrap();
    assert_eq!(page.status, 418);
}
