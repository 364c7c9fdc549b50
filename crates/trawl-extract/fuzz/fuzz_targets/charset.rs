//! Any bytes and any Content-Type decode to UTF-8 without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trawl_extract::charset::decode_html;

fuzz_target!(|data: &[u8]| {
    // Split at the first NUL: before it a Content-Type value, after it the body.
    let (content_type, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (std::str::from_utf8(&data[..i]).ok(), &data[i + 1..]),
        None => (None, data),
    };
    let (text, name) = decode_html(body, content_type);
    assert!(!name.is_empty());
    if body.is_empty() {
        assert!(text.is_empty());
    }
});
