//! Pure extraction functions for Trawl: HTML to a [`Document`] (Markdown, metadata, links,
//! main content, analysis), URL normalisation, robots.txt rules, charset decoding and sitemap
//! parsing.
//!
//! Nothing here performs I/O, so every function can be tested, fuzzed and benchmarked alone;
//! the service owns fetching, caching and politeness.
#![forbid(unsafe_code)]

pub mod charset;
pub mod document;
pub mod robots;
pub mod sitemap;
pub mod urlnorm;

pub use document::{
    extract, is_valid_selector, Analysis, Document, ExtractOptions, Heading, Keyword, Metadata,
};
