//! Trawl: a self-hosted web scraping and analysis service.
//!
//! The binary's `main.rs` only calls [`cli::run`]; everything lives here so that the
//! integration tests can build the application on port 0 against a fresh database.
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod cpu;
pub mod crawl;
mod crypto;
pub mod edge;
pub mod error;
pub mod fetch;
pub mod http;
pub mod jobs;
pub mod request_fields;
pub mod schedule;
pub mod scrape;
pub mod secret;
pub mod standalone;
pub mod store;
pub mod telemetry;
pub mod webhook;

/// Installs the process-wide crypto providers once: ring for rustls, HS256 for JWTs
/// (see [`crypto`]). Calling this again does nothing.
pub fn init_crypto() {
    crypto::install();
}
