#!/usr/bin/env python3
"""Run trafilatura over the main-content corpus and write its outputs for the Rust scorer.

usage: trafilatura_corpus.py CORPUS_DIR OUT_DIR [ROUNDS]

For each NAME.html writes OUT_DIR/NAME.txt: trafilatura's title (its metadata) on the first
line, then its main text (comments left out, tables kept), so it is scored like our
Markdown, which carries the headline. Prints the best-of-ROUNDS pages/s on one core
(extraction only, files already in memory).
"""
import os
import sys
import time

import trafilatura


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(out, exist_ok=True)
    names = sorted(f[:-5] for f in os.listdir(corpus) if f.endswith(".html"))
    pages = [(n, open(os.path.join(corpus, n + ".html"), encoding="utf-8").read()) for n in names]
    best = None
    results = {}
    for _ in range(rounds):
        start = time.perf_counter()
        for name, html in pages:
            doc = trafilatura.bare_extraction(html, include_comments=False, include_tables=True,
                                              with_metadata=True)
            if doc is None:
                results[name] = ""
                continue
            doc = doc if isinstance(doc, dict) else doc.as_dict()
            title = doc.get("title") or ""
            results[name] = (title + "\n" + (doc.get("text") or "")).strip()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    for name, text in results.items():
        with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8") as f:
            f.write(text)
    print(f"trafilatura {trafilatura.__version__}: {len(pages) / best:.0f} pages/s on one core "
          f"(best of {rounds})")


if __name__ == "__main__":
    main()
