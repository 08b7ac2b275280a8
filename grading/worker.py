"""One worker slot: a warm fork server, grading one notebook at a time in a fresh sandbox.

`Slot.execute` runs a notebook's code cells in a fresh sandboxed kernel and returns what
happened: each cell's outputs, the records the checks wrote, why it stopped early if it
did, and any process of the sandbox still alive afterwards (there should be none).
`Slot.execute_with_retry` runs it again, once, without the cell that timed out or ended
the kernel, so that one bad cell costs only its own points (a kernel that ended by itself
is given one run with every cell first: the machine may have ended it); all runs together
stay within the notebook's time budget.
"""
import json
import queue
import re
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grading.checks import records as record_files
from grading.checks.messages import say
from grading.checks.session import GRADING_DIR, GRADING_SEED
from grading.clock import Clock, only_child
from grading.executor import CONNECTION, Kernel, connection
from grading.sandbox import HOME, ROOT, RUNTIME, Sandbox

ZYGOTE_START_SECONDS = 180
SPAWN_SECONDS = 60  # the server forks at once, but only once the last kernel has been reaped
EXIT_SECONDS = 30   # a killed kernel's exit; on a loaded machine, seconds
RECORD = re.compile(r"(?P<cell>[A-Za-z0-9_-]{1,80})\.(?P<index>[0-9]{1,4})\.npz")
RECORDS = f"{HOME}/.grading"
CELL_RECORD_BYTES = 64 * 2**20  # what the records of one test cell may hold, unpacked
BEGIN = "__import__('grading.checks.session', fromlist=['begin']).begin({!r}, {!r})"


def kernel_environment(data_dir):
    """The environment of every kernel (and of the fork server, whose block the kernels keep)."""
    env = {"HOME": HOME, "USER": "student", "PATH": "/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "MXNET_ENGINE_TYPE": "NaiveEngine", "OMP_NUM_THREADS": "1",
           "IPYTHONDIR": f"{HOME}/.ipython", "MPLCONFIGDIR": "/tmp/matplotlib",
           "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    if data_dir is not None:
        env["FASHION_MNIST_DIR"] = str(data_dir)
    return env


@dataclass
class Execution:
    """What running a notebook gave."""

    runs: dict = field(default_factory=dict)      # cell index -> executor.CellRun
    records: dict = field(default_factory=dict)   # grade_id -> [(header, record) or error]
    stopped: str = None                           # why the run ended early, for the student
    stopped_at: int = None                        # the cell it ended at
    out_of_time: bool = False                     # it ended because the budget ran out
    skipped: tuple = ()                           # cells left out (a retry)
    leftovers: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)  # "cell: why" of records not read
    seconds: float = 0.0                          # all of it, the sandbox's start included
    run_seconds: float = 0.0                      # the cells alone, from the kernel's answer,
                                                  # as charged (grading.clock)
    startup_error: str = None                     # why the kernel did not start (the teacher's)
    exit_status: int = None                       # the kernel's exit code, 128 + N if signal
                                                  # N ended it (-N: N ended its waiting parent)
    deaths: list = field(default_factory=list)    # [(cell, exit_status)]: kernels that
                                                  # ended by themselves during a cell
    rerun: str = None                             # why the notebook ran again with every
                                                  # cell (a kernel ended by itself once)


def parse_records(files, max_bytes=CELL_RECORD_BYTES):
    """{grade_id: [(header, record) or error text]} from {file name: bytes}, indices 0, 1, ...

    The files of one cell may hold `max_bytes` once unpacked, in all: a record past that
    is an error, as is a file that is not a well-formed record.
    """
    by_cell, left = {}, max_bytes
    for name in sorted(files, key=lambda n: (RECORD.fullmatch(n)["cell"],
                                             int(RECORD.fullmatch(n)["index"]))):
        m = RECORD.fullmatch(name)
        try:
            entry, size = record_files.read(files[name], max_bytes=left)
            left -= size
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
    """A worker slot: its fork server, its folder, and (as root) its uid."""

    def __init__(self, index, run_dir, kit, data_dir, limits, bwrap, uid, mode=ROOT):
        self.index, self.kit, self.data_dir, self.limits = index, kit, data_dir, limits
        self.dir = Path(run_dir) / f"slot{index}"
        self.bwrap, self.uid, self.mode = bwrap, uid, mode
        self.server, self.events = None, queue.Queue()

    # ------------------------------------------------------------ the fork server
    def start(self):
        """Start the fork server (seconds: it imports MXNet once)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "server.log", "ab") as log:  # the teacher's, for diagnosis
            self.server = subprocess.Popen([sys.executable, "-m", "grading.zygote"],
                                           cwd=self.kit, env=kernel_environment(self.data_dir),
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=log, text=True)
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
        env = dict(kernel_environment(self.data_dir), **{GRADING_DIR: RECORDS,
                                                          GRADING_SEED: secret})
        spec = {"op": "spawn", "holder": sandbox.pid, "mode": self.mode,
                "uid": sandbox.kernel_uid, "home": HOME, "grading_dir": RECORDS, "env": env,
                "rlimits": [[r, soft, hard] for r, (soft, hard) in self.limits.rlimits()],
                "connection_file": f"{RUNTIME}/{CONNECTION}", "files": self.limits.scratch_files}
        self.server.stdin.write(json.dumps(spec) + "\n")
        self.server.stdin.flush()
        deadline = time.monotonic() + SPAWN_SECONDS
        event = self._event(SPAWN_SECONDS)
        while event.get("event") in ("exited", "startup-error"):  # the last kernel's, late
            event = self._event(max(deadline - time.monotonic(), 0))
        if event.get("event") != "spawned":
            raise RuntimeError(f"worker {self.index}: the kernel server did not answer ({event})")
        return event.get("pid")  # the server's child that forks the kernel and waits for it

    def execute(self, cells, limits_of, secret, skip=(), budget=None, forbid_of=None):
        """Run the code cells of `cells` (grading.notebook.Cell) but `skip`; return an Execution.

        budget: seconds for the cells, from the kernel's first answer (default: the
        limits' notebook_seconds);
        forbid_of(grade_id): the names a test cell's checks trap while they run the
        student's code (default: none).
        """
        tic = time.monotonic()
        budget = self.limits.notebook_seconds if budget is None else budget
        ex = Execution(skipped=tuple(skip))
        sandbox = Sandbox(self.dir, self.uid, self.kit, self.data_dir, self.limits, self.mode)
        exited, reports = [], []

        def alive():
            while not exited:
                try:
                    event = self.events.get_nowait()
                except queue.Empty:
                    return True
                if event.get("event") == "startup-error":
                    reports.append(str(event.get("text", ""))[-2000:])
                elif event.get("event") in ("exited", "gone"):
                    exited.append(event)
            return False

        kernel, spawned, waiter = None, False, None
        try:
            try:
                sandbox.start(self.bwrap)
                data, info = connection(RUNTIME, f"/proc/{sandbox.pid}/root{RUNTIME}")
                sandbox.write_file(RUNTIME, CONNECTION, data)
                waiter = self._spawn(sandbox, secret)
                spawned = True
            except (RuntimeError, OSError) as e:  # the machinery's: the caller retries
                ex.stopped, ex.stopped_at = say("grading.kernel_died", cell=0), -1
                ex.startup_error = str(e)
                return ex
            kernel = Kernel(info, alive)
            if not kernel.connect(timeout=60):
                alive()
                ex.stopped = say("grading.kernel_died", cell=0)
                ex.stopped_at = -1
                ex.startup_error = reports[-1] if reports else "the kernel did not answer"
                return ex
            # The budget and the cells' limits count the time charged (grading.clock): on a
            # busy machine, the kernel's waits for a CPU are not charged.
            clock = Clock(only_child(waiter) if isinstance(waiter, int) else None,
                          self.limits.busy_factor)
            started = clock()
            deadline = started + budget
            images = {"left": self.limits.notebook_image_bytes}
            for i, cell in enumerate(cells):
                if cell.cell_type != "code" or i in skip or not cell.source.strip():
                    continue
                left = deadline - clock()
                limit = limits_of(i, cell)
                if left <= 0:
                    ex.stopped_at, ex.out_of_time = i, True
                    ex.stopped = say("grading.budget", cell=cell.grade_id or f"{i + 1}",
                                     seconds=round(budget, 1))
                    break
                if cell.is_test:  # only what this very cell's checks write counts
                    sandbox.clear_files(RECORDS, RECORD.pattern)
                    forbid = list(forbid_of(cell.grade_id)) if forbid_of else []
                    kernel.run(BEGIN.format(cell.grade_id, forbid),
                               timeout=min(10, max(left, 0.1)), silent=True, clock=clock)
                run = kernel.run(cell.source, timeout=max(min(limit, left), 0.1),
                                 chars=self.limits.output_chars,
                                 image_bytes=self.limits.image_bytes, images=images,
                                 clock=clock)
                ex.runs[i] = run
                if cell.is_test:
                    taken, left_out = sandbox.read_files(RECORDS, RECORD.pattern)
                    sandbox.clear_files(RECORDS, RECORD.pattern)
                    found = parse_records(taken)
                    ex.records[cell.grade_id] = found.get(cell.grade_id, [])
                    ex.unreadable += [f"{cell.grade_id}: {e}" for e in
                                      ex.records[cell.grade_id] if isinstance(e, str)]
                    if left_out:
                        ex.unreadable.append(f"{cell.grade_id}: {len(left_out)} record files "
                                             "over the limits, not read")
                if run.status in ("timeout", "died"):
                    ex.stopped_at = i
                    name = cell.grade_id or f"{i + 1}"
                    if run.status == "timeout" and left < limit:
                        ex.out_of_time = True
                        ex.stopped = say("grading.budget", cell=name, seconds=round(budget, 1))
                    else:
                        ex.stopped = (say("grading.timeout", cell=name, seconds=round(limit, 1))
                                      if run.status == "timeout" else
                                      say("grading.kernel_died", cell=name))
                    break
                if cell.is_test:
                    kernel.run(BEGIN.format(None, []), timeout=5, silent=True)
            ex.run_seconds = clock() - started
        finally:
            if kernel is not None:
                kernel.close()
            ex.leftovers = sandbox.stop()
            deadline = time.monotonic() + EXIT_SECONDS
            while spawned and not exited and self.server is not None and \
                    time.monotonic() < deadline:
                event = self._event(max(deadline - time.monotonic(), 0.01))
                if event.get("event") in ("exited", "gone"):
                    exited.append(event)
                    break
            if exited and isinstance(exited[0].get("status"), int):
                ex.exit_status = exited[0]["status"]
            if died(ex):
                ex.deaths.append((cells[ex.stopped_at].grade_id or f"{ex.stopped_at + 1}",
                                  ex.exit_status))
            ex.seconds = time.monotonic() - tic
        return ex

    def execute_with_retry(self, cells, limits_of, secret, budget=None, forbid_of=None):
        """execute(); if a cell timed out or ended the kernel, run again once without it,
        within what is left of `budget`.

        A kernel that ended by itself during a cell may have been ended by the machine (out
        of memory, another program's kill), not by the cell: the notebook then runs once
        more with every cell first, and only if that run stops too is a cell left out (the
        one it stopped at).
        """
        budget = self.limits.notebook_seconds if budget is None else budget
        first = self.execute(cells, limits_of, secret, budget=budget, forbid_of=forbid_of)
        if self._final(first, budget):
            return first
        if died(first):
            again = _after(first, self.execute(cells, limits_of, secret,
                                               budget=budget - first.run_seconds,
                                               forbid_of=forbid_of))
            again.rerun = first.stopped
            if self._final(again, budget):
                return again
            first = again  # stopped again, there or elsewhere: that cell is left out
        second = self.execute(cells, limits_of, secret, skip={first.stopped_at},
                              budget=budget - first.run_seconds, forbid_of=forbid_of)
        # The tests that ran to their end before the cell that stopped the first run keep
        # that run's records: the second run only adds what the stop cost.
        for i, run in first.runs.items():
            if i < first.stopped_at and cells[i].is_test:
                second.runs[i] = run
                second.records[cells[i].grade_id] = first.records.get(cells[i].grade_id, [])
            elif i < first.stopped_at and i not in second.runs:
                second.runs[i] = run
        second.stopped = first.stopped + (f"; then {second.stopped}" if second.stopped else "")
        second.rerun = first.rerun
        second.unreadable = list(dict.fromkeys(first.unreadable + second.unreadable))
        return _after(first, second)

    @staticmethod
    def _final(ex, budget):
        """True if nothing is left to retry: the run went through, could not start, or its
        time is spent."""
        return ex.stopped_at is None or ex.stopped_at < 0 or ex.out_of_time or \
            ex.run_seconds >= budget


def _after(earlier, later):
    """`later`, a run made after `earlier`, carrying the time, deaths and leftovers of both."""
    later.deaths = earlier.deaths + later.deaths
    later.leftovers = earlier.leftovers + later.leftovers
    later.seconds += earlier.seconds
    later.run_seconds += earlier.run_seconds
    return later


def died(ex):
    """True if the kernel ended by itself during a cell (not a time limit)."""
    run = ex.runs.get(ex.stopped_at) if ex.stopped_at is not None else None
    return run is not None and run.status == "died"


def new_secret():
    """A fresh secret for one submission's inputs."""
    return secrets.token_hex(16)
