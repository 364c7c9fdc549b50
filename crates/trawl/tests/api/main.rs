//! Integration tests: one binary, every test spawns the app on port 0 against a fresh
//! database (a SQLite file, and a fresh PostgreSQL database when
//! `TRAWL_TEST_POSTGRES_URL` is set).

mod helpers;
mod site;

mod api_jobs;
mod auth;
mod auth_process;
mod authz_matrix;
mod browser;
mod cli_process;
mod crawl;
mod document_shape;
mod documents;
mod edge;
mod edge_process;
mod fetch;
mod firecrawl_fields;
mod first_hour;
mod foundation;
mod hardening;
mod idempotency;
mod jobs;
mod jobs_process;
mod negative;
mod openapi;
mod operator_process;
mod process;
mod schedules;
mod sdk;
mod security;
mod v2;
mod webhooks;
