//! robots.txt rules (RFC 9309, with Google's documented behaviour), wrapping the
//! `texting_robots` parser, which is tested against Google's own robotstxt suite.
//!
//! What to build when the fetch itself fails is the caller's choice, following Google:
//! a 4xx answer means [`Robots::allow_all`], a 5xx or network error [`Robots::disallow_all`].

use url::Url;

/// Google ignores anything in a robots.txt past 500 KiB; so do we, which also bounds work.
const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// The rules of one robots.txt for one user agent.
#[derive(Debug)]
pub struct Robots {
    rules: Rules,
}

#[derive(Debug)]
enum Rules {
    AllowAll,
    DisallowAll,
    Parsed(Box<texting_robots::Robot>),
}

impl Robots {
    /// Parses `body` for `user_agent`.
    ///
    /// `user_agent` may be a whole `User-Agent` header (`Trawl/0.1 (+https://…)`): groups are
    /// matched on its product token (`trawl`), case-insensitively, as RFC 9309 says. A body
    /// that cannot be parsed, or is empty, allows everything.
    pub fn parse(user_agent: &str, body: &[u8]) -> Robots {
        let body = &body[..body.len().min(MAX_ROBOTS_BYTES)];
        let token = product_token(user_agent);
        match texting_robots::Robot::new(&token, body) {
            Ok(robot) => Robots {
                rules: Rules::Parsed(Box::new(robot)),
            },
            Err(_) => Robots::allow_all(),
        }
    }

    /// Rules that allow every URL (robots.txt missing, or answered with a 4xx).
    pub fn allow_all() -> Robots {
        Robots {
            rules: Rules::AllowAll,
        }
    }

    /// Rules that forbid every URL (robots.txt answered with a 5xx or could not be fetched).
    pub fn disallow_all() -> Robots {
        Robots {
            rules: Rules::DisallowAll,
        }
    }

    /// Whether the crawler may fetch `url`. `/robots.txt` itself is always allowed.
    pub fn allowed(&self, url: &Url) -> bool {
        match &self.rules {
            Rules::AllowAll => true,
            Rules::DisallowAll => url.path() == "/robots.txt",
            // Only the path and query take part in matching, so hand over just those: it
            // spares texting_robots a second URL parse.
            Rules::Parsed(robot) => robot.allowed(&url[url::Position::BeforePath..]),
        }
    }

    /// The `Crawl-delay` for our group, in seconds, if one is given.
    pub fn crawl_delay(&self) -> Option<f32> {
        match &self.rules {
            Rules::Parsed(robot) => robot.delay.filter(|d| d.is_finite() && *d >= 0.0),
            _ => None,
        }
    }

    /// `Sitemap:` lines, which apply to every user agent, as written (maybe relative).
    pub fn sitemaps(&self) -> Vec<String> {
        match &self.rules {
            Rules::Parsed(robot) => robot.sitemaps.clone(),
            _ => Vec::new(),
        }
    }
}

/// The product token of a user agent (`Trawl/0.1 (+url)` → `trawl`): per RFC 9309 only
/// letters, `-` and `_` count.
fn product_token(user_agent: &str) -> String {
    let token: String = user_agent
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '-' || *c == '_')
        .collect();
    if token.is_empty() {
        "*".to_owned()
    } else {
        token.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(robots: &Robots, path: &str) -> bool {
        robots.allowed(&Url::parse(&format!("https://example.com{path}")).unwrap())
    }

    fn check(body: &str, cases: &[(&str, bool)]) {
        let robots = Robots::parse("FooBot/1.0 (+https://foo.example/bot)", body.as_bytes());
        for (path, want) in cases {
            assert_eq!(allowed(&robots, path), *want, "{path} in\n{body}");
        }
    }

    #[test]
    fn mksite_robots_disallows_private_only() {
        check(
            "User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n",
            &[
                ("/p/1.html", true),
                ("/private/secret1.html", false),
                ("/private", true),
            ],
        );
        let robots = Robots::parse(
            "trawl",
            b"User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n",
        );
        assert_eq!(robots.sitemaps(), vec!["/sitemap.xml".to_owned()]);
    }

    #[test]
    fn longest_match_wins() {
        // Google's documented examples.
        check(
            "user-agent: *\nallow: /p\ndisallow: /\n",
            &[("/page", true), ("/other", false)],
        );
        check(
            "user-agent: *\nallow: /folder\ndisallow: /folder\n",
            &[("/folder/page", true)],
        );
        check(
            "user-agent: *\nallow: /page\ndisallow: /*.htm\n",
            &[("/page.htm", false)],
        );
        check(
            "user-agent: *\nallow: /$\ndisallow: /\n",
            &[("/", true), ("/page.htm", false)],
        );
    }

    #[test]
    fn allow_wins_a_tie_between_equal_length_rules() {
        check(
            "user-agent: *\ndisallow: /a\nallow: /a\n",
            &[("/a", true), ("/ab", true)],
        );
    }

    #[test]
    fn wildcards_match_any_sequence_and_dollar_anchors_the_end() {
        let body = "user-agent: *\ndisallow: /fish*.php\ndisallow: /*.gif$\ndisallow: /*?\n";
        check(
            body,
            &[
                ("/fish.php", false),
                ("/fishheads/catfish.php?parameters", false),
                ("/Fish.PHP", true),
                ("/images/a.gif", false),
                ("/images/a.gif?x=1", false),
                ("/images/a.gifs", true),
                ("/search?q=1", false),
                ("/search", true),
            ],
        );
    }

    #[test]
    fn paths_are_case_sensitive() {
        check(
            "user-agent: *\ndisallow: /Private\n",
            &[("/Private/x", false), ("/private/x", true)],
        );
    }

    #[test]
    fn prefix_rules_follow_google_examples() {
        let body = "user-agent: *\ndisallow: /fish\n";
        check(
            body,
            &[
                ("/fish", false),
                ("/fish.html", false),
                ("/fish/salmon.html", false),
                ("/fishheads", false),
                ("/catfish", true),
                ("/?id=fish", true),
                ("/desert/fish", true),
            ],
        );
        check(
            "user-agent: *\ndisallow: /fish/\n",
            &[
                ("/fish/", false),
                ("/fish/salmon.htm", false),
                ("/fish", true),
                ("/fish.html", true),
            ],
        );
    }

    #[test]
    fn the_most_specific_user_agent_group_is_used() {
        let body = "user-agent: *\ndisallow: /\n\nuser-agent: foobot\ndisallow: /private\n";
        check(body, &[("/public", true), ("/private", false)]);
        let other = Robots::parse("OtherBot", body.as_bytes());
        assert!(!allowed(&other, "/public"));
    }

    #[test]
    fn user_agent_matching_ignores_case_and_merges_groups() {
        let body = "User-Agent: FOOBOT\nDisallow: /a\n\nuser-agent: other\ndisallow: /\n\nuser-agent: foobot\ndisallow: /b\n";
        check(body, &[("/a", false), ("/b", false), ("/c", true)]);
    }

    #[test]
    fn grouped_user_agents_share_rules() {
        let body = "user-agent: a\nuser-agent: foobot\nuser-agent: b\ndisallow: /x\n";
        check(body, &[("/x", false), ("/y", true)]);
    }

    #[test]
    fn empty_disallow_allows_everything() {
        check("user-agent: *\ndisallow:\n", &[("/anything", true)]);
    }

    #[test]
    fn empty_or_garbage_bodies_allow_everything() {
        check("", &[("/x", true)]);
        check(
            "<html><body>Not a robots file</body></html>",
            &[("/x", true)],
        );
        let robots = Robots::parse("foo", &[0xff, 0xfe, 0x00, 0x80]);
        assert!(allowed(&robots, "/x"));
    }

    #[test]
    fn robots_txt_itself_is_always_allowed() {
        check(
            "user-agent: *\ndisallow: /\n",
            &[("/robots.txt", true), ("/x", false)],
        );
        assert!(allowed(&Robots::disallow_all(), "/robots.txt"));
    }

    #[test]
    fn allow_all_and_disallow_all_do_what_they_say() {
        assert!(allowed(&Robots::allow_all(), "/x"));
        assert!(!allowed(&Robots::disallow_all(), "/x"));
        assert_eq!(Robots::disallow_all().crawl_delay(), None);
    }

    #[test]
    fn crawl_delay_and_sitemaps_are_reported() {
        let body = "Sitemap: https://example.com/s1.xml\nuser-agent: foobot\ncrawl-delay: 2.5\ndisallow: /x\nsitemap: https://example.com/s2.xml\n";
        let robots = Robots::parse("foobot", body.as_bytes());
        assert_eq!(robots.crawl_delay(), Some(2.5));
        assert_eq!(
            robots.sitemaps(),
            vec![
                "https://example.com/s1.xml".to_owned(),
                "https://example.com/s2.xml".to_owned()
            ]
        );
    }

    #[test]
    fn query_strings_take_part_in_matching() {
        check(
            "user-agent: *\ndisallow: /*?sort=\n",
            &[("/list?sort=asc", false), ("/list", true)],
        );
    }

    #[test]
    fn non_ascii_rules_match_percent_encoded_paths() {
        check(
            "user-agent: *\ndisallow: /café\n",
            &[("/café", false), ("/cafe", true)],
        );
    }

    #[test]
    fn product_token_is_taken_from_a_full_user_agent() {
        assert_eq!(product_token("Trawl/0.1 (+https://x)"), "trawl");
        assert_eq!(product_token("Mozilla/5.0"), "mozilla");
        assert_eq!(product_token("  "), "*");
    }
}
