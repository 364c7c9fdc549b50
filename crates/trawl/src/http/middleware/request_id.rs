//! Request ids: a fresh UUIDv7 for every request, unless a trusted proxy supplied one.
//! The id is visible to the whole request through a task-local, so that error bodies
//! and log lines carry it without threading it through every call.

use axum::http::HeaderMap;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being served by this task, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, fut: F) -> F::Output {
    CURRENT.scope(id, fut).await
}

/// Picks the request id: the proxy's when the peer is trusted and the value is sane,
/// otherwise a new one.
pub fn choose(headers: &HeaderMap, peer_trusted: bool) -> String {
    if peer_trusted {
        if let Some(v) = headers.get(HEADER).and_then(|v| v.to_str().ok()) {
            if is_sane(v) {
                return v.to_string();
            }
        }
    }
    uuid::Uuid::now_v7().to_string()
}

/// Bounded length, and only characters that cannot break a log line or a header.
fn is_sane(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_peer_cannot_choose_the_request_id() {
        let mut h = HeaderMap::new();
        h.insert(HEADER, "attacker-chosen".parse().unwrap());
        assert_ne!(choose(&h, false), "attacker-chosen");
        assert_eq!(choose(&h, true), "attacker-chosen");
    }

    #[test]
    fn malformed_proxy_id_is_replaced() {
        let mut h = HeaderMap::new();
        h.insert(HEADER, "a b\"c".parse().unwrap());
        let id = choose(&h, true);
        assert!(uuid::Uuid::parse_str(&id).is_ok());
    }
}
