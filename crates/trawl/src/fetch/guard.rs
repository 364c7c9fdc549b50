//! The SSRF guard: which addresses the fetcher may connect to.
//!
//! A scraping service fetches URLs its users choose, so by default it must never reach
//! the machine itself, the private network or a cloud metadata service. Names are
//! resolved here and only permitted addresses are handed to the connector, so the address
//! checked is the address connected to (no second lookup for DNS rebinding to exploit).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;

use ipnet::IpNet;
use url::Url;

use super::FetchError;

/// The deliberate exceptions: `TRAWL_FETCH_ALLOW` entries, CIDRs or host names, each
/// optionally limited to a port or a port range.
#[derive(Debug, Clone, Default)]
pub struct SsrfGuard {
    entries: Vec<AllowEntry>,
}

/// One allow-list entry: what it opens, and on which ports (all when `ports` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    target: AllowTarget,
    ports: Option<RangeInclusive<u16>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowTarget {
    Net(IpNet),
    /// A lower-cased host name; `*.corp.example` opens every name below `corp.example`.
    Host(String),
}

/// What `TRAWL_FETCH_ALLOW` entries look like, for error messages.
const ALLOW_FORMS: &str = "expected a CIDR, an IP address or a host name, each optionally \
     followed by `:PORT` or `:FIRST-LAST` (IPv6 in brackets when a port follows: \
     `[::1]/128:8080`), e.g. `127.0.0.1/32:8080`, `127.0.0.0/8:8000-9000`, `host.internal:8443`";

impl AllowEntry {
    /// Parses `CIDR`, `IP` or `host`, each with an optional `:PORT` or `:FIRST-LAST`.
    /// The error names the entry and the rule it broke.
    pub fn parse(entry: &str) -> Result<AllowEntry, String> {
        let e = entry.trim();
        let bad = |rule: &str| format!("entry {e:?}: {rule}");
        if e.is_empty() {
            return Err(bad("is empty"));
        }
        // A bare IPv6 address or network has colons of its own and no port.
        if let Some(net) = parse_net(e) {
            return Ok(AllowEntry {
                target: AllowTarget::Net(net),
                ports: None,
            });
        }
        let (target, ports) = if let Some(rest) = e.strip_prefix('[') {
            let (ip, after) = rest
                .split_once(']')
                .ok_or_else(|| bad("an opening `[` needs its closing `]`"))?;
            let (prefix, ports) = match after.split_once(':') {
                Some((prefix, ports)) => (prefix, Some(ports)),
                None => (after, None),
            };
            let net = parse_net(&format!("{ip}{prefix}"))
                .filter(|n| matches!(n, IpNet::V6(_)))
                .ok_or_else(|| bad("brackets hold an IPv6 address (and `/prefix` after them)"))?;
            (AllowTarget::Net(net), ports)
        } else {
            let (head, ports) = match e.rsplit_once(':') {
                Some((head, ports)) => (head, Some(ports)),
                None => (e, None),
            };
            if head.contains(':') {
                return Err(bad(
                    "an IPv6 address with a port must be in brackets: `[::1]:8080`",
                ));
            }
            match parse_net(head) {
                Some(net) => (AllowTarget::Net(net), ports),
                None if is_host_pattern(head) => {
                    (AllowTarget::Host(head.to_ascii_lowercase()), ports)
                }
                None => return Err(bad(ALLOW_FORMS)),
            }
        };
        let ports = match ports {
            None => None,
            Some(p) => Some(parse_ports(p).map_err(|rule| bad(&rule))?),
        };
        Ok(AllowEntry { target, ports })
    }

    fn port_allowed(&self, port: Option<u16>) -> bool {
        match &self.ports {
            None => true,
            // A port we were not told cannot be shown to be in the range.
            Some(range) => port.is_some_and(|p| range.contains(&p)),
        }
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// `host.example`, `*.corp.example`: letters, digits, `-` and `.`, not starting with a dot.
fn is_host_pattern(s: &str) -> bool {
    let name = s.strip_prefix("*.").unwrap_or(s);
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

fn parse_ports(p: &str) -> Result<RangeInclusive<u16>, String> {
    let port = |s: &str| {
        s.trim()
            .parse::<u16>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{s:?} is not a port (1 to 65535)"))
    };
    let (first, last) = match p.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => {
            let n = port(p)?;
            (n, n)
        }
    };
    if first > last {
        return Err(format!("the port range {p:?} ends before it starts"));
    }
    Ok(first..=last)
}

impl SsrfGuard {
    /// Parses allow-list entries (see [`AllowEntry::parse`]).
    pub fn new(allow: &[String]) -> Result<SsrfGuard, String> {
        let entries = allow
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| AllowEntry::parse(e))
            .collect::<Result<_, _>>()?;
        Ok(SsrfGuard { entries })
    }

    fn host_matches(pattern: &str, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => pattern == host,
        }
    }

    /// Whether `ip`, reached under the name `host` on `port`, may be connected to. With
    /// `port` unknown only entries without a port can open a forbidden address.
    pub fn permits(&self, host: &str, ip: IpAddr, port: Option<u16>) -> bool {
        !is_forbidden(ip)
            || self.entries.iter().any(|e| {
                e.port_allowed(port)
                    && match &e.target {
                        AllowTarget::Net(n) => n.contains(&ip),
                        AllowTarget::Host(h) => Self::host_matches(h, host),
                    }
            })
    }

    /// Checks what can be checked before any lookup: scheme, credentials, and addresses
    /// written literally in the URL (which never reach the resolver), on the URL's port.
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
        let port = url.port_or_known_default();
        match url.host() {
            None => Err(FetchError::InvalidUrl("the URL has no host".into())),
            Some(url::Host::Ipv4(ip)) if !self.permits("", IpAddr::V4(ip), port) => {
                Err(FetchError::BlockedAddress(ip.to_string()))
            }
            Some(url::Host::Ipv6(ip)) if !self.permits("", IpAddr::V6(ip), port) => {
                Err(FetchError::BlockedAddress(ip.to_string()))
            }
            // `localhost` and its subdomains (RFC 6761), with or without the final dot,
            // name this machine whatever a resolver says: refused without a lookup.
            Some(url::Host::Domain(name))
                if is_loopback_name(name)
                    && !self.permits(name, IpAddr::V4(Ipv4Addr::LOCALHOST), port)
                    && !self.permits(name, IpAddr::V6(Ipv6Addr::LOCALHOST), port) =>
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

tokio::task_local! {
    /// The port the request being sent connects to. The resolver is handed only a name,
    /// so the fetcher sets this around each request for port-limited allow entries.
    static HOP_PORT: u16;
}

/// Runs `request` (a send to `url`) with its port known to [`GuardedResolver`]. The
/// connection is made while the send is polled, in this task; a connection finished in
/// the background (a pooled one won the race) does not see the port, and then only entries
/// without a port can open a forbidden address: it fails closed.
pub(crate) async fn on_port_of<F: std::future::Future>(url: &Url, request: F) -> F::Output {
    match url.port_or_known_default() {
        Some(port) => HOP_PORT.scope(port, request).await,
        None => request.await,
    }
}

/// Resolves names with the system resolver and keeps only permitted addresses.
pub struct GuardedResolver {
    pub guard: Arc<SsrfGuard>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = Arc::clone(&self.guard);
        let host = name.as_str().to_string();
        let port = HOP_PORT.try_with(|p| *p).ok();
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
                .filter(|a| guard.permits(&host, a.ip(), port))
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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn allow_list_opens_cidrs_and_host_names_only() {
        let g = SsrfGuard::new(&[
            "127.0.0.0/8".into(),
            "intranet.local".into(),
            "*.corp.test".into(),
        ])
        .unwrap();
        for port in [None, Some(22), Some(8080)] {
            assert!(g.permits("x", ip("127.0.0.1"), port));
            assert!(!g.permits("x", ip("10.0.0.1"), port));
            assert!(g.permits("intranet.local", ip("10.0.0.1"), port));
            assert!(g.permits("a.corp.test", ip("10.0.0.1"), port));
            assert!(!g.permits("corp.test.evil", ip("10.0.0.1"), port));
        }
    }

    #[test]
    fn an_entry_with_a_port_or_range_opens_only_those_ports() {
        let g = SsrfGuard::new(&[
            "127.0.0.1/32:8080".into(),
            "10.0.0.0/8:8000-9000".into(),
            "[::1]/128:8080".into(),
            "[fd00::5]:443".into(),
            "192.168.1.7:81".into(),
            "host.internal:8443".into(),
            "*.corp.test:1-1024".into(),
        ])
        .unwrap();
        let yes = |h: &str, a: &str, p: u16| g.permits(h, ip(a), Some(p));
        assert!(yes("", "127.0.0.1", 8080) && !yes("", "127.0.0.1", 8081));
        assert!(
            !yes("", "127.0.0.2", 8080),
            "the CIDR still bounds the addresses"
        );
        assert!(yes("", "10.9.9.9", 8000) && yes("", "10.9.9.9", 9000));
        assert!(!yes("", "10.9.9.9", 7999) && !yes("", "10.9.9.9", 9001));
        assert!(yes("", "::1", 8080) && !yes("", "::1", 22));
        assert!(yes("", "fd00::5", 443) && !yes("", "fd00::5", 80));
        assert!(yes("", "192.168.1.7", 81) && !yes("", "192.168.1.7", 80));
        assert!(yes("host.internal", "10.1.1.1", 8443));
        assert!(!yes("host.internal", "172.16.0.1", 8080));
        assert!(yes("a.corp.test", "172.16.0.1", 443) && !yes("a.corp.test", "172.16.0.1", 8443));
        // The port unknown: only port-less entries could open a forbidden address.
        assert!(!g.permits("host.internal", ip("10.1.1.1"), None));
        // Public addresses never needed an entry.
        assert!(yes("", "8.8.8.8", 22));
        // A literal address in a URL is checked on the URL's port (or its scheme's).
        let url = |u: &str| g.check_url(&Url::parse(u).unwrap());
        assert!(url("http://127.0.0.1:8080/").is_ok());
        assert!(url("http://127.0.0.1:8081/").is_err());
        assert!(url("http://127.0.0.1/").is_err());
        assert!(url("https://[fd00::5]/").is_ok());
        assert!(url("http://[fd00::5]/").is_err());
    }

    #[test]
    fn malformed_entries_are_refused_with_the_entry_and_the_rule() {
        for (entry, rule) in [
            ("127.0.0.1/33", "expected a CIDR"),
            ("fe80::1/64:80", "must be in brackets"),
            ("[::1:8080", "closing `]`"),
            ("[127.0.0.1]:80", "IPv6"),
            ("127.0.0.1:0", "not a port"),
            ("127.0.0.1:70000", "not a port"),
            ("127.0.0.1:9000-8000", "ends before it starts"),
            ("127.0.0.1:http", "not a port"),
            ("host_name:80", "expected a CIDR"),
            ("http://host", "not a port"),
        ] {
            let err = AllowEntry::parse(entry).unwrap_err();
            assert!(err.contains(entry) && err.contains(rule), "{entry}: {err}");
        }
        for ok in [
            "::1",
            "fd00::/8",
            "127.0.0.1",
            "intranet.local",
            "[::1]:1-65535",
        ] {
            AllowEntry::parse(ok).unwrap();
        }
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
