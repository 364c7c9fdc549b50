//! URL normalisation, so a crawler visits each page once however it was linked.
//!
//! Choices, and why:
//! - The fragment is dropped: it never reaches the server.
//! - Scheme and host are lower-cased, default ports and dot segments removed: the `url`
//!   crate does this when parsing, per the WHATWG URL standard.
//! - Percent-escapes are normalised: unreserved characters (`A-Z a-z 0-9 - . _ ~`) are
//!   decoded and the hex digits of the remaining escapes upper-cased (RFC 3986 §6.2.2).
//! - Tracking parameters (`utm_*`, `gclid`, `fbclid`…) are dropped: they never change the page.
//! - The remaining query parameters are sorted by name with a *stable* sort, so repeated
//!   names (`a=1&a=2`) keep their relative order, which is the only order web frameworks
//!   give meaning to. Scrapy's `canonicalize_url` makes the same trade.
//! - An empty query (`?`) is dropped.
//! - A trailing `index.html` and trailing slashes are kept: servers may answer
//!   `/dir/` and `/dir/index.html` (or `/a` and `/a/`) differently.

use url::Url;

/// How aggressively [`normalize`] folds query strings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NormalizeOptions {
    /// Drop the whole query string (Firecrawl's `ignoreQueryParameters`).
    pub ignore_query_parameters: bool,
}

/// Query parameters that only identify a campaign or a click and never change the page.
const TRACKING_PARAMS: &[&str] = &[
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "yclid",
    "igshid",
    "ref_src",
    "twclid",
    "ttclid",
    "li_fat_id",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
];

/// Returns the canonical form of `url` used to deduplicate crawl frontiers.
pub fn normalize(url: &Url, opts: &NormalizeOptions) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    if out.cannot_be_a_base() {
        return out;
    }
    // `url` drops ports that are the default for the scheme when parsing, but a `Url`
    // built with `set_port` may still carry one.
    if out.port().is_some() && out.port() == default_port(out.scheme()) {
        let _ = out.set_port(None);
    }

    let path = normalize_escapes(out.path());
    if path != out.path() {
        out.set_path(&path);
    }

    let query = match out.query() {
        Some(_) if opts.ignore_query_parameters => None,
        Some(q) => normalize_query(q),
        None => None,
    };
    out.set_query(query.as_deref());
    out
}

/// Resolves `s` (an href as found in a page) against `base` and normalises it.
///
/// Returns `None` when `s` does not parse or is not an `http`/`https` URL (`mailto:`,
/// `javascript:`, `data:`, `tel:`…), which is what a crawler wants to skip.
pub fn normalize_str(s: &str, base: Option<&Url>, opts: &NormalizeOptions) -> Option<Url> {
    let parsed = match base {
        Some(base) => base.join(s.trim()).ok()?,
        None => Url::parse(s.trim()).ok()?,
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return None;
    }
    Some(normalize(&parsed, opts))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

/// Drops tracking parameters, sorts the rest by name and re-joins; `None` if nothing is left.
fn normalize_query(query: &str) -> Option<String> {
    let mut pairs: Vec<(String, &str)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            (normalize_escapes(name), pair)
        })
        .filter(|(name, _)| !is_tracking_param(name))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::with_capacity(query.len());
    for (i, (_, pair)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&normalize_escapes(pair));
    }
    Some(out)
}

fn is_tracking_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING_PARAMS.contains(&lower.as_str())
}

/// Decodes escaped unreserved characters and upper-cases the hex of the other escapes.
fn normalize_escapes(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            );
            let (Some(h), Some(l)) = hex else {
                // A bare `%` must itself be escaped (RFC 3986 §2.1); leaving it would let
                // `%4%41` become `%4A` here and `J` on a second pass.
                out.push_str("%25");
                i += 1;
                continue;
            };
            let c = h * 16 + l;
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(c));
            } else {
                out.push('%');
                out.push(char::from(bytes[i + 1].to_ascii_uppercase()));
                out.push(char::from(bytes[i + 2].to_ascii_uppercase()));
            }
            i += 3;
            continue;
        }
        // Serialised URL parts are ASCII, but stay correct on any `str` by copying whole chars.
        let ch_len = utf8_len(bytes[i]);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize(&Url::parse(s).unwrap(), &NormalizeOptions::default()).to_string()
    }

    fn norm_rel(s: &str, base: &str) -> Option<String> {
        let base = Url::parse(base).unwrap();
        normalize_str(s, Some(&base), &NormalizeOptions::default()).map(|u| u.to_string())
    }

    #[test]
    fn mksite_duplicate_forms_fold_to_one_url() {
        let base = "http://127.0.0.1:8080/p/3.html";
        let want = Some("http://127.0.0.1:8080/p/5.html".to_owned());
        assert_eq!(norm_rel("./5.html#top", base), want);
        assert_eq!(norm_rel("/p/5.html?utm_source=x", base), want);
        assert_eq!(norm_rel("/p/5.html", base), want);
        assert_eq!(norm_rel("../p/./5.html?", base), want);
    }

    #[test]
    fn fragment_default_port_and_case_are_normalised() {
        assert_eq!(norm("HTTP://Example.COM:80/a#frag"), "http://example.com/a");
        assert_eq!(norm("https://example.com:443/"), "https://example.com/");
        assert_eq!(
            norm("https://example.com:8443/"),
            "https://example.com:8443/"
        );
        assert_eq!(norm("https://example.com"), "https://example.com/");
    }

    #[test]
    fn dot_segments_are_resolved() {
        assert_eq!(norm("http://a.example/b/./c/../d"), "http://a.example/b/d");
    }

    #[test]
    fn percent_escapes_are_normalised() {
        assert_eq!(
            norm("http://a.example/%7euser/%41b%2fc"),
            "http://a.example/~user/Ab%2Fc"
        );
        assert_eq!(
            norm("http://a.example/?q=%e2%82%ac"),
            "http://a.example/?q=%E2%82%AC"
        );
    }

    #[test]
    fn tracking_parameters_are_dropped_and_the_rest_sorted() {
        assert_eq!(
            norm("http://a.example/?utm_source=x&b=2&UTM_MEDIUM=y&a=1&gclid=z&fbclid=q&a=0"),
            "http://a.example/?a=1&a=0&b=2"
        );
        assert_eq!(norm("http://a.example/?utm_source=x"), "http://a.example/");
        assert_eq!(norm("http://a.example/?&&"), "http://a.example/");
    }

    #[test]
    fn ignore_query_parameters_drops_every_query() {
        let opts = NormalizeOptions {
            ignore_query_parameters: true,
        };
        let u = Url::parse("http://a.example/x?page=2#y").unwrap();
        assert_eq!(normalize(&u, &opts).as_str(), "http://a.example/x");
    }

    #[test]
    fn index_html_and_trailing_slash_are_kept() {
        assert_eq!(
            norm("http://a.example/d/index.html"),
            "http://a.example/d/index.html"
        );
        assert_eq!(norm("http://a.example/d/"), "http://a.example/d/");
    }

    #[test]
    fn non_http_schemes_are_rejected() {
        let base = "https://a.example/";
        for href in [
            "mailto:x@example.com",
            "javascript:void(0)",
            "data:text/html,hi",
            "tel:+123",
            "ftp://a.example/f",
        ] {
            assert_eq!(norm_rel(href, base), None, "{href}");
        }
    }

    #[test]
    fn protocol_relative_links_take_the_base_scheme() {
        assert_eq!(
            norm_rel("//cdn.example/x", "https://a.example/"),
            Some("https://cdn.example/x".to_owned())
        );
    }

    #[test]
    fn absolute_str_without_base_parses() {
        let got = normalize_str("https://a.example/x#y", None, &NormalizeOptions::default());
        assert_eq!(got.unwrap().as_str(), "https://a.example/x");
        assert!(normalize_str("/relative", None, &NormalizeOptions::default()).is_none());
    }

    #[test]
    fn bare_percent_signs_are_escaped() {
        assert_eq!(normalize_escapes("a%4"), "a%254");
        assert_eq!(normalize_escapes("a%"), "a%25");
        assert_eq!(normalize_escapes("%zz%41"), "%25zzA");
    }

    #[test]
    fn normalisation_is_idempotent_when_escapes_touch_bare_percents() {
        // Found by the urlnorm fuzz target.
        let base = Url::parse("https://fuzz.example/a/b.html?x=1").unwrap();
        let opts = NormalizeOptions::default();
        let once = normalize_str("HTTP:/(9//(9/%4%41?l\n\u{1}?", Some(&base), &opts).unwrap();
        assert_eq!(normalize(&once, &opts), once);
        assert_eq!(once.path(), "//(9/%254A");
    }
}
