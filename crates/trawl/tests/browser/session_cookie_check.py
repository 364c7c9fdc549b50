"""Drives Debian's headless Chromium over the DevTools protocol (websockets, pinned in
tests/sdk/requirements.txt) against a running Trawl: signs in through fetch() from a
page of the instance, reads back the cookie the browser kept, uses it, signs out.
Prints one JSON object with what it saw; tests/api/browser.rs judges it.

usage: session_cookie_check.py BASE_URL EMAIL PASSWORD CHROMIUM
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.sync.client import connect


class Page:
    def __init__(self, url):
        self.ws = connect(url, max_size=None, open_timeout=10)
        self.next_id = 0

    def call(self, method, params=None, timeout=20):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def wait_event(self, name, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("method") == name:
                return msg.get("params", {})


SCRIPT = """
(async () => {
  const json = {'content-type': 'application/json'};
  const login = await fetch('/api/v1/auth/login', {method: 'POST', headers: json,
      credentials: 'same-origin', body: JSON.stringify({email: %(email)s, password: %(password)s})});
  const body = await login.json();
  const me = await fetch('/api/v1/auth/me', {credentials: 'same-origin'});
  const meBody = await me.json();
  const noToken = await fetch('/api/v1/auth/logout', {method: 'POST', credentials: 'same-origin'});
  const logout = await fetch('/api/v1/auth/logout', {method: 'POST', credentials: 'same-origin',
      headers: {'x-csrf-token': body.csrf_token}});
  const after = await fetch('/api/v1/auth/me', {credentials: 'same-origin'});
  return JSON.stringify({login: login.status, me: me.status, me_kind: meBody.kind,
      logout_without_token: noToken.status, logout: logout.status, after_logout: after.status});
})()
"""


def main():
    base, email, password, chromium = sys.argv[1:5]
    profile = tempfile.mkdtemp(prefix="trawl-chromium-")
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        for _ in range(600):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        target = next(t for t in targets if t["type"] == "page")
        page = Page(target["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Page.navigate", {"url": base + "/docs"})
        page.wait_event("Page.loadEventFired")
        # Before signing in, then after signing in: what the browser keeps for this origin.
        result = page.call("Runtime.evaluate", {
            "expression": SCRIPT % {"email": json.dumps(email), "password": json.dumps(password)},
            "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        seen = json.loads(result["result"]["value"])
        # Sign in again and look at the cookie as the browser stored it.
        page.call("Runtime.evaluate", {
            "expression": "fetch('/api/v1/auth/login', {method: 'POST', credentials: 'same-origin',"
                          " headers: {'content-type': 'application/json'}, body: JSON.stringify("
                          "{email: %s, password: %s})}).then(r => r.status)"
                          % (json.dumps(email), json.dumps(password)),
            "awaitPromise": True, "returnByValue": True})
        cookies = page.call("Network.getCookies", {"urls": [base + "/"]})["cookies"]
        seen["cookies"] = [{k: c[k] for k in ("name", "httpOnly", "secure", "sameSite", "path")}
                           for c in cookies]
        print(json.dumps(seen))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
