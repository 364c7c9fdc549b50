//! Layers every request passes through, one file per concern.

pub mod csrf;
pub mod headers;
pub mod limits;
pub mod observe;
pub mod rate_limit;
pub mod request_id;
