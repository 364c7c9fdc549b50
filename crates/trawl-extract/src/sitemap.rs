//! Sitemap parsing: `<urlset>` and `<sitemapindex>` XML (sitemaps.org 0.9), the same
//! gzip-compressed, and plain-text sitemaps with one URL per line.
//!
//! `<loc>` values are returned as written, even when relative: resolving them needs the
//! sitemap's own URL, which only the caller knows.

use std::fmt;
use std::io::Read;

use quick_xml::events::Event;
use quick_xml::Reader;

/// sitemaps.org caps an uncompressed sitemap at 50 MiB; refusing more also defuses gzip bombs.
const MAX_UNCOMPRESSED_BYTES: u64 = 50 * 1024 * 1024;

/// What a sitemap lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sitemap {
    /// Page URLs (`<urlset>` or a plain-text sitemap).
    UrlSet(Vec<String>),
    /// URLs of further sitemaps (`<sitemapindex>`).
    Index(Vec<String>),
}

/// Why a body could not be read as a sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SitemapError {
    /// The body is gzip-compressed but does not decompress.
    Gzip(String),
    /// The decompressed body is larger than sitemaps.org allows (50 MiB).
    TooLarge,
    /// The XML is malformed before any root element was recognised.
    Xml(String),
    /// Well-formed, but neither `<urlset>`, `<sitemapindex>` nor a list of URLs.
    NotASitemap,
}

impl fmt::Display for SitemapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SitemapError::Gzip(e) => write!(f, "sitemap is not valid gzip: {e}"),
            SitemapError::TooLarge => write!(f, "sitemap is larger than 50 MiB uncompressed"),
            SitemapError::Xml(e) => write!(f, "sitemap is not valid XML: {e}"),
            SitemapError::NotASitemap => write!(f, "body is not a sitemap"),
        }
    }
}

impl std::error::Error for SitemapError {}

/// Parses a sitemap body as fetched (possibly gzip-compressed).
pub fn parse_sitemap(body: &[u8]) -> Result<Sitemap, SitemapError> {
    let decompressed;
    let body = if body.starts_with(&[0x1f, 0x8b]) {
        decompressed = gunzip(body)?;
        &decompressed[..]
    } else {
        if body.len() as u64 > MAX_UNCOMPRESSED_BYTES {
            return Err(SitemapError::TooLarge);
        }
        body
    };
    let text = String::from_utf8_lossy(body);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') {
        parse_xml(text)
    } else {
        parse_text(text)
    }
}

fn gunzip(body: &[u8]) -> Result<Vec<u8>, SitemapError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_UNCOMPRESSED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| SitemapError::Gzip(e.to_string()))?;
    if out.len() as u64 > MAX_UNCOMPRESSED_BYTES {
        return Err(SitemapError::TooLarge);
    }
    Ok(out)
}

/// A text sitemap: one absolute URL per line (sitemaps.org); anything else disqualifies it.
fn parse_text(text: &str) -> Result<Sitemap, SitemapError> {
    let mut urls = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !(line.starts_with("http://") || line.starts_with("https://")) {
            return Err(SitemapError::NotASitemap);
        }
        urls.push(line.to_owned());
    }
    if urls.is_empty() {
        return Err(SitemapError::NotASitemap);
    }
    Ok(Sitemap::UrlSet(urls))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    UrlSet,
    Index,
}

fn parse_xml(text: &str) -> Result<Sitemap, SitemapError> {
    let mut reader = Reader::from_str(text);
    let mut kind = None;
    let mut locs = Vec::new();
    // Text of the `<loc>` being read; entity references arrive as separate events.
    let mut loc: Option<String> = None;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            // Keep what was read before the damage: truncated downloads are common and the
            // URLs already seen are still good.
            Err(e) if kind.is_none() => return Err(SitemapError::Xml(e.to_string())),
            Err(_) => break,
        };
        match event {
            Event::Start(start) => {
                let name = start.local_name();
                let name = name.as_ref();
                if kind.is_none() {
                    kind = match name {
                        "urlset" => Some(Kind::UrlSet),
                        "sitemapindex" => Some(Kind::Index),
                        _ => return Err(SitemapError::NotASitemap),
                    };
                } else if name == "loc" {
                    loc = Some(String::new());
                }
            }
            Event::Text(t) => {
                if let Some(loc) = loc.as_mut() {
                    loc.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(loc) = loc.as_mut() {
                    loc.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(loc) = loc.as_mut() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => loc.push(c),
                        _ => loc.push_str(match &*r {
                            "amp" => "&",
                            "lt" => "<",
                            "gt" => ">",
                            "quot" => "\"",
                            "apos" => "'",
                            _ => "",
                        }),
                    }
                }
            }
            Event::End(end) if end.local_name().as_ref() == "loc" => {
                if let Some(done) = loc.take() {
                    let done = done.trim();
                    if !done.is_empty() {
                        locs.push(done.to_owned());
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match kind {
        Some(Kind::UrlSet) => Ok(Sitemap::UrlSet(locs)),
        Some(Kind::Index) => Ok(Sitemap::Index(locs)),
        None => Err(SitemapError::NotASitemap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>/p/1.html</loc></url>
<url><loc>
   https://example.com/a?x=1&amp;y=2
</loc><lastmod>2024-01-01</lastmod></url>
<url><loc><![CDATA[https://example.com/cdata]]></loc></url>
</urlset>
"#;

    #[test]
    fn urlset_locs_are_returned_in_order_and_unescaped() {
        assert_eq!(
            parse_sitemap(URLSET.as_bytes()).unwrap(),
            Sitemap::UrlSet(vec![
                "/p/1.html".to_owned(),
                "https://example.com/a?x=1&y=2".to_owned(),
                "https://example.com/cdata".to_owned(),
            ])
        );
    }

    #[test]
    fn sitemap_index_is_recognised() {
        let body = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://example.com/s1.xml.gz</loc><lastmod>2024</lastmod></sitemap>
<sitemap><loc>https://example.com/s2.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse_sitemap(body.as_bytes()).unwrap(),
            Sitemap::Index(vec![
                "https://example.com/s1.xml.gz".to_owned(),
                "https://example.com/s2.xml".to_owned()
            ])
        );
    }

    #[test]
    fn namespace_prefixed_elements_are_understood() {
        let body = r#"<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"><sm:url><sm:loc>https://e.example/x</sm:loc></sm:url></sm:urlset>"#;
        assert_eq!(
            parse_sitemap(body.as_bytes()).unwrap(),
            Sitemap::UrlSet(vec!["https://e.example/x".to_owned()])
        );
    }

    #[test]
    fn gzip_bodies_are_decompressed() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(URLSET.as_bytes()).unwrap();
        let body = gz.finish().unwrap();
        match parse_sitemap(&body).unwrap() {
            Sitemap::UrlSet(urls) => assert_eq!(urls.len(), 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        assert!(matches!(
            parse_sitemap(&[0x1f, 0x8b, 8, 0, 1, 2, 3]),
            Err(SitemapError::Gzip(_))
        ));
    }

    #[test]
    fn gzip_bombs_are_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..51 {
            gz.write_all(&zeros).unwrap();
        }
        let body = gz.finish().unwrap();
        assert_eq!(parse_sitemap(&body), Err(SitemapError::TooLarge));
    }

    #[test]
    fn text_sitemaps_list_one_url_per_line() {
        let body = "\u{feff}https://e.example/a\r\n\nhttps://e.example/b\n";
        assert_eq!(
            parse_sitemap(body.as_bytes()).unwrap(),
            Sitemap::UrlSet(vec![
                "https://e.example/a".to_owned(),
                "https://e.example/b".to_owned()
            ])
        );
    }

    #[test]
    fn html_and_prose_are_not_sitemaps() {
        assert_eq!(
            parse_sitemap(b"<html><body>hi</body></html>"),
            Err(SitemapError::NotASitemap)
        );
        assert_eq!(
            parse_sitemap(b"hello world"),
            Err(SitemapError::NotASitemap)
        );
        assert_eq!(parse_sitemap(b""), Err(SitemapError::NotASitemap));
    }

    #[test]
    fn truncated_xml_keeps_the_urls_read_so_far() {
        let body = "<urlset><url><loc>https://e.example/a</loc></url><url><loc>https://e.exa";
        assert_eq!(
            parse_sitemap(body.as_bytes()).unwrap(),
            Sitemap::UrlSet(vec!["https://e.example/a".to_owned()])
        );
    }

    #[test]
    fn mismatched_tags_after_the_root_keep_earlier_urls() {
        let body = "<urlset><url><loc>https://e.example/a</loc></url></oops></urlset>";
        match parse_sitemap(body.as_bytes()).unwrap() {
            Sitemap::UrlSet(urls) => assert_eq!(urls, vec!["https://e.example/a".to_owned()]),
            other => panic!("{other:?}"),
        }
    }
}
