"""A user of the kit's classroom server (`./kit hub`), over HTTP, as a browser would be.

For tests/test_hub.py and benchmarks/hub_load.py: log in with a password (the hub's login
form, checked by PAM), get an API token, start one's JupyterLab server and wait for it,
the Assignments panel's actions (nbgrader's server extension: list, fetch, submit, fetch
feedback), the contents API, and a command typed into a terminal of one's server.
"""
import asyncio
import json
import re
import secrets
import threading
import time

import requests

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")


class HubUser:
    """One account on the hub at `base` (http://127.0.0.1:8000)."""

    def __init__(self, base, name, password):
        self.base, self.name, self.password = base.rstrip("/"), name, password
        self.session = requests.Session()
        self.token = None

    def login(self):
        """The login form, as a browser sends it; then an API token. Seconds taken."""
        tic = time.perf_counter()
        s = self.session
        s.get(f"{self.base}/hub/login", timeout=60).raise_for_status()
        r = s.post(f"{self.base}/hub/login",
                   data={"username": self.name, "password": self.password,
                         "_xsrf": s.cookies.get("_xsrf", "")}, allow_redirects=False, timeout=60)
        if r.status_code != 302:
            raise RuntimeError(f"{self.name} could not log in (HTTP {r.status_code})")
        r = s.post(f"{self.base}/hub/api/users/{self.name}/tokens", json={"note": "kit"},
                   headers={"X-XSRFToken": s.cookies.get("_xsrf", "")}, timeout=60)
        r.raise_for_status()
        self.token = r.json()["token"]
        s.headers["Authorization"] = f"token {self.token}"
        return time.perf_counter() - tic

    def hub(self, method, path, **kwargs):
        r = self.session.request(method, f"{self.base}/hub/api{path}", timeout=120, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def start_server(self, timeout=180):
        """Start this user's JupyterLab server (if it is not running) and wait until it
        answers. Seconds taken."""
        tic = time.perf_counter()
        r = self.session.post(f"{self.base}/hub/api/users/{self.name}/server", timeout=120)
        if r.status_code not in (201, 202, 400):  # 400: already running
            r.raise_for_status()
        while time.perf_counter() - tic < timeout:
            server = self.hub("GET", f"/users/{self.name}")["servers"].get("", {})
            if server.get("ready"):
                return time.perf_counter() - tic
            time.sleep(0.25)
        raise TimeoutError(f"{self.name}'s server did not start within {timeout} s")

    def stop_server(self):
        self.session.delete(f"{self.base}/hub/api/users/{self.name}/server", timeout=120)

    def server(self, method, path, **kwargs):
        """A request to this user's own server (/user/<name>/<path>); the response."""
        kwargs.setdefault("timeout", 300)
        return self.session.request(method, f"{self.base}/user/{self.name}/{path}", **kwargs)

    def assignments(self, course_id=""):
        r = self.server("GET", "assignments", params={"course_id": course_id})
        r.raise_for_status()
        return r.json()

    def assignment_action(self, action, course_id, assignment_id):
        """fetch, submit or fetch_feedback, as the Assignments panel's buttons do."""
        r = self.server("POST", f"assignments/{action}",
                        data={"course_id": course_id, "assignment_id": assignment_id})
        r.raise_for_status()
        body = r.json()
        if not body.get("success"):
            raise RuntimeError(f"{self.name}: {action} {assignment_id} failed: {body}")
        return body["value"]

    def read(self, path):
        r = self.server("GET", f"api/contents/{path}")
        r.raise_for_status()
        return r.json()["content"]

    def write_notebook(self, path, notebook):
        r = self.server("PUT", f"api/contents/{path}",
                        json={"type": "notebook", "format": "json", "content": notebook})
        r.raise_for_status()

    def terminal(self, command, timeout=600):
        """Run `command` in a new terminal of this user's server (bash, as the user);
        (its exit status, what the terminal showed, ANSI sequences removed)."""
        r = self.server("POST", "api/terminals")
        r.raise_for_status()
        name = r.json()["name"]
        marker = f"KIT-{secrets.token_hex(4)}-DONE"
        url = f"{self.base.replace('http', 'ws', 1)}/user/{self.name}/terminals/websocket/{name}"
        result = {}

        async def talk():
            from tornado.httpclient import HTTPRequest
            from tornado.websocket import websocket_connect
            ws = await websocket_connect(HTTPRequest(
                url, headers={"Authorization": f"token {self.token}"}, validate_cert=False))
            await ws.write_message(json.dumps(["stdin", f"{command}; echo {marker}-$?\r"]))
            out, deadline = "", time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{command!r} did not finish within {timeout} s:\n{out}")
                msg = await asyncio.wait_for(ws.read_message(), left)
                if msg is None:
                    raise RuntimeError(f"the terminal closed: {out}")
                kind, *data = json.loads(msg)
                if kind == "stdout":
                    out += data[0]
                    done = re.search(rf"{marker}-(\d+)", ANSI.sub("", out))
                    if done:
                        result["status"] = int(done.group(1))
                        break
            ws.close()
            result["output"] = ANSI.sub("", out).replace("\r", "")

        def run():
            try:
                asyncio.run(talk())
            except Exception as e:  # handed to the caller
                result["error"] = e
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        self.server("DELETE", f"api/terminals/{name}")
        if "error" in result:
            raise result["error"]
        return result["status"], result["output"]
