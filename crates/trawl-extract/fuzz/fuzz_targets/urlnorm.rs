//! Normalisation never panics, keeps http(s), and is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trawl_extract::urlnorm::{normalize, normalize_str, NormalizeOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let base = url::Url::parse("https://fuzz.example/a/b.html?x=1").unwrap();
    for ignore_query_parameters in [false, true] {
        let opts = NormalizeOptions { ignore_query_parameters };
        if let Some(once) = normalize_str(s, Some(&base), &opts) {
            assert!(matches!(once.scheme(), "http" | "https"));
            assert!(once.fragment().is_none());
            let twice = normalize(&once, &opts);
            assert_eq!(once, twice, "normalisation must be idempotent for {s:?}");
        }
    }
});
