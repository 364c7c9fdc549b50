//! Content statistics and language detection.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use url::Url;

use super::markdown::Rendered;
use super::{Analysis, Keyword};

const WORDS_PER_MINUTE: usize = 230;
const TOP_KEYWORDS: usize = 10;
/// whatlang is accurate well before this many bytes, and its cost grows with the input.
const DETECTION_SAMPLE_BYTES: usize = 4096;

pub(crate) fn analyse(rendered: &Rendered, links: &[String], page_url: &Url) -> Analysis {
    let word_count = rendered.word_count;
    let reading_time_minutes = if word_count == 0 {
        0
    } else {
        u32::try_from(word_count.div_ceil(WORDS_PER_MINUTE)).unwrap_or(u32::MAX)
    };
    let page_host = page_url.host_str().map(strip_www);
    let internal_links = links
        .iter()
        .filter(|l| serialized_host(l).map(strip_www) == page_host)
        .count();
    Analysis {
        word_count,
        reading_time_minutes,
        headings: rendered.headings.clone(),
        internal_links,
        external_links: links.len() - internal_links,
        top_keywords: top_keywords(&rendered.text),
        content_hash: hex::encode(Sha256::digest(rendered.markdown.as_bytes())),
    }
}

/// The host of an already-serialised absolute URL, found without parsing it again.
fn serialized_host(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    if host_port.starts_with('[') {
        return host_port.find(']').map(|end| &host_port[..=end]);
    }
    Some(host_port.split(':').next().unwrap_or(host_port))
}

/// `www.example.com` and `example.com` are one site for counting internal links.
fn strip_www(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

fn top_keywords(text: &str) -> Vec<Keyword> {
    let stop = stopwords();
    // Lower-casing the whole text at once lets every token be borrowed from it.
    let lower = text.to_lowercase();
    // Nearly every word fits in 16 bytes: those are counted under their bytes packed into
    // one integer, far cheaper to hash and compare than a string (this loop sees every
    // word of every page).
    let mut short: HashMap<u128, usize, FastHash> =
        HashMap::with_capacity_and_hasher(512, FastHash::default());
    let mut long: HashMap<&str, usize, FastHash> = HashMap::default();
    for token in Tokens::new(&lower) {
        if !is_keyword_candidate(token) {
            continue;
        }
        match pack(token) {
            Some(key) => *short.entry(key).or_insert(0) += 1,
            None => *long.entry(token).or_insert(0) += 1,
        }
    }
    // Stopwords are filtered from the distinct words, not from every occurrence.
    let mut ranked: Vec<Keyword> = short
        .into_iter()
        .map(|(key, count)| (unpack(key), count))
        .chain(
            long.into_iter()
                .map(|(word, count)| (word.to_owned(), count)),
        )
        .filter(|(word, _)| !stop.contains(word.as_str()))
        .map(|(word, count)| Keyword { word, count })
        .collect();
    ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    ranked.truncate(TOP_KEYWORDS);
    ranked
}

/// A word of at most 16 bytes as an integer. Zero bytes pad it: a word (alphanumeric
/// characters) never holds one, so the packing is reversible.
fn pack(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    let mut buf = [0u8; 16];
    buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(u128::from_le_bytes(buf))
}

fn unpack(key: u128) -> String {
    let buf = key.to_le_bytes();
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// Three letters or more, and not a number.
fn is_keyword_candidate(token: &str) -> bool {
    if token.is_ascii() {
        token.len() >= 3 && !token.bytes().all(|b| b.is_ascii_digit())
    } else {
        token.chars().nth(2).is_some() && !token.chars().all(char::is_numeric)
    }
}

/// The maximal runs of alphanumeric characters of a text (`split(!is_alphanumeric)`
/// without the empty pieces), reading ASCII a byte at a time: page text is mostly ASCII
/// and this loop runs over every character of it.
struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens { text, at: 0 }
    }

    /// The length of the non-ASCII character at `at` if it is alphanumeric.
    fn alphanumeric_at(&self, at: usize) -> Result<usize, usize> {
        let c = self.text[at..].chars().next().unwrap_or_default();
        if c.is_alphanumeric() {
            Ok(c.len_utf8())
        } else {
            Err(c.len_utf8())
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let mut i = self.at;
        loop {
            while i < bytes.len() && CLASS[usize::from(bytes[i])] == SEPARATOR {
                i += 1;
            }
            if i >= bytes.len() {
                self.at = i;
                return None;
            }
            if bytes[i].is_ascii() {
                break;
            }
            match self.alphanumeric_at(i) {
                Ok(_) => break,
                Err(n) => i += n,
            }
        }
        let start = i;
        loop {
            while i < bytes.len() && CLASS[usize::from(bytes[i])] == ALPHANUMERIC {
                i += 1;
            }
            if i >= bytes.len() || bytes[i].is_ascii() {
                break;
            }
            match self.alphanumeric_at(i) {
                Ok(n) => i += n,
                Err(_) => break,
            }
        }
        self.at = i;
        Some(&self.text[start..i])
    }
}

const SEPARATOR: u8 = 0;
const ALPHANUMERIC: u8 = 1;
const NON_ASCII: u8 = 2;

/// What each byte is to the tokenizer: one table read per byte instead of range tests.
static CLASS: [u8; 256] = {
    let mut class = [SEPARATOR; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        class[b] = if !byte.is_ascii() {
            NON_ASCII
        } else if byte.is_ascii_alphanumeric() {
            ALPHANUMERIC
        } else {
            SEPARATOR
        };
        b += 1;
    }
    class
};

/// FxHash: word counting hashes thousands of short keys per page, where SipHash's
/// flooding resistance buys nothing (a page can only slow down its own analysis).
type FastHash = rustc_hash::FxBuildHasher;

fn stopwords() -> &'static HashSet<&'static str, FastHash> {
    static STOP: OnceLock<HashSet<&'static str, FastHash>> = OnceLock::new();
    STOP.get_or_init(|| {
        [EN, DE, FR]
            .iter()
            .flat_map(|list| list.split_ascii_whitespace())
            .collect()
    })
}

/// Detects the language of `text` as an ISO 639-1 code, when whatlang is confident.
pub(crate) fn detect_language(text: &str) -> Option<String> {
    let mut end = text.len().min(DETECTION_SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let info = whatlang::detect(&text[..end])?;
    if !info.is_reliable() {
        return None;
    }
    iso_639_1(info.lang().code()).map(str::to_owned)
}

/// whatlang names languages by ISO 639-3; Firecrawl and `<html lang>` use ISO 639-1.
fn iso_639_1(code: &str) -> Option<&'static str> {
    const MAP: &[(&str, &str)] = &[
        ("afr", "af"),
        ("aka", "ak"),
        ("amh", "am"),
        ("ara", "ar"),
        ("aze", "az"),
        ("bel", "be"),
        ("ben", "bn"),
        ("bul", "bg"),
        ("cat", "ca"),
        ("ces", "cs"),
        ("cmn", "zh"),
        ("cym", "cy"),
        ("dan", "da"),
        ("deu", "de"),
        ("ell", "el"),
        ("eng", "en"),
        ("epo", "eo"),
        ("est", "et"),
        ("fin", "fi"),
        ("fra", "fr"),
        ("guj", "gu"),
        ("heb", "he"),
        ("hin", "hi"),
        ("hrv", "hr"),
        ("hun", "hu"),
        ("hye", "hy"),
        ("ind", "id"),
        ("ita", "it"),
        ("jav", "jv"),
        ("jpn", "ja"),
        ("kan", "kn"),
        ("kat", "ka"),
        ("khm", "km"),
        ("kor", "ko"),
        ("lat", "la"),
        ("lav", "lv"),
        ("lit", "lt"),
        ("mal", "ml"),
        ("mar", "mr"),
        ("mkd", "mk"),
        ("mya", "my"),
        ("nep", "ne"),
        ("nld", "nl"),
        ("nob", "nb"),
        ("ori", "or"),
        ("pan", "pa"),
        ("pes", "fa"),
        ("pol", "pl"),
        ("por", "pt"),
        ("ron", "ro"),
        ("rus", "ru"),
        ("sin", "si"),
        ("slk", "sk"),
        ("slv", "sl"),
        ("sna", "sn"),
        ("spa", "es"),
        ("srp", "sr"),
        ("swe", "sv"),
        ("tam", "ta"),
        ("tel", "te"),
        ("tgl", "tl"),
        ("tha", "th"),
        ("tuk", "tk"),
        ("tur", "tr"),
        ("ukr", "uk"),
        ("urd", "ur"),
        ("uzb", "uz"),
        ("vie", "vi"),
        ("yid", "yi"),
        ("zul", "zu"),
    ];
    MAP.iter()
        .find(|(three, _)| *three == code)
        .map(|(_, two)| *two)
}

const EN: &str = "a about above after again against all also am an and any are aren't as at be because been before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from further had hadn't has hasn't have haven't having he her here hers herself him himself his how i if in into is isn't it it's its itself just let me more most much must my myself no nor not now of off on once only or other ought our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up upon us very was wasn't we were what when where which while who whom why will with would you your yours yourself yourselves one two may might shall like get got also via see";
const DE: &str = "aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch auf aus bei bin bis bist da damit dann das dass dein deine dem den der des dessen dich die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einig er es etwas euch euer eure für gegen gewesen hab habe haben hat hatte hier hin hinter ich ihm ihn ihnen ihr ihre im in indem ins ist jede jedem jeden jeder jedes jene jetzt kann kein keine können könnte machen man manche mein meine mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine selbst sich sie sind so solche soll sondern sonst über um und uns unser unter viel vom von vor war waren was weil welche wenn werde werden wie wieder will wir wird wo wollen würde zu zum zur zwar zwischen";
const FR: &str = "au aux avec ce ces cette dans de des du elle en et eux il ils je la le les leur leurs lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous est sont été être avoir avait ont fait comme plus aussi tout tous toutes très sans sous entre alors donc car ceci cela celui celle ceux dont peut";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_skip_stopwords_short_words_and_numbers() {
        let kws =
            top_keywords("The crawler and the crawler: der Crawler, les robots 2024 robots ok.");
        let words: Vec<(&str, usize)> = kws.iter().map(|k| (k.word.as_str(), k.count)).collect();
        assert_eq!(words, vec![("crawler", 3), ("robots", 2)]);
    }

    #[test]
    fn tokens_are_the_alphanumeric_runs_of_mixed_scripts() {
        let text = "  Crawl-ready: naïve café, Straße 42x; 東京タワー…ok\u{a0}end__x ";
        let expected: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(Tokens::new(text).collect::<Vec<_>>(), expected);
        assert_eq!(Tokens::new("").count(), 0);
        assert_eq!(Tokens::new(" ,;… ").count(), 0);
    }

    #[test]
    fn words_up_to_sixteen_bytes_pack_and_unpack_unchanged() {
        for word in ["abc", "straße", "sixteenbyteword1", "東京タワー"] {
            assert_eq!(unpack(pack(word).expect(word)), word);
        }
        assert_eq!(pack("seventeen-bytes-x"), None);
    }

    #[test]
    fn keywords_longer_than_sixteen_bytes_and_non_ascii_are_counted() {
        let kws = top_keywords(
            "Internationalisation internationalisation STRASSE Straße straße Ωmega ab 123",
        );
        let words: Vec<(&str, usize)> = kws.iter().map(|k| (k.word.as_str(), k.count)).collect();
        assert_eq!(
            words,
            vec![
                ("internationalisation", 2),
                ("straße", 2),
                ("strasse", 1),
                ("ωmega", 1)
            ]
        );
    }

    #[test]
    fn hosts_are_read_from_serialised_urls() {
        assert_eq!(serialized_host("https://a.example/x"), Some("a.example"));
        assert_eq!(
            serialized_host("http://u:p@a.example:8080?q"),
            Some("a.example")
        );
        assert_eq!(serialized_host("http://[::1]:80/"), Some("[::1]"));
        assert_eq!(serialized_host("nonsense"), None);
    }

    #[test]
    fn english_german_and_french_text_is_detected() {
        assert_eq!(
            detect_language("The quick brown fox jumps over the lazy dog while the farmer watches from the field and wonders where the day went.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detect_language("Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer vom Feld aus zusieht und sich fragt, wohin der Tag gegangen ist.").as_deref(),
            Some("de")
        );
        assert_eq!(
            detect_language("Le renard brun rapide saute par-dessus le chien paresseux pendant que le fermier regarde depuis le champ et se demande où est passée la journée.").as_deref(),
            Some("fr")
        );
    }

    #[test]
    fn too_little_text_detects_nothing() {
        assert_eq!(detect_language(""), None);
        assert_eq!(detect_language("ok"), None);
    }

    #[test]
    fn every_whatlang_language_has_an_iso_639_1_code() {
        for lang in whatlang::Lang::all() {
            assert!(iso_639_1(lang.code()).is_some(), "{}", lang.code());
        }
    }
}
