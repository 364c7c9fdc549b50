//! Roles (one per team membership, and a ceiling on every API key) and scopes (what a
//! credential may do).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role within one team. Ordered: `Viewer < Operator < Admin`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the team's jobs, documents and schedules.
    Viewer,
    /// Also creates and cancels jobs and schedules, and uses scrape, crawl and map.
    Operator,
    /// Also manages members, API keys and team settings, and reads the audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Every scope this role allows; a key created without `--scopes` gets these.
    pub fn scopes(self) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| s.min_role() <= self)
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            _ => Err("must be one of admin, operator, viewer"),
        }
    }
}

/// What a credential may do. A key's scopes never exceed what its role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Scrape,
    Crawl,
    Map,
    JobsRead,
    JobsWrite,
    DocumentsRead,
    Admin,
}

/// Scopes serialise as their names (`jobs:read`), so the schema is written from [`Scope::ALL`].
impl utoipa::PartialSchema for Scope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(Scope::ALL.map(Scope::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for Scope {}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::Scrape,
        Scope::Crawl,
        Scope::Map,
        Scope::JobsRead,
        Scope::JobsWrite,
        Scope::DocumentsRead,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Scrape => "scrape",
            Scope::Crawl => "crawl",
            Scope::Map => "map",
            Scope::JobsRead => "jobs:read",
            Scope::JobsWrite => "jobs:write",
            Scope::DocumentsRead => "documents:read",
            Scope::Admin => "admin",
        }
    }

    /// The least role that may hold this scope.
    pub fn min_role(self) -> Role {
        match self {
            Scope::JobsRead | Scope::DocumentsRead => Role::Viewer,
            Scope::Scrape | Scope::Crawl | Scope::Map | Scope::JobsWrite => Role::Operator,
            Scope::Admin => Role::Admin,
        }
    }

    /// Parses a comma-separated list; empty items are ignored, duplicates dropped.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, String> {
        let mut out: Vec<Scope> = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let scope = item.parse()?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        out.sort();
        Ok(out)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown scope {s:?}; known: {}", names.join(", "))
            })
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_grant_growing_scopes() {
        assert!(Role::Viewer < Role::Operator && Role::Operator < Role::Admin);
        assert_eq!(
            Role::Viewer.scopes(),
            vec![Scope::JobsRead, Scope::DocumentsRead]
        );
        assert!(Role::Operator.scopes().contains(&Scope::Scrape));
        assert!(!Role::Operator.scopes().contains(&Scope::Admin));
        assert_eq!(Role::Admin.scopes().len(), Scope::ALL.len());
    }

    #[test]
    fn scope_lists_parse_and_unknown_scopes_are_named() {
        assert_eq!(
            Scope::parse_list("crawl, scrape,crawl").unwrap(),
            vec![Scope::Scrape, Scope::Crawl]
        );
        assert!(Scope::parse_list("scrape,fly").unwrap_err().contains("fly"));
    }
}
