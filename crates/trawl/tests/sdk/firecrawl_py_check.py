"""Drives a running Trawl with the published firecrawl-py SDK, unchanged.

usage: firecrawl_py_check.py API_URL API_KEY SITE_URL PAGES
Exits non-zero with a message on the first mismatch; prints one "ok" line per check.
"""
import sys

from firecrawl import Firecrawl

api, key, site, pages = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fc = Firecrawl(api_key=key, api_url=api)


def check(name, cond, detail=""):
    if not cond:
        print(f"FAILED {name}: {detail}", file=sys.stderr)
        sys.exit(1)
    print(f"ok {name}")


def meta(doc, field):
    m = doc.metadata
    return getattr(m, field, None) if m is not None else None


# scrape, with options (the SDK then sends its own defaults too)
doc = fc.scrape(f"{site}/p/1.html", formats=["markdown", "links"], only_main_content=True)
check("scrape markdown", doc.markdown and doc.markdown.startswith("# Page 1"), doc.markdown[:80] if doc.markdown else doc)
check("scrape links", doc.links and len(doc.links) > 3, doc.links)
check("scrape statusCode", meta(doc, "status_code") == 200, doc.metadata)

# crawl, blocking
job = fc.crawl(f"{site}/", limit=pages + 1, poll_interval=1)
check("crawl completed", job.status == "completed", job.status)
urls = [meta(d, "source_url") for d in job.data]
check("crawl every page once", len(urls) == pages + 1 and len(set(urls)) == len(urls), f"{len(urls)} pages")
check("crawl no private page", not any("/private/" in u for u in urls))

# crawl, start then poll; status pages past 100 documents
started = fc.start_crawl(f"{site}/", limit=3 * pages)
check("start_crawl id", bool(started.id))
import time
deadline = time.time() + 120
while True:
    status = fc.get_crawl_status(started.id)
    if status.status != "scraping":
        break
    if time.time() > deadline:
        check("start_crawl finishes", False, status.status)
    time.sleep(0.5)
check("get_crawl_status paginates", status.status == "completed" and len(status.data) == pages + 1,
      f"{status.status} {len(status.data)}")
errors = fc.get_crawl_errors(started.id)
check("crawl errors list robots-blocked", len(errors.robots_blocked) == pages, len(errors.robots_blocked))

# cancel
slow = fc.start_crawl(f"{site}/", limit=pages + 1, delay=1, max_concurrency=1)
check("cancel_crawl", fc.cancel_crawl(slow.id) is True)

# map
mapped = fc.map(f"{site}/", limit=1000)
links = [getattr(l, "url", l) for l in mapped.links]
check("map links", len(links) >= pages, len(links))

# batch scrape, blocking
batch = fc.batch_scrape([f"{site}/p/{i}.html" for i in range(5)], formats=["markdown"], poll_interval=1)
check("batch_scrape", batch.status == "completed" and len(batch.data) == 5, f"{batch.status} {len(batch.data)}")

# watcher: the WebSocket status stream. Its HTTP fallback (a poll after a quiet period
# or a failed socket) is counted, so the pages must all arrive over the socket.
import threading
from firecrawl.v2.watcher import Watcher

polls = []
_poll = Watcher._poll_status_once


async def counted_poll(self):
    polls.append(1)
    return await _poll(self)


Watcher._poll_status_once = counted_poll
for kind, started in [
    ("crawl", fc.start_crawl(f"{site}/", limit=pages + 1)),
    ("batch", fc.start_batch_scrape([f"{site}/p/{i}.html" for i in range(5)])),
]:
    want = pages + 1 if kind == "crawl" else 5
    docs, snapshots, done = [], [], threading.Event()
    w = fc.watcher(started.id, kind=kind, poll_interval=30, timeout=120)
    w.add_event_listener("document", lambda e: docs.append(e["data"]))
    w.add_event_listener("done", lambda e: done.set())
    w.add_listener(lambda job: snapshots.append(job.status))
    w.start()
    check(f"watcher {kind} done", done.wait(120), w.status)
    w.stop()
    urls = {d["metadata"]["sourceURL"] for d in docs}
    check(f"watcher {kind} every page once", len(docs) == want and len(urls) == want, len(docs))
    check(f"watcher {kind} snapshots", snapshots and snapshots[-1] == "completed", snapshots)
    check(f"watcher {kind} over the socket", not polls, f"{len(polls)} HTTP polls")

# team endpoints
check("get_concurrency", fc.get_concurrency() is not None)
check("get_credit_usage", fc.get_credit_usage() is not None)
check("get_queue_status", fc.get_queue_status() is not None)
print("all checks passed")
