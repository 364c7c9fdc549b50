#!/usr/bin/env python3
"""Kill experiments on the job queue (issue 21): SIGKILL a process that holds running
jobs and time how long until each of its jobs runs again; then check that nothing was
lost or stored twice.

  kill.py worker-pg URL   -- API-less: 3 `trawl worker` processes on PostgreSQL, kill one
                              at a time (the others stay up), start a replacement.
  kill.py server-sqlite   -- `trawl serve` (in-process workers) on SQLite: kill the
                              server, start it again at once.

Jobs are the test kind `test.record` (sleeps `ms`, then records its execution), inserted
with SQL. Everything is on loopback; only processes this script started are killed, by
pid. Prints one line per kill, the figures, and PASS or FAIL against the target
(kill -> running again: p50 <= 3 s, max <= 6 s; 0 lost; 0 duplicated).

Environment: TRAWL_BIN (default: target/release/trawl), KILLS (10 / 5), JOBS (400 / 200),
JOB_MS (1500).
"""

import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("TRAWL_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "trawl")
TEAM = "00000000-0000-7000-8000-000000000001"
JOB_MS = int(os.environ.get("JOB_MS", "1500"))
started = []


class Db:
    """Just enough SQL for the experiment, on either backend."""

    def __init__(self, url):
        self.url = url
        self.pg = url.startswith("postgres")
        if not self.pg:
            self.conn = sqlite3.connect(url.removeprefix("sqlite://").split("?")[0], timeout=30)

    def rows(self, sql):
        if self.pg:
            out = subprocess.run(["psql", "-X", "-At", "-F", "\t", self.url, "-c", sql],
                                 check=True, capture_output=True, text=True).stdout
            return [line.split("\t") for line in out.splitlines() if line]
        cur = self.conn.execute(sql)
        rows = [[("" if v is None else str(v)) for v in r] for r in cur.fetchall()]
        self.conn.commit()
        return rows

    def exec(self, sql):
        if self.pg:
            subprocess.run(["psql", "-X", "-q", self.url, "-c", sql], check=True,
                           capture_output=True)
        else:
            self.conn.executescript(sql)
            self.conn.commit()


def env_for(db_url, data_dir, extra=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TRAWL_DATABASE_URL": db_url,
        "TRAWL_DATA_DIR": data_dir,
        "TRAWL_JOBS_TEST_KINDS": "1",
        "TRAWL_LOG": "warn",
        "TRAWL_RATE_LIMIT_ENABLED": "false",
    }
    env.update(extra or {})
    return env


def spawn(args, env, log):
    p = subprocess.Popen([BIN] + args, env=env, stdout=subprocess.PIPE, stderr=log,
                         stdin=subprocess.DEVNULL, text=True)
    started.append(p)
    first = p.stdout.readline()
    return p, first


def kill9(p):
    p.send_signal(signal.SIGKILL)
    p.wait()



def running_owners(db):
    return {r[0]: int(r[1]) for r in db.rows(
        "SELECT lease_owner, count(*) FROM jobs WHERE state = 'running' GROUP BY lease_owner")}


def wait_back(db, jobs, since, limit=30.0):
    """Seconds from `since` until each job (id -> attempt at the kill) runs again."""
    left = dict(jobs)
    back = []
    while left and time.monotonic() - since < limit:
        ids = ",".join(f"'{i}'" for i in left)
        for jid, attempt, state in db.rows(
                f"SELECT id, attempt, state FROM jobs WHERE id IN ({ids})"):
            if int(attempt) > left[jid] and state != "queued":
                back.append(time.monotonic() - since)
                del left[jid]
        time.sleep(0.02)
    return back, len(left)


def verify(db, n):
    """(lost, duplicated): jobs not succeeded; jobs whose final attempt ran twice or whose
    stored result is not the final attempt's."""
    states = dict((r[0], int(r[1])) for r in db.rows(
        "SELECT state, count(*) FROM jobs WHERE kind = 'test.record' GROUP BY state"))
    lost = n - states.get("succeeded", 0)
    runs = {}
    for jid, attempt in db.rows("SELECT CAST(job_id AS TEXT), attempt FROM test_job_runs"):
        runs[(jid, int(attempt))] = runs.get((jid, int(attempt)), 0) + 1
    dup = 0
    for jid, attempt, result in db.rows(
            "SELECT CAST(id AS TEXT), attempt, CAST(result AS TEXT) FROM jobs "
            "WHERE kind = 'test.record' AND state = 'succeeded'"):
        r = json.loads(result)
        if runs.get((jid, int(attempt)), 0) != 1 or r.get("attempt") != int(attempt):
            dup += 1
    return lost, dup, states


def wait_all_done(db, n, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        left = int(db.rows("SELECT count(*) FROM jobs WHERE kind = 'test.record' "
                           "AND state IN ('queued', 'running', 'failed')")[0][0])
        if left == 0:
            return True
        time.sleep(0.1)
    return False


def report(name, back, missing, lost, dup, states, rescues_used):
    back = sorted(back)
    p50 = statistics.median(back) if back else float("nan")
    worst = max(back) if back else float("nan")
    print(f"== {name}: {len(back)} interrupted jobs ran again; kill -> running again "
          f"p50 {p50:.2f} s, max {worst:.2f} s; never came back {missing}; "
          f"lost {lost}; duplicated {dup}; states {states}; failure attempts used by "
          f"kills {rescues_used}")
    ok = back and p50 <= 3.0 and worst <= 6.0 and missing == 0 and lost == 0 and dup == 0 \
        and rescues_used == 0
    print(("PASS" if ok else "FAIL") + f" {name} (target p50 <= 3 s, max <= 6 s, 0 lost, "
          "0 duplicated, kills use no failure attempt)")
    return ok


def insert_jobs(db, n):
    rows = ",".join(
        f"('{uuid.uuid4()}', '{TEAM}', 'test.record', '{{\"ms\": {JOB_MS}, \"i\": {i}}}')"
        for i in range(n))
    db.exec(f"INSERT INTO jobs (id, team_id, kind, payload) VALUES {rows};")


def kill_used_attempts(db):
    # A kill gives its attempt back (max_attempts grows with it): attempts minus rescues
    # is what failures used. None of these jobs fails, so it must be 1 for all.
    return int(db.rows("SELECT count(*) FROM jobs WHERE kind = 'test.record' "
                       "AND attempt - rescues > 1")[0][0])


def worker_pg(url):
    kills = int(os.environ.get("KILLS", "10"))
    n = int(os.environ.get("JOBS", "400"))
    data = tempfile.mkdtemp()
    log = open(os.path.join(data, "workers.log"), "w")
    env = env_for(url, data)
    subprocess.run([BIN, "migrate", "up"], env=env, check=True, capture_output=True)
    db = Db(url)
    db.exec("CREATE TABLE IF NOT EXISTS test_job_runs (job_id UUID NOT NULL, "
            "attempt INTEGER NOT NULL, worker TEXT NOT NULL)")
    workers = {}

    def start_worker():
        p, line = spawn(["worker", "--concurrency", "8"], env, log)
        wid = line.split("worker ")[1].split()[0]
        workers[wid] = p

    for _ in range(3):
        start_worker()
    insert_jobs(db, n)
    back, missing = [], 0
    for k in range(kills):
        time.sleep(1.0)
        owners = running_owners(db)
        victim = max((w for w in workers if owners.get(w)), key=lambda w: owners[w],
                     default=None)
        if victim is None:
            break
        held = dict((r[0], int(r[1])) for r in db.rows(
            f"SELECT id, attempt FROM jobs WHERE state = 'running' AND lease_owner = '{victim}'"))
        t0 = time.monotonic()
        kill9(workers.pop(victim))
        start_worker()
        b, m = wait_back(db, held, t0)
        back += b
        missing += m
        print(f"kill {k + 1}: worker held {len(held)} running jobs; back after "
              f"{', '.join(f'{x:.2f}' for x in sorted(b)[:3])}{'...' if len(b) > 3 else ''} s"
              f" (max {max(b) if b else float('nan'):.2f} s)", flush=True)
    done = wait_all_done(db, n, 300)
    lost, dup, states = verify(db, n)
    used = kill_used_attempts(db)
    for p in workers.values():
        p.send_signal(signal.SIGTERM)
        p.wait()
    ok = report("worker kill, PostgreSQL, 3 workers", back, missing, lost if done else n, dup,
                states, used)
    return ok


def server_sqlite():
    kills = int(os.environ.get("KILLS", "5"))
    n = int(os.environ.get("JOBS", "200"))
    data = tempfile.mkdtemp()
    path = os.path.join(data, "trawl.db")
    url = f"sqlite://{path}"
    log = open(os.path.join(data, "server.log"), "w")
    port = int(os.environ.get("PORT", "18721"))
    env = env_for(url, data, {"TRAWL_BIND": f"127.0.0.1:{port}",
                              "TRAWL_JOBS_CONCURRENCY": "16"})
    subprocess.run([BIN, "migrate", "up"], env=env, check=True, capture_output=True)
    db = Db(url)
    db.exec("CREATE TABLE IF NOT EXISTS test_job_runs (job_id TEXT NOT NULL, "
            "attempt INTEGER NOT NULL, worker TEXT NOT NULL)")
    server, _ = spawn(["serve"], env, log)
    insert_jobs(db, n)
    back, missing = [], 0
    for k in range(kills):
        time.sleep(1.5)
        held = dict((r[0], int(r[1])) for r in db.rows(
            "SELECT id, attempt FROM jobs WHERE state = 'running'"))
        if not held:
            break
        t0 = time.monotonic()
        kill9(server)
        server, _ = spawn(["serve"], env, log)
        b, m = wait_back(db, held, t0)
        back += b
        missing += m
        print(f"kill {k + 1}: server held {len(held)} running jobs; restarted; max back "
              f"{max(b) if b else float('nan'):.2f} s", flush=True)
    done = wait_all_done(db, n, 300)
    lost, dup, states = verify(db, n)
    used = kill_used_attempts(db)
    server.send_signal(signal.SIGTERM)
    server.wait()
    return report("server kill and restart, SQLite", back, missing, lost if done else n, dup,
                  states, used)


def main():
    try:
        if sys.argv[1] == "worker-pg":
            ok = worker_pg(sys.argv[2])
        elif sys.argv[1] == "server-sqlite":
            ok = server_sqlite()
        else:
            sys.exit(__doc__)
    finally:
        for p in started:
            if p.poll() is None:
                p.kill()
                p.wait()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
