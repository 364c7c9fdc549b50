//! Prints what `extract` makes of one HTML file: `cargo run --example dump -- FILE [URL] [--full]`.

use trawl_extract::{extract, ExtractOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: dump FILE [URL] [--full]");
        std::process::exit(2);
    };
    let bytes = std::fs::read(path).expect("read the HTML file");
    let (html, encoding) = trawl_extract::charset::decode_html(&bytes, None);
    let url = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .map_or("http://localhost/", String::as_str);
    let url = url::Url::parse(url).expect("a valid URL");
    let opts = ExtractOptions {
        only_main_content: !args.iter().any(|a| a == "--full"),
        want_html: true,
        want_images: true,
        ..ExtractOptions::default()
    };
    let doc = extract(&html, &url, &opts);
    println!("encoding: {encoding}");
    println!(
        "{}",
        serde_json::to_string_pretty(&doc.metadata).expect("serialisable")
    );
    println!("---- markdown ----\n{}", doc.markdown.unwrap_or_default());
    println!("---- links ----\n{:?}", doc.links.unwrap_or_default());
    println!("---- analysis ----\n{:?}", doc.analysis);
}
