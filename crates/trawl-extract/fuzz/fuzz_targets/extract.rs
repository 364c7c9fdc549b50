//! Any bytes, decoded as a fetched page would be, through every extraction option.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trawl_extract::{charset::decode_html, extract, ExtractOptions};

fuzz_target!(|data: &[u8]| {
    // The first byte picks options, so one corpus explores all of them.
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let (html, _) = decode_html(body, None);
    let url = url::Url::parse("https://fuzz.example/dir/page.html").unwrap();
    let opts = ExtractOptions {
        only_main_content: flags & 1 != 0,
        remove_base64_images: flags & 2 != 0,
        want_html: flags & 4 != 0,
        want_images: flags & 8 != 0,
        include_tags: if flags & 16 != 0 { vec!["div > p".into(), ".x".into()] } else { vec![] },
        exclude_tags: if flags & 32 != 0 { vec!["#y".into(), "span".into()] } else { vec![] },
        ..ExtractOptions::default()
    };
    let doc = extract(&html, &url, &opts);
    // Deterministic: the same input and options give the same document every time.
    assert!(extract(&html, &url, &opts) == doc, "a second extraction differed");
    for link in doc.links.unwrap_or_default() {
        assert!(link.starts_with("http://") || link.starts_with("https://"), "{link}");
        assert!(!link.contains('#'), "{link}");
    }
    if let Some(markdown) = doc.markdown {
        // Blank-line runs are allowed only where they are content: inside code blocks.
        if !markdown.contains("```") {
            assert!(!markdown.contains("\n\n\n"), "{markdown:?}");
        }
        assert!(markdown.lines().all(|l| l == l.trim_end() || markdown.contains("```")));
    }
});
