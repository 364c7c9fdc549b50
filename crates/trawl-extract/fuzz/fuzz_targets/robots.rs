//! Any robots.txt body parses (or allows all) and answers for any path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trawl_extract::robots::Robots;

fuzz_target!(|data: &[u8]| {
    let robots = Robots::parse("Trawl/0.1", data);
    let base = url::Url::parse("https://fuzz.example/").unwrap();
    for path in ["/", "/robots.txt", "/a/b?c=d", "/%E2%82%AC/x.php$"] {
        let url = base.join(path).unwrap();
        let allowed = robots.allowed(&url);
        if path == "/robots.txt" {
            assert!(allowed);
        }
    }
    let _ = robots.crawl_delay();
    let _ = robots.sitemaps();
});
