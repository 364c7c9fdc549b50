//! The client's address: the socket peer, unless the peer is a trusted proxy, in which
//! case the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
//! A forwarded header from any other peer is ignored, so a client cannot choose the key
//! it is rate limited under.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    match peer {
        Some(p) if is_trusted(&p) => forwarded_client(headers, &is_trusted).or(Some(p)),
        other => other,
    }
}

fn forwarded_client(headers: &HeaderMap, is_trusted: &dyn Fn(&IpAddr) -> bool) -> Option<IpAddr> {
    // Several X-Forwarded-For lines read as one list, in order.
    let mut entries: Vec<IpAddr> = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        let v = v.to_str().ok()?;
        for part in v.split(',') {
            // An entry that is not an address (a proxy's "unknown") ends the trusted
            // chain: nothing left of it can be believed.
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => entries.push(ip),
                Err(_) => entries.clear(),
            }
        }
    }
    entries.into_iter().rev().find(|ip| !is_trusted(ip))
}

/// Whether the request reached us over https: a TLS listener, or a trusted proxy that
/// says so in `X-Forwarded-Proto`.
pub fn is_https(tls: bool, peer_trusted: bool, headers: &HeaderMap) -> bool {
    tls || (peer_trusted
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let headers = h("198.51.100.7, 10.0.0.5");
        assert_eq!(client_ip(Some(peer), &headers, &trusted), Some(peer));
        assert_eq!(
            client_ip(Some(proxy), &headers, &trusted),
            Some("198.51.100.7".parse().unwrap())
        );
        // A client-supplied left part cannot hide the real one.
        let spoofed = h("1.2.3.4, 198.51.100.7");
        assert_eq!(
            client_ip(Some(proxy), &spoofed, &trusted),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(
            client_ip(Some(proxy), &HeaderMap::new(), &trusted),
            Some(proxy)
        );
    }
}
