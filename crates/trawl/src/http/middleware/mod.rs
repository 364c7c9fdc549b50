//! Layers every request passes through, one file per concern.

pub mod observe;
pub mod request_id;
