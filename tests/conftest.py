"""Fixtures shared by the kit's tests."""
import http.server
import threading
from pathlib import Path

import pytest
from tests.kit_paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-default-apps", "--disable-extensions"]
DATA_ENV = ("FASHION_MNIST_DIR", "FASHION_MNIST_CACHE", "FASHION_MNIST_URL",
            "FASHION_MNIST_SYSTEM_DIR")


@pytest.fixture(scope="session")
def project():
    """The project folder: kit, the pin files, helpers/."""
    return ROOT


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    """The folder holding the real Fashion-MNIST files, found as the kit finds it."""
    from helpers.data import find_data_dir
    return find_data_dir()


@pytest.fixture(scope="session")
def executed_lessons(tmp_path_factory):
    """Every lesson executed once per test run, shared by all test workers.

    Returns {stem: {"ok", "seconds", "error", "path"}} in lesson order; "path" is the
    executed copy. A worker that asks executes each lesson no other worker has taken (a
    lock per lesson), then waits for those the others are executing: the lessons run once,
    spread over the workers that need them, whoever asks first.
    """
    import fcntl
    import json
    from tools.lessons.notebooks import notebook_paths
    from tools.lessons.run import execute
    shared = shared_dir(tmp_path_factory, "executed-lessons")

    def result(path):
        return shared / f"{path.stem}.json"

    def run(path):  # with the lesson's lock held; closing its file releases it
        if not result(path).exists():
            ok, seconds, _, error = execute(path, shared / "notebooks")
            tmp = result(path).with_suffix(".tmp")
            tmp.write_text(json.dumps({"ok": ok, "seconds": round(seconds, 1), "error": error,
                                       "path": str(shared / "notebooks" / path.name)}))
            tmp.replace(result(path))

    paths = notebook_paths()
    waiting = []
    # The later lessons train more: starting from the last, the workers end on short ones
    # and the one that finishes first waits the least for the other.
    for path in reversed(paths):  # first every lesson nobody else is executing
        lock = open(shared / f"{path.stem}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting.append((path, lock))
            continue
        with lock:
            run(path)
    for path, lock in waiting:  # then those another worker is executing: wait for them
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            run(path)
    return {path.stem: json.loads(result(path).read_text()) for path in paths}


def shared_dir(tmp_path_factory, name):
    """A folder all test workers of this run share (the run's own one without xdist)."""
    import os
    if os.environ.get("PYTEST_XDIST_TESTRUNUID"):
        folder = tmp_path_factory.getbasetemp().parent / name
    else:
        folder = tmp_path_factory.getbasetemp() / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def classroom_bundle(tmp_path_factory):
    """`./kit bundle` (both platforms) built once per test run, whichever worker asks first."""
    import fcntl
    import subprocess
    import sys
    folder = shared_dir(tmp_path_factory, "classroom-bundle")
    out = folder / "softmax-kit-bundle.tar"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            r = subprocess.run([sys.executable, "tools/setup/bundle.py", "--out", str(out)],
                               cwd=ROOT, capture_output=True, text=True, timeout=1200)
            assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.fixture(scope="session")
def base_image(tmp_path_factory):
    """debian:bookworm-slim for the container tests, made once per test run (one mmdebstrap,
    whichever worker asks first; the others wait for it)."""
    import fcntl
    from tests.containers import make_base_image
    folder = shared_dir(tmp_path_factory, "base-image")
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return make_base_image(folder)


@pytest.fixture
def no_data_env(monkeypatch):
    """No FASHION_MNIST_* variable set: the loader uses only what a test passes it."""
    for var in DATA_ENV:
        monkeypatch.delenv(var, raising=False)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request 404 (a CONNECT 403), after writing down its request line."""

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except ConnectionError:
            pass

    def do_GET(self):
        self.server.requests.append(self.requestline)
        self.send_error(403 if self.command == "CONNECT" else 404)

    do_HEAD = do_POST = do_CONNECT = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    """A local server standing in for every host: .url, and .requests made to it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    # serve_forever looks for shutdown() between waits of poll_interval: 0.05 s, not its
    # default 0.5 s, which each test's teardown would wait out
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture(autouse=True)
def numpy_mode():
    """Every test starts in MXNet's NumPy mode (npx.set_np()), as the notebooks do."""
    from mxnet import npx
    npx.set_np()
    yield


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium, driven by Playwright, with no background networking."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed (/usr/bin/chromium): run ./kit test, whose "
                    "set-up installs Debian's chromium package", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
