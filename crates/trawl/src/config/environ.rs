//! `TRAWL_*` variables that are not Trawl settings: the service links Kubernetes injects,
//! and the nearest setting to a name that is neither (a typo).
//!
//! For every Service in the namespace the kubelet sets, in each container, with `SVC` the
//! service name upper-cased and `-` made `_` (a Service named `trawl` or `trawl-redis`
//! therefore lands in our prefix):
//!
//! | variable | value |
//! | --- | --- |
//! | `SVC_SERVICE_HOST` | the cluster IP |
//! | `SVC_SERVICE_PORT`, `SVC_SERVICE_PORT_<NAME>` | a port number |
//! | `SVC_PORT`, `SVC_PORT_<N>_<PROTO>` | `<proto>://<ip>:<port>` |
//! | `SVC_PORT_<N>_<PROTO>_PROTO` | `tcp`, `udp` or `sctp` |
//! | `SVC_PORT_<N>_<PROTO>_PORT` | `<N>` |
//! | `SVC_PORT_<N>_<PROTO>_ADDR` | the cluster IP |
//!
//! (kubelet `pkg/kubelet/envvars`). Only a name *and* value of one of these shapes is
//! passed over, so `TRAWL_PORT=3002` is still refused as the mistake it is.

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;

use regex::Regex;

/// `TRAWL` alone or `TRAWL_<rest of a service name>`, then a link's own suffix. Some
/// names fit two shapes (`TRAWL_PORT_80_TCP_PORT` is also `SVC_PORT` for a service
/// `trawl-port-80-tcp`), so each shape is tried with its own value rule.
static SHAPES: LazyLock<[Regex; 4]> = LazyLock::new(|| {
    let svc = r"^TRAWL(?:_[A-Z0-9_]+)?";
    [
        format!("{svc}_SERVICE_HOST$"),
        format!("{svc}_SERVICE_PORT(?:_[A-Z0-9_]+)?$"),
        format!("{svc}_PORT$"),
        format!("{svc}_PORT_(?<port>[0-9]{{1,5}})_(?<proto>TCP|UDP|SCTP)(?:_(?<part>PROTO|PORT|ADDR))?$"),
    ]
    .map(|p| Regex::new(&p).expect("a valid pattern"))
});

/// Whether `name=value` is a Kubernetes service link rather than a Trawl setting.
pub fn is_service_link(name: &str, value: &str) -> bool {
    let is_port = |v: &str| v.parse::<u16>().is_ok_and(|p| p > 0);
    let is_ip = |v: &str| v.parse::<IpAddr>().is_ok();
    // `tcp://10.0.0.1:3002`, `tcp://[fd00::1]:3002`
    let is_link = |v: &str, proto: Option<&str>, port: Option<&str>| {
        let Some((scheme, addr)) = v.split_once("://") else {
            return false;
        };
        let Ok(addr) = addr.parse::<SocketAddr>() else {
            return false;
        };
        matches!(scheme, "tcp" | "udp" | "sctp")
            && proto.is_none_or(|p| p.eq_ignore_ascii_case(scheme))
            && port.is_none_or(|p| p.parse() == Ok(addr.port()))
    };
    let [host, service_port, port, numbered] = &*SHAPES;
    if host.is_match(name) && is_ip(value)
        || service_port.is_match(name) && is_port(value)
        || port.is_match(name) && is_link(value, None, None)
    {
        return true;
    }
    let Some(caps) = numbered.captures(name) else {
        return false;
    };
    let (number, proto) = (&caps["port"], &caps["proto"]);
    match caps.name("part").map(|p| p.as_str()) {
        None => is_link(value, Some(proto), Some(number)),
        Some("PROTO") => value.eq_ignore_ascii_case(proto),
        Some("PORT") => is_port(value) && value.parse::<u16>().ok() == number.parse().ok(),
        _ => is_ip(value),
    }
}

/// The known name closest to `name`, when it is close enough to be a slip of the keys.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (distance(name, k), k))
        .filter(|(d, k)| *d <= (k.len() / 6).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance in bytes (the names are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_links_of_a_service_named_trawl_or_trawl_something_are_recognised() {
        for (name, value) in [
            ("TRAWL_SERVICE_HOST", "10.0.0.1"),
            ("TRAWL_SERVICE_PORT", "3002"),
            ("TRAWL_SERVICE_PORT_HTTP", "3002"),
            ("TRAWL_SERVICE_PORT_METRICS_PORT", "9090"),
            ("TRAWL_PORT", "tcp://10.0.0.1:3002"),
            ("TRAWL_PORT_3002_TCP", "tcp://10.0.0.1:3002"),
            ("TRAWL_PORT_3002_TCP_PROTO", "tcp"),
            ("TRAWL_PORT_3002_TCP_PORT", "3002"),
            ("TRAWL_PORT_3002_TCP_ADDR", "10.0.0.1"),
            ("TRAWL_PORT_53_UDP", "udp://[fd00::1]:53"),
            ("TRAWL_REDIS_SERVICE_HOST", "fd00::2"),
            ("TRAWL_REDIS_PORT", "tcp://10.0.0.2:6379"),
            ("TRAWL_REDIS_PORT_6379_TCP_ADDR", "10.0.0.2"),
        ] {
            assert!(is_service_link(name, value), "{name}={value}");
        }
    }

    #[test]
    fn link_names_with_values_of_another_shape_are_not_links() {
        for (name, value) in [
            ("TRAWL_PORT", "3002"),
            ("TRAWL_SERVICE_HOST", "trawl.example.com"),
            ("TRAWL_SERVICE_PORT", "http"),
            ("TRAWL_PORT_3002_TCP", "tcp://10.0.0.1:3003"),
            ("TRAWL_PORT_3002_TCP", "http://10.0.0.1:3002"),
            ("TRAWL_PORT_3002_TCP_PROTO", "udp"),
            ("TRAWL_PORT_3002_TCP_PORT", "80"),
            ("TRAWL_BIND", "tcp://10.0.0.1:3002"),
            ("TRAWL_HOST", "10.0.0.1"),
        ] {
            assert!(!is_service_link(name, value), "{name}={value}");
        }
    }

    #[test]
    fn a_typo_suggests_the_nearest_known_name_and_a_stranger_nothing() {
        let known = ["TRAWL_BIND", "TRAWL_DATABASE_URL", "TRAWL_LOG"];
        assert_eq!(nearest("TRAWL_BINDD", known), Some("TRAWL_BIND"));
        assert_eq!(
            nearest("TRAWL_DATABSE_URL", known),
            Some("TRAWL_DATABASE_URL")
        );
        assert_eq!(nearest("TRAWL_SOMETHING_ELSE", known), None);
    }
}
