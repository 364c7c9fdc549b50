//! Which discovered URLs a crawl follows: host rules, the start path, and the
//! include/exclude regexes.

use url::Url;

use super::options::CrawlPlan;

/// The start URL's host, lowercased, and the registrable-ish domain its subdomains are
/// matched against: that host without a leading `www.`. Crawl scope and map filter by it.
pub(crate) fn site_domain(start: &Url) -> (String, String) {
    let host = start.host_str().unwrap_or_default().to_ascii_lowercase();
    let domain = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (host, domain)
}

pub struct Scope {
    host: String,
    /// The registrable-ish domain subdomains are matched against: the start host without
    /// a leading `www.`.
    domain: String,
    /// The start URL's path without its trailing slash: without `crawlEntireDomain`, only
    /// this path and what lies below it is crawled.
    path_prefix: String,
}

impl Scope {
    pub fn new(plan: &CrawlPlan) -> Scope {
        let (host, domain) = site_domain(&plan.start);
        let path = plan.start.path();
        // `/docs/intro.html` → `/docs`; `/docs/` → `/docs`; `/` → ``.
        let dir = if path.ends_with('/') {
            path.trim_end_matches('/')
        } else {
            match path.rfind('/') {
                Some(i) if path[i..].contains('.') => &path[..i],
                _ => path,
            }
        };
        Scope {
            host,
            domain,
            path_prefix: dir.to_string(),
        }
    }

    /// Whether a link found on a page should be crawled.
    pub fn follows(&self, plan: &CrawlPlan, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let host = url.host_str().unwrap_or_default();
        let same_host = host.eq_ignore_ascii_case(&self.host);
        if !same_host {
            let sub = host.len() > self.domain.len()
                && host.to_ascii_lowercase().ends_with(&self.domain)
                && host.as_bytes()[host.len() - self.domain.len() - 1] == b'.';
            let www_twin = host.eq_ignore_ascii_case(&self.domain)
                || host.eq_ignore_ascii_case(&format!("www.{}", self.domain));
            if !(plan.allow_external_links || (plan.allow_subdomains && sub) || www_twin) {
                return false;
            }
        }
        if same_host && !plan.crawl_entire_domain && !self.path_prefix.is_empty() {
            let p = url.path();
            let below = p == self.path_prefix
                || (p.starts_with(&self.path_prefix)
                    && p.as_bytes().get(self.path_prefix.len()) == Some(&b'/'));
            if !below {
                return false;
            }
        }
        let subject = if plan.regex_on_full_url {
            url.as_str()
        } else {
            url.path()
        };
        if !plan.include.is_empty() && !plan.include.iter().any(|r| r.is_match(subject)) {
            return false;
        }
        !plan.exclude.iter().any(|r| r.is_match(subject))
    }
}

#[cfg(test)]
mod tests {
    use super::super::options::CrawlRequest;
    use super::*;
    use crate::config::CrawlConfig;
    use serde_json::json;

    fn plan(v: serde_json::Value) -> CrawlPlan {
        serde_json::from_value::<CrawlRequest>(v)
            .unwrap()
            .validate(&CrawlConfig::default())
            .unwrap()
    }

    fn follows(plan: &CrawlPlan, url: &str) -> bool {
        Scope::new(plan).follows(plan, &Url::parse(url).unwrap())
    }

    #[test]
    fn same_host_only_by_default_and_subdomains_when_asked() {
        let p = plan(json!({"url": "https://example.com/"}));
        assert!(follows(&p, "https://example.com/a"));
        assert!(follows(&p, "https://www.example.com/a"));
        assert!(!follows(&p, "https://blog.example.com/a"));
        assert!(!follows(&p, "https://other.org/a"));
        assert!(!follows(&p, "https://badexample.com/a"));
        let p = plan(json!({"url": "https://example.com/", "allowSubdomains": true}));
        assert!(follows(&p, "https://blog.example.com/a"));
        assert!(!follows(&p, "https://badexample.com/a"));
        let p = plan(json!({"url": "https://example.com/", "allowExternalLinks": true}));
        assert!(follows(&p, "https://other.org/a"));
    }

    #[test]
    fn a_start_path_confines_the_crawl_unless_the_whole_domain_is_asked_for() {
        let p = plan(json!({"url": "https://example.com/docs/intro.html"}));
        assert!(follows(&p, "https://example.com/docs/a"));
        assert!(follows(&p, "https://example.com/docs"));
        assert!(!follows(&p, "https://example.com/docsx"));
        assert!(!follows(&p, "https://example.com/blog/a"));
        let p = plan(json!({"url": "https://example.com/docs/", "crawlEntireDomain": true}));
        assert!(follows(&p, "https://example.com/blog/a"));
    }

    #[test]
    fn include_and_exclude_match_the_path_or_the_full_url() {
        let p = plan(json!({
            "url": "https://example.com/",
            "includePaths": ["^/blog/"], "excludePaths": ["draft"]
        }));
        assert!(follows(&p, "https://example.com/blog/x"));
        assert!(!follows(&p, "https://example.com/news/x"));
        assert!(!follows(&p, "https://example.com/blog/draft-1"));
        let p = plan(json!({
            "url": "https://example.com/",
            "includePaths": ["^https://example\\.com/blog/"], "regexOnFullURL": true
        }));
        assert!(follows(&p, "https://example.com/blog/x"));
        assert!(!follows(&p, "https://example.com/news/x"));
    }
}
