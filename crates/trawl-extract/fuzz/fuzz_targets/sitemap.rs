//! Any body (XML, text, gzip or garbage) gives a sitemap or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trawl_extract::sitemap::parse_sitemap;

fuzz_target!(|data: &[u8]| {
    let _ = parse_sitemap(data);
});
