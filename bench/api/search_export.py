"""Search latency and export throughput of Trawl's documents API (bench/api/run.sh).

usage: search_export.py API_BASE KEY SERVER_PID DOCUMENTS

Search: varied queries (one common word, several words, a rare title number, a phrase,
a word no page has), each asked ROUNDS times in turn, sequentially, first page of 20.
Export: the whole JSONL export streamed and counted; the server's peak RSS (VmHWM,
reset through /proc/PID/clear_refs just before) is read when it ends.
"""
import json, statistics, sys, time, urllib.parse, urllib.request

api, key, pid, docs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ROUNDS = 10
QUERIES = [
    "queue", "latency", "backup", "operator",
    "retry backoff", "secure token key", "crawl page metric health",
    "audit role admin", "stream batch record",
    "page 4711", "page 123", "section 7 throughput",
    '"worker queue"', "println main", "table column value",
    "zebra", "documents indexing", "restore", "host domain link", "signal",
]


def get(path):
    req = urllib.request.Request(api + path, headers={"Authorization": f"Bearer {key}"})
    return urllib.request.urlopen(req, timeout=120)


def search(q):
    t = time.perf_counter()
    with get("/api/v1/documents?limit=20&q=" + urllib.parse.quote(q)) as r:
        body = json.loads(r.read())
    return (time.perf_counter() - t) * 1000, len(body["data"])


def status(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


for q in QUERIES:  # warm-up: page cache, prepared statements
    search(q)
per = {q: [] for q in QUERIES}
hits = {}
for _ in range(ROUNDS):
    for q in QUERIES:
        ms, n = search(q)
        per[q].append(ms)
        hits[q] = n
lat = sorted(x for v in per.values() for x in v)
p = lambda xs, f: xs[min(len(xs) - 1, int(len(xs) * f))]
print(f"search: {len(lat)} requests, {len(QUERIES)} queries over {docs} documents: "
      f"p50_ms={statistics.median(lat):.2f} p99_ms={p(lat, 0.99):.2f} max_ms={lat[-1]:.2f}"
      f"   (target p50 ≤ 10 ms)")
for q in QUERIES:
    v = sorted(per[q])
    print(f"  {q!r:32} hits_on_page={hits[q]:3} p50_ms={statistics.median(v):7.2f} max_ms={v[-1]:7.2f}")

try:
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    reset = True
except OSError:
    reset = False
rss_before = status("VmRSS")
t = time.perf_counter()
size = lines = 0
with get("/api/v1/documents/export?format=jsonl") as r:
    tail = b""
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
        lines += chunk.count(b"\n")
elapsed = time.perf_counter() - t
hwm = status("VmHWM")
print(f"export: {lines} documents, {size / 1e6:.0f} MB in {elapsed:.1f}s = {size / 1e6 / elapsed:.0f} MB/s"
      f"   (target ≥ 50 MB/s)")
print(f"server RSS: {rss_before:.0f} MB before, peak {hwm:.0f} MB during the export"
      f"{'' if reset else ' (peak since start: clear_refs not writable)'}   (target ≤ 100 MB)")
