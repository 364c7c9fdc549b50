//! What a rate limit allows: tiers (endpoint classes), quotas ("100/min") and policies
//! (one or more quotas that must all allow a request).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An endpoint class. Every route belongs to at most one; a request is counted against
/// its own tier only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Public,
    Authenticated,
    Admin,
    Scrape,
    Crawl,
    Map,
    Status,
    Search,
    Export,
    Upload,
    Health,
    Login,
    /// Routes in no other tier.
    Default,
}

impl Tier {
    pub const ALL: [Tier; 13] = [
        Tier::Public,
        Tier::Authenticated,
        Tier::Admin,
        Tier::Scrape,
        Tier::Crawl,
        Tier::Map,
        Tier::Status,
        Tier::Search,
        Tier::Export,
        Tier::Upload,
        Tier::Health,
        Tier::Login,
        Tier::Default,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Authenticated => "authenticated",
            Tier::Admin => "admin",
            Tier::Scrape => "scrape",
            Tier::Crawl => "crawl",
            Tier::Map => "map",
            Tier::Status => "status",
            Tier::Search => "search",
            Tier::Export => "export",
            Tier::Upload => "upload",
            Tier::Health => "health",
            Tier::Login => "login",
            Tier::Default => "default",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| {
                let names: Vec<_> = Tier::ALL.iter().map(|t| t.as_str()).collect();
                format!("unknown tier {s:?}; one of {}", names.join(", "))
            })
    }
}

impl Serialize for Tier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Tier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// `count` requests per `period`, as a GCRA: a burst of `count`, then one every
/// `period / count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub count: u32,
    pub period: Duration,
}

impl Quota {
    /// The emission interval in microseconds (at least 1).
    pub fn interval_us(&self) -> u64 {
        (self.period.as_micros() as u64 / u64::from(self.count)).max(1)
    }
}

/// One or more quotas; a request must fit all of them. An empty policy is "no limit".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy(pub Vec<Quota>);

impl Policy {
    pub fn unlimited(&self) -> bool {
        self.0.is_empty()
    }

    /// The `RateLimit-Policy` header value, e.g. `200;w=3600, 1000;w=86400`.
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|q| format!("{};w={}", q.count, q.period.as_secs()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromStr for Policy {
    type Err = String;

    /// `10/min`, `200/hour,1000/day`, `5/s`, or `off`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("unlimited") {
            return Ok(Policy(Vec::new()));
        }
        let mut quotas = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (n, unit) = part
                .split_once('/')
                .ok_or_else(|| format!("expected COUNT/UNIT such as 10/min, got {part:?}"))?;
            let count: u32 = n
                .trim()
                .parse()
                .map_err(|_| format!("count must be a whole number, got {n:?}"))?;
            if count == 0 {
                return Err("count must be at least 1 (use \"off\" for no limit)".into());
            }
            let secs = match unit.trim().to_ascii_lowercase().as_str() {
                "s" | "sec" | "second" => 1,
                "m" | "min" | "minute" => 60,
                "h" | "hour" => 3600,
                "d" | "day" => 86_400,
                other => {
                    return Err(format!(
                        "unit must be second, min, hour or day, got {other:?}"
                    ))
                }
            };
            quotas.push(Quota {
                count,
                period: Duration::from_secs(secs),
            });
        }
        if quotas.is_empty() {
            return Err("expected COUNT/UNIT such as 10/min, or off".into());
        }
        Ok(Policy(quotas))
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("off");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|q| {
                let unit = match q.period.as_secs() {
                    1 => "second",
                    60 => "min",
                    3600 => "hour",
                    _ => "day",
                };
                format!("{}/{unit}", q.count)
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl Serialize for Policy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_print_back() {
        let p: Policy = "200/hour, 1000/day".parse().unwrap();
        assert_eq!(p.0.len(), 2);
        assert_eq!(p.to_string(), "200/hour,1000/day");
        assert_eq!(p.header(), "200;w=3600, 1000;w=86400");
        assert!("off".parse::<Policy>().unwrap().unlimited());
        assert!("0/min".parse::<Policy>().is_err());
        assert!("10/week".parse::<Policy>().unwrap_err().contains("unit"));
    }
}
