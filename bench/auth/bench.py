#!/usr/bin/env python3
"""Auth figures against a fresh SQLite instance.

1. GET /api/v1/jobs/{id} with `Authorization: Bearer trawl_…`, wrk -t2 -c32 -d10s.
2. GET /health/live p99 (wrk -t1 -c4) while 50 threads call POST /api/v1/auth/token.

usage: bench.py PATH/TO/trawl
"""
import http.client, json, os, re, shutil, socket, subprocess, sys, tempfile, threading, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def call(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"content-type": "application/json", **(headers or {})})
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data

def wrk(args):
    out = subprocess.run(["wrk", "--latency", *args], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    return rps, p50, p99

def main():
    binary = os.path.abspath(sys.argv[1])
    if not shutil.which("wrk"):
        sys.exit("wrk not installed (apt-get install wrk)")
    d = tempfile.mkdtemp(); port = free_port()
    env = {"PATH": os.environ["PATH"], "TRAWL_DATA_DIR": d, "TRAWL_BIND": f"127.0.0.1:{port}",
           "TRAWL_LOG": "warn", "TRAWL_JOBS_IN_PROCESS": "false",
           "TRAWL_RATE_LIMIT_ENABLED": "false"}
    run = lambda *a, **kw: subprocess.run([binary, *a], env=env, cwd=d, capture_output=True, text=True, check=True, **kw)
    run("migrate", "up")
    key = run("keys", "create", "--team", "default", "--name", "bench", "--role", "operator").stdout.strip()
    run("users", "create-admin", "--email", "bench@example.com", "--password-stdin", input="bench passphrase 123\n")
    p = subprocess.Popen([binary, "serve"], cwd=d, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                if call(port, "GET", "/health/ready")[0] == 200: break
            except OSError: pass
            if time.time() > deadline: sys.exit("trawl did not become ready")
            time.sleep(0.05)
        status, body = call(port, "POST", "/api/v1/jobs", {"kind": "scrape", "payload": {"url": "http://127.0.0.1:9/"}}, {"authorization": f"Bearer {key}"})
        assert status == 201, body
        job = json.loads(body)["id"]
        assert call(port, "GET", f"/api/v1/jobs/{job}", headers={"authorization": f"Bearer {key}"})[0] == 200
        rps, p50, p99 = wrk(["-t2", "-c32", "-d10s", "-H", f"Authorization: Bearer {key}",
                             f"http://127.0.0.1:{port}/api/v1/jobs/{job}"])
        print(f"API-key GET /api/v1/jobs/{{id}}, wrk -t2 -c32 -d10s: {rps:,.0f} req/s, p50 {p50}, p99 {p99}"
              f"   target >= 30,000 req/s, p99 <= 5 ms (bcrypt per request: 9.4 req/s, p50 815 ms)")
        # The same key on a route with no database work, and no auth at all: where the
        # time goes.
        rps, p50, p99 = wrk(["-t2", "-c32", "-d10s", "-H", f"Authorization: Bearer {key}",
                             f"http://127.0.0.1:{port}/api/v1/auth/me"])
        print(f"API-key GET /api/v1/auth/me (authentication only): {rps:,.0f} req/s, p50 {p50}, p99 {p99}")
        rps, p50, p99 = wrk(["-t2", "-c32", "-d10s", f"http://127.0.0.1:{port}/health/live"])
        print(f"GET /health/live (no authentication), same run: {rps:,.0f} req/s, p50 {p50}, p99 {p99}")

        stop = threading.Event(); logins = [0]; statuses = {}
        def login_loop():
            while not stop.is_set():
                s, _ = call(port, "POST", "/api/v1/auth/token",
                            {"email": "bench@example.com", "password": "bench passphrase 123"})
                statuses[s] = statuses.get(s, 0) + 1; logins[0] += 1
        threads = [threading.Thread(target=login_loop) for _ in range(50)]
        for t in threads: t.start()
        time.sleep(1)
        _, _, live_p99 = wrk(["-t1", "-c4", "-d8s", f"http://127.0.0.1:{port}/health/live"])
        stop.set()
        for t in threads: t.join()
        print(f"GET /health/live p99 during 50 concurrent logins: {live_p99}   target <= 10 ms "
              f"({logins[0]} logins, statuses {statuses})")
    finally:
        p.terminate(); p.wait(); shutil.rmtree(d)

main()
