"""One worker slot: a warm fork server and a uid of its own, grading one notebook at a time.

`Slot.execute` runs a notebook's code cells in a fresh sandboxed kernel and returns what
happened: each cell's outputs, the records the checks wrote, why it stopped early if it
did, and any process of the slot's uid still alive afterwards (there should be none).
`Slot.execute_with_retry` runs it again, once, without the cell that timed out or ended
the kernel, so that one bad cell costs only its own points.
"""
import json
import os
import queue
import re
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers.checks import records as record_files
from helpers.checks.messages import say
from helpers.checks.session import GRADING_DIR, GRADING_SEED
from grading.executor import Kernel, write_connection
from grading.sandbox import HOME, RUNTIME, Sandbox

ZYGOTE_START_SECONDS = 180
SPAWN_SECONDS = 60  # the server forks at once, but only once the last kernel has been reaped
EXIT_SECONDS = 30   # a killed kernel's exit; on a loaded machine, seconds
RECORD = re.compile(r"(?P<cell>[A-Za-z0-9_-]{1,80})\.(?P<index>[0-9]{1,4})\.npz")
STARTUP_ERROR = "startup-error.txt"
RECORDS = f"{HOME}/.grading"
BEGIN = "__import__('helpers.checks.session', fromlist=['begin']).begin({!r})"


@dataclass
class Execution:
    """What running a notebook gave."""

    runs: dict = field(default_factory=dict)      # cell index -> executor.CellRun
    records: dict = field(default_factory=dict)   # grade_id -> [(header, record) or error]
    stopped: str = None                           # why the run ended early, for the student
    stopped_at: int = None                        # the cell it ended at
    skipped: tuple = ()                           # cells left out (a retry)
    leftovers: list = field(default_factory=list)
    seconds: float = 0.0
    startup_error: str = None                     # why the kernel did not start (the teacher's)


def parse_records(files):
    """{grade_id: [(header, record) or error text]} from {file name: bytes}, indices 0, 1, ..."""
    by_cell = {}
    for name, data in files.items():
        m = RECORD.fullmatch(name)
        try:
            entry = record_files.read(data)
        except record_files.RecordError as e:
            entry = str(e)
        by_cell.setdefault(m["cell"], {})[int(m["index"])] = entry
    out = {}
    for cell, entries in by_cell.items():
        out[cell] = []
        while len(out[cell]) in entries:
            out[cell].append(entries[len(out[cell])])
    return out


class Slot:
    """A worker slot: its fork server, its folder and its uid."""

    def __init__(self, index, run_dir, kit, data_dir, limits, bwrap, uid):
        self.index, self.kit, self.data_dir, self.limits = index, kit, data_dir, limits
        self.dir = Path(run_dir) / f"slot{index}"
        self.bwrap, self.uid = bwrap, uid
        self.server, self.events = None, queue.Queue()

    # ------------------------------------------------------------ the fork server
    def start(self):
        """Start the fork server (seconds: it imports MXNet once)."""
        env = dict(os.environ, FASHION_MNIST_DIR=str(self.data_dir), PYTHONDONTWRITEBYTECODE="1")
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "server.log", "ab") as log:  # the teacher's, for diagnosis
            self.server = subprocess.Popen([sys.executable, "-m", "grading.zygote"],
                                           cwd=self.kit, env=env, stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, stderr=log, text=True)
        self.events = queue.Queue()
        threading.Thread(target=self._read_events, args=(self.server, self.events),
                         daemon=True).start()
        event = self._event(ZYGOTE_START_SECONDS)
        if event.get("event") != "ready":
            raise RuntimeError(f"worker {self.index}: the kernel server did not start ({event})")

    @staticmethod
    def _read_events(server, events):
        for line in server.stdout:
            try:
                events.put(json.loads(line))
            except ValueError:
                continue
        events.put({"event": "gone"})

    def _event(self, timeout):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return {"event": "silent"}

    def close(self):
        """Stop the fork server."""
        if self.server is not None and self.server.poll() is None:
            try:
                self.server.stdin.write('{"op": "quit"}\n')
                self.server.stdin.flush()
                self.server.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.server.kill()
                self.server.wait()
        self.server = None

    # ------------------------------------------------------------ one notebook
    def _spawn(self, sandbox, secret):
        if self.server is None or self.server.poll() is not None:
            self.start()
        env = {"HOME": HOME, "USER": "student", "PATH": "/usr/local/bin:/usr/bin:/bin",
               "LANG": "C.UTF-8", "MXNET_ENGINE_TYPE": "NaiveEngine", "OMP_NUM_THREADS": "1",
               "FASHION_MNIST_DIR": str(self.data_dir), "IPYTHONDIR": f"{HOME}/.ipython",
               "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONDONTWRITEBYTECODE": "1",
               GRADING_DIR: RECORDS, GRADING_SEED: secret}
        spec = {"op": "spawn", "holder": sandbox.pid, "uid": self.uid, "home": HOME,
                "grading_dir": RECORDS, "env": env,
                "rlimits": [[r, soft, hard] for r, (soft, hard) in self.limits.rlimits()],
                "connection_file": f"{RUNTIME}/connection.json",
                "error_file": f"{RUNTIME}/{STARTUP_ERROR}"}
        self.server.stdin.write(json.dumps(spec) + "\n")
        self.server.stdin.flush()
        deadline = time.monotonic() + SPAWN_SECONDS
        event = self._event(SPAWN_SECONDS)
        while event.get("event") == "exited":  # the last kernel's, later than execute waited
            event = self._event(max(deadline - time.monotonic(), 0))
        if event.get("event") != "spawned":
            raise RuntimeError(f"worker {self.index}: the kernel server did not answer ({event})")

    def execute(self, cells, limits_of, secret, skip=()):
        """Run the code cells of `cells` (grading.notebook.Cell) but `skip`; return an Execution."""
        tic = time.monotonic()
        ex = Execution(skipped=tuple(skip))
        sandbox = Sandbox(self.dir, self.uid, self.kit, self.data_dir, self.limits)
        exited = []

        def alive():
            while not exited:
                try:
                    event = self.events.get_nowait()
                except queue.Empty:
                    return True
                if event.get("event") in ("exited", "gone"):
                    exited.append(event)
            return False

        kernel, spawned = None, False
        try:
            try:
                sandbox.start(self.bwrap)
                info = write_connection(str(sandbox.runtime_dir), RUNTIME)
                self._spawn(sandbox, secret)
                spawned = True
            except RuntimeError as e:  # the machinery's, not the student's: the caller retries
                ex.stopped, ex.stopped_at = say("grading.kernel_died", cell=0), -1
                ex.startup_error = str(e)
                return ex
            kernel = Kernel(info, alive)
            if not kernel.connect(timeout=60):
                ex.stopped = say("grading.kernel_died", cell=0)
                ex.stopped_at = -1
                error = sandbox.runtime_dir / STARTUP_ERROR
                ex.startup_error = (error.read_text(errors="replace")[-2000:] if error.is_file()
                                    else "the kernel did not answer")
                return ex
            deadline = tic + self.limits.notebook_seconds
            for i, cell in enumerate(cells):
                if cell.cell_type != "code" or i in skip or not cell.source.strip():
                    continue
                left = deadline - time.monotonic()
                limit = min(limits_of(i, cell), left)
                if cell.is_test:  # only what this very cell's checks write counts
                    sandbox.clear_files(RECORDS, RECORD.pattern)
                    kernel.run(BEGIN.format(cell.grade_id), timeout=min(10, max(left, 0.1)),
                               silent=True)
                run = kernel.run(cell.source, timeout=max(limit, 0.1),
                                 chars=self.limits.output_chars,
                                 image_bytes=self.limits.image_bytes)
                ex.runs[i] = run
                if cell.is_test:
                    taken = sandbox.read_files(RECORDS, RECORD.pattern)
                    sandbox.clear_files(RECORDS, RECORD.pattern)
                    found = parse_records(taken)
                    ex.records[cell.grade_id] = found.get(cell.grade_id, [])
                if run.status in ("timeout", "died"):
                    ex.stopped_at = i
                    name = cell.grade_id or f"{i + 1}"
                    ex.stopped = (say("grading.timeout", cell=name, seconds=round(limit, 1))
                                  if run.status == "timeout" else
                                  say("grading.kernel_died", cell=name))
                    break
                if cell.is_test:
                    kernel.run(BEGIN.format(None), timeout=5, silent=True)
        finally:
            if kernel is not None:
                kernel.close()
            ex.leftovers = sandbox.stop()
            deadline = time.monotonic() + EXIT_SECONDS
            while spawned and not exited and self.server is not None and \
                    time.monotonic() < deadline:
                event = self._event(max(deadline - time.monotonic(), 0.01))
                if event.get("event") in ("exited", "gone"):
                    break
            ex.seconds = time.monotonic() - tic
        return ex

    def execute_with_retry(self, cells, limits_of, secret):
        """execute(); if a cell timed out or ended the kernel, run again once without it."""
        first = self.execute(cells, limits_of, secret)
        if first.stopped_at is None or first.stopped_at < 0 or \
                first.seconds >= self.limits.notebook_seconds:
            return first
        second = self.execute(cells, limits_of, secret, skip={first.stopped_at})
        second.stopped = first.stopped + (f"; then {second.stopped}" if second.stopped else "")
        second.leftovers = first.leftovers + second.leftovers
        second.seconds += first.seconds
        return second


def new_secret():
    """A fresh secret for one submission's inputs."""
    return secrets.token_hex(16)
