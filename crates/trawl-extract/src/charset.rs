//! Turning fetched bytes into UTF-8 text, following the order browsers use: the
//! `Content-Type` header, then a byte-order mark, then a `<meta>` declaration near the start,
//! then a statistical guess.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, X_USER_DEFINED};

/// How far into the document browsers look for a `<meta charset>` (the HTML standard's
/// prescan reads 1024 bytes; real pages put long `<head>`s first, so allow a little more).
const PRESCAN_BYTES: usize = 4096;

/// Decodes an HTML body to UTF-8, returning the text and the name of the encoding used.
///
/// Malformed sequences become U+FFFD rather than errors: a page with one bad byte is still
/// worth extracting.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let encoding = content_type
        .and_then(charset_from_content_type)
        .and_then(|label| Encoding::for_label(label.as_bytes()));
    // A BOM outranks the header in the HTML standard's algorithm.
    if let Some((bom_encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = bom_encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), bom_encoding.name());
    }
    let encoding = encoding
        .or_else(|| prescan_meta(&bytes[..bytes.len().min(PRESCAN_BYTES)]))
        .unwrap_or_else(|| sniff(bytes));
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding.name())
}

/// Picks an encoding for bytes that declare none: valid UTF-8 is taken as UTF-8 (cheap, and
/// by far the common case), anything else goes to chardetng.
fn sniff(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// The `charset` parameter of a `Content-Type` header value, unquoted.
fn charset_from_content_type(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then_some(value)
    })
}

/// Finds `<meta charset=…>` or `<meta http-equiv="Content-Type" content="…charset=…">`.
fn prescan_meta(head: &[u8]) -> Option<&'static Encoding> {
    let mut rest = head;
    while let Some(pos) = find_ci(rest, b"<meta") {
        let tag_start = pos + 5;
        let tag_end = rest[tag_start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(rest.len(), |e| tag_start + e);
        let tag = &rest[tag_start..tag_end];
        if let Some(encoding) = charset_in_meta_tag(tag) {
            // The HTML standard: a meta tag cannot switch to UTF-16 (the bytes were readable
            // as ASCII to find it), and x-user-defined means windows-1252.
            let encoding = if encoding == UTF_16BE || encoding == UTF_16LE {
                UTF_8
            } else if encoding == X_USER_DEFINED {
                encoding_rs::WINDOWS_1252
            } else {
                encoding
            };
            return Some(encoding);
        }
        rest = &rest[tag_end..];
    }
    None
}

/// Looks for `charset` inside the attributes of one meta tag; it covers both the
/// `charset=` attribute and the `charset=` inside a `content=` value.
fn charset_in_meta_tag(tag: &[u8]) -> Option<&'static Encoding> {
    let pos = find_ci(tag, b"charset")?;
    let mut value = &tag[pos + 7..];
    value = trim_start(value);
    value = value.strip_prefix(b"=")?;
    value = trim_start(value);
    let value = match value.first() {
        Some(b'"') | Some(b'\'') => &value[1..],
        _ => value,
    };
    let end = value
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace())
        .unwrap_or(value.len());
    Encoding::for_label(&value[..end])
}

fn trim_start(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    &s[start..]
}

/// ASCII case-insensitive byte search.
fn find_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_charset_is_used_first() {
        let bytes = b"<p>caf\xe9</p>";
        let (text, name) = decode_html(bytes, Some("text/html; charset=ISO-8859-1"));
        assert_eq!(text, "<p>café</p>");
        assert_eq!(name, "windows-1252");
    }

    #[test]
    fn quoted_charset_parameter_is_unquoted() {
        let (text, name) = decode_html(b"\x82\xa0", Some("text/html;charset=\"Shift_JIS\""));
        assert_eq!(text, "あ");
        assert_eq!(name, "Shift_JIS");
    }

    #[test]
    fn content_type_wins_over_meta() {
        let bytes = b"<meta charset=\"windows-1252\"><p>\xc3\xa9</p>";
        let (text, name) = decode_html(bytes, Some("text/html; charset=utf-8"));
        assert!(text.contains("<p>é</p>"));
        assert_eq!(name, "UTF-8");
    }

    #[test]
    fn bom_wins_over_content_type() {
        let bytes = b"\xef\xbb\xbf<p>\xc3\xa9</p>";
        let (text, name) = decode_html(bytes, Some("text/html; charset=windows-1252"));
        assert_eq!(text, "<p>é</p>");
        assert_eq!(name, "UTF-8");
    }

    #[test]
    fn utf16_bom_is_honoured() {
        let mut bytes = vec![0xff, 0xfe];
        for u in "<p>hé</p>".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (text, name) = decode_html(&bytes, None);
        assert_eq!(text, "<p>hé</p>");
        assert_eq!(name, "UTF-16LE");
    }

    #[test]
    fn meta_charset_is_found_without_a_header() {
        let bytes = b"<html><head><META CHARSET='windows-1252'></head><body>na\xefve</body>";
        let (text, name) = decode_html(bytes, Some("text/html"));
        assert!(text.contains("naïve"));
        assert_eq!(name, "windows-1252");
    }

    #[test]
    fn meta_http_equiv_content_type_is_found() {
        let bytes = b"<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=shift_jis\"></head><p>\x93\xfa\x96\x7b</p>";
        let (text, name) = decode_html(bytes, None);
        assert!(text.contains("日本"), "{text}");
        assert_eq!(name, "Shift_JIS");
    }

    #[test]
    fn meta_declaring_utf16_means_utf8() {
        let (_, name) = decode_html(b"<meta charset=utf-16><p>x\xff</p>", None);
        assert_eq!(name, "UTF-8");
    }

    #[test]
    fn undeclared_valid_utf8_is_utf8() {
        let (text, name) = decode_html("<p>Grüße</p>".as_bytes(), None);
        assert_eq!(text, "<p>Grüße</p>");
        assert_eq!(name, "UTF-8");
    }

    #[test]
    fn undeclared_shift_jis_is_detected() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(
            "<html><body><p>日本語のテキストです。これは文字コードの検出のための文章です。</p></body></html>",
        );
        let (text, name) = decode_html(&sjis, None);
        assert_eq!(name, "Shift_JIS");
        assert!(text.contains("日本語のテキスト"));
    }

    #[test]
    fn undeclared_windows_1252_is_detected() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252
            .encode("<p>Le café est très apprécié à côté de la forêt, déjà réputé.</p>");
        let (text, name) = decode_html(&bytes, None);
        assert_eq!(name, "windows-1252");
        assert!(text.contains("café est très apprécié"));
    }

    #[test]
    fn unknown_labels_fall_through_to_detection() {
        let (text, name) = decode_html(b"<p>ok</p>", Some("text/html; charset=klingon"));
        assert_eq!(text, "<p>ok</p>");
        assert_eq!(name, "UTF-8");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let (text, _) = decode_html(b"<p>a\xffb</p>", Some("text/html; charset=utf-8"));
        assert_eq!(text, "<p>a\u{fffd}b</p>");
    }

    #[test]
    fn truncated_meta_tags_do_not_panic() {
        for bytes in [
            &b"<meta"[..],
            b"<meta charset",
            b"<meta charset=",
            b"<meta charset='",
        ] {
            let _ = decode_html(bytes, None);
        }
    }
}
