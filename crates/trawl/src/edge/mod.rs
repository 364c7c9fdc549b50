//! Edge protection that is not itself a middleware: the rate-limit engine, who the
//! client is behind proxies, CSRF tokens, and TLS termination. The layers that use them
//! are in `http::middleware`.

pub mod client_ip;
pub mod csrf;
pub mod rate_limit;
pub mod serve;
pub mod tls;
