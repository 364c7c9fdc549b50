//! The corpus scorer, shared by `tests/corpus.rs` and the `corpus_bench` example.
//!
//! Token F1 on bags of words: both texts are cut into maximal runs of alphanumeric
//! characters (Unicode `char::is_alphanumeric`), lower-cased; precision is the share of the
//! output's tokens found in the truth (each truth token matching at most as many times as it
//! occurs there), recall the share of the truth's tokens found in the output, F1 their
//! harmonic mean. Markdown syntax is not text: link destinations and images are removed
//! first, link text kept. An empty output scores 0 on all three.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Precision, recall and F1 of one output against its truth.
#[derive(Debug, Clone, Copy, Default)]
pub struct Score {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Score {
    /// The mean of each measure over `scores` (each page weighs the same).
    pub fn mean(scores: &[Score]) -> Score {
        let n = scores.len().max(1) as f64;
        Score {
            precision: scores.iter().map(|s| s.precision).sum::<f64>() / n,
            recall: scores.iter().map(|s| s.recall).sum::<f64>() / n,
            f1: scores.iter().map(|s| s.f1).sum::<f64>() / n,
        }
    }
}

/// The lower-cased alphanumeric runs of `text`.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Markdown as the words a reader sees: `![alt](src)` dropped, `[text](dest)` kept as text.
pub fn markdown_words(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
        let (before, after) = rest.split_at(i);
        // An image: drop from its `![` to the end of its destination.
        let before = match before.rfind("![") {
            Some(j) if !before[j..].contains('\n') => &before[..j],
            _ => before,
        };
        out.push_str(before);
        out.push(' ');
        let mut depth = 0usize;
        let mut end = after.len();
        for (k, c) in after.char_indices().skip(1) {
            match c {
                '(' => depth += 1,
                ')' if depth <= 1 => {
                    end = k + 1;
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Scores `output` tokens against `truth` tokens.
pub fn score(output: &[String], truth: &[String]) -> Score {
    if output.is_empty() || truth.is_empty() {
        return Score::default();
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in truth {
        *counts.entry(t).or_insert(0) += 1;
    }
    let mut hits = 0usize;
    for t in output {
        if let Some(c) = counts.get_mut(t.as_str()) {
            if *c > 0 {
                *c -= 1;
                hits += 1;
            }
        }
    }
    let precision = hits as f64 / output.len() as f64;
    let recall = hits as f64 / truth.len() as f64;
    let f1 = if hits == 0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Score {
        precision,
        recall,
        f1,
    }
}

/// One corpus page: its HTML, its expected main text and its expected headline.
pub struct Page {
    pub name: String,
    pub html: String,
    pub truth: String,
    pub headline: String,
}

/// The corpus pages in name order.
pub fn load_corpus(dir: &Path) -> Vec<Page> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let read = |ext: &str| {
                std::fs::read_to_string(path.with_extension(ext))
                    .unwrap_or_else(|e| panic!("read {}.{ext}: {e}", path.display()))
            };
            Page {
                name: path.file_stem().unwrap().to_string_lossy().into_owned(),
                html: read("html"),
                truth: read("txt"),
                headline: read("headline").trim().to_owned(),
            }
        })
        .collect()
}
