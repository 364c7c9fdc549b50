//! The SSRF guard: which addresses the fetcher may connect to.
//!
//! A scraping service fetches URLs its users choose, so by default it must never reach
//! the machine itself, the private network or a cloud metadata service. Names are
//! resolved here and only permitted addresses are handed to the connector, so the address
//! checked is the address connected to (no second lookup for DNS rebinding to exploit).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use url::Url;

use super::FetchError;

/// The deliberate exceptions: `TRAWL_FETCH_ALLOW` entries, CIDRs or host names.
#[derive(Debug, Clone, Default)]
pub struct SsrfGuard {
    nets: Vec<IpNet>,
    hosts: Vec<String>,
}

impl SsrfGuard {
    /// Parses allow-list entries: CIDRs (`10.1.0.0/16`), single IPs, or host names
    /// (`intranet.local`; `*.corp.example` for a whole subdomain tree).
    pub fn new(allow: &[String]) -> SsrfGuard {
        let mut guard = SsrfGuard::default();
        for entry in allow {
            let entry = entry.trim();
            if let Ok(net) = entry.parse::<IpNet>() {
                guard.nets.push(net);
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                guard.nets.push(IpNet::from(ip));
            } else if !entry.is_empty() {
                guard.hosts.push(entry.to_ascii_lowercase());
            }
        }
        guard
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.iter().any(|h| match h.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => *h == host,
        })
    }

    /// Whether `ip`, reached under the name `host`, may be connected to.
    pub fn permits(&self, host: &str, ip: IpAddr) -> bool {
        !is_forbidden(ip) || self.nets.iter().any(|n| n.contains(&ip)) || self.host_allowed(host)
    }

    /// Checks what can be checked before any lookup: scheme, credentials, and addresses
    /// written literally in the URL (which never reach the resolver).
    pub fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(
                "only http and https URLs can be fetched".into(),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::InvalidUrl(
                "URLs with credentials are refused".into(),
            ));
        }
        match url.host() {
            None => Err(FetchError::InvalidUrl("the URL has no host".into())),
            Some(url::Host::Ipv4(ip)) if !self.permits("", IpAddr::V4(ip)) => {
                Err(FetchError::BlockedAddress(ip.to_string()))
            }
            Some(url::Host::Ipv6(ip)) if !self.permits("", IpAddr::V6(ip)) => {
                Err(FetchError::BlockedAddress(ip.to_string()))
            }
            // `localhost` and its subdomains (RFC 6761), with or without the final dot,
            // name this machine whatever a resolver says: refused without a lookup.
            Some(url::Host::Domain(name))
                if is_loopback_name(name)
                    && !self.permits(name, IpAddr::V4(Ipv4Addr::LOCALHOST))
                    && !self.permits(name, IpAddr::V6(Ipv6Addr::LOCALHOST)) =>
            {
                Err(FetchError::BlockedAddress(name.to_string()))
            }
            Some(_) => Ok(()),
        }
    }
}

fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Resolves names with the system resolver and keeps only permitted addresses.
pub struct GuardedResolver {
    pub guard: Arc<SsrfGuard>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = Arc::clone(&self.guard);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| FetchError::Dns(host.clone()))?
                .collect();
            if found.is_empty() {
                return Err(FetchError::Dns(host).into());
            }
            let permitted: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| guard.permits(&host, a.ip()))
                .collect();
            if permitted.is_empty() {
                return Err(FetchError::BlockedAddress(host).into());
            }
            Ok(Box::new(permitted.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Loopback, private, link-local (cloud metadata), CGNAT, "this network", multicast,
/// broadcast, reserved and documentation ranges, in IPv4 or any IPv6 form that embeds one.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0                                   // "this network" 0.0.0.0/8
        || a == 10                           // private
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || a == 127                          // loopback
        || (a == 169 && b == 254)            // link-local, incl. 169.254.169.254 metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)    // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)    // TEST-NET-1
        || (a == 192 && b == 88 && c == 99)  // 6to4 relay anycast
        || (a == 192 && b == 168)            // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18.0.0/15
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)  // TEST-NET-3
        || a >= 224 // multicast 224/4, reserved 240/4, broadcast 255.255.255.255
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Forms that carry an IPv4 address are judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6].iter().all(|&x| x == 0) {
        // IPv4-compatible ::a.b.c.d, which also covers :: and ::1.
        return forbidden_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0) {
        return forbidden_v4(embedded(s[6], s[7])); // NAT64 64:ff9b::/96
    }
    if s[0] == 0x2002 {
        return forbidden_v4(embedded(s[1], s[2])); // 6to4 2002::/16
    }
    (s[0] & 0xfe00) == 0xfc00       // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: hides an IPv4 address
        || (s[0] == 0x0100 && s[1..4].iter().all(|&x| x == 0)) // discard 100::/64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn private_loopback_metadata_and_special_ranges_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
    }

    #[test]
    fn ipv6_special_ranges_and_embedded_ipv4_forms_are_forbidden() {
        for ip in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "::10.1.2.3",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
    }

    #[test]
    fn public_addresses_are_permitted() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
            "64:ff9b::808:808",
        ] {
            assert!(!forbidden(ip), "{ip} should be permitted");
        }
    }

    #[test]
    fn allow_list_opens_cidrs_and_host_names_only() {
        let g = SsrfGuard::new(&[
            "127.0.0.0/8".into(),
            "intranet.local".into(),
            "*.corp.test".into(),
        ]);
        assert!(g.permits("x", "127.0.0.1".parse().unwrap()));
        assert!(!g.permits("x", "10.0.0.1".parse().unwrap()));
        assert!(g.permits("intranet.local", "10.0.0.1".parse().unwrap()));
        assert!(g.permits("a.corp.test", "10.0.0.1".parse().unwrap()));
        assert!(!g.permits("corp.test.evil", "10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn urls_with_credentials_other_schemes_or_blocked_literals_are_refused() {
        let g = SsrfGuard::default();
        let bad = [
            ("ftp://example.com/", "InvalidUrl"),
            ("file:///etc/passwd", "InvalidUrl"),
            ("http://user:pw@example.com/", "InvalidUrl"),
            ("http://127.0.0.1/", "BlockedAddress"),
            ("http://[::ffff:7f00:1]/", "BlockedAddress"),
            ("http://2130706433/", "BlockedAddress"), // decimal form of 127.0.0.1
            ("http://0x7f.1/", "BlockedAddress"),
            ("http://169.254.169.254/latest/meta-data/", "BlockedAddress"),
        ];
        for (u, kind) in bad {
            let err = g.check_url(&Url::parse(u).unwrap()).unwrap_err();
            assert!(format!("{err:?}").starts_with(kind), "{u}: {err:?}");
        }
        g.check_url(&Url::parse("https://example.com/a").unwrap())
            .unwrap();
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_to_loopback() {
        use reqwest::dns::Resolve;
        let r = GuardedResolver {
            guard: Arc::new(SsrfGuard::default()),
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let err = match r.resolve(name).await {
            Ok(_) => panic!("localhost resolved through the guard"),
            Err(e) => e,
        };
        let err = err.downcast::<FetchError>().unwrap();
        assert!(matches!(*err, FetchError::BlockedAddress(_)), "{err:?}");
    }
}
