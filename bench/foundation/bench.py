#!/usr/bin/env python3
"""Foundation figures: start-to-ready on a fresh SQLite database (migrations applied),
idle RSS, and GET /health/live throughput and p99 under wrk -t2 -c32 -d10s.

usage: bench.py PATH/TO/trawl [RUNS]
"""
import http.client, os, re, shutil, socket, subprocess, sys, tempfile, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def ready(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=0.2)
        c.request("GET", "/health/ready"); ok = c.getresponse().status == 200; c.close(); return ok
    except OSError:
        return False

def start(binary, workdir, port):
    env = {"PATH": os.environ["PATH"], "TRAWL_BIND": f"127.0.0.1:{port}", "TRAWL_LOG": "warn",
           "TRAWL_RATE_LIMIT_ENABLED": "false"}
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "serve"], cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not ready(port):
        if p.poll() is not None: sys.exit("trawl exited during start-up")
        time.sleep(0.0005)
    return p, (time.perf_counter() - t0) * 1000

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024

def main():
    binary = os.path.abspath(sys.argv[1]); runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    times = []
    for _ in range(runs):
        d = tempfile.mkdtemp(); port = free_port()
        p, ms = start(binary, d, port); times.append(ms)
        p.terminate(); p.wait(); shutil.rmtree(d)
    times.sort()
    print(f"start to ready (fresh SQLite, migrations applied): median {times[len(times)//2]:.1f} ms, max {times[-1]:.1f} ms   target <= 150 ms")
    d = tempfile.mkdtemp(); port = free_port()
    p, _ = start(binary, d, port)
    time.sleep(2)
    print(f"idle RSS: {rss_mb(p.pid):.1f} MB   target <= 25 MB (a comparable Rust scraping server idles at ~14 MB here)")
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t2", "-c32", "-d10s", "--latency", f"http://127.0.0.1:{port}/health/live"],
                             capture_output=True, text=True).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
        p99 = re.search(r"99%\s+(\S+)", out).group(1)
        print(f"GET /health/live, wrk -t2 -c32 -d10s: {float(rps):,.0f} req/s, p99 {p99}   target >= 40,000 req/s, p99 <= 5 ms")
        print(f"RSS after load: {rss_mb(p.pid):.1f} MB")
    else:
        print("wrk not installed (apt-get install wrk): throughput not measured")
    p.terminate(); p.wait(); shutil.rmtree(d)

main()
