"""The machinery around a kernel, each part on its own, without a sandbox: fast.

The sandbox's command line, the limits of every process, the slot uids no two runs
share, a worker slot's spawn after a late "exited" and its sandbox that cannot start,
the source notebook's second run when its kernel did not start or died, a submission's
runs after a kernel ended or a cell ran out of time, and the pool
that gives each task a slot of its own.
"""
import json

import pytest

from grading import sandbox
from grading.limits import Limits
from grading.notebook import source_cells
from tests.kit_paths import ROOT

A1 = ROOT / "course" / "source" / "a1_softmax" / "softmax.ipynb"


def test_sandbox_shows_only_what_a_kernel_needs(tmp_path):
    for mode in (sandbox.ROOT, sandbox.USER):
        args = sandbox.bwrap_args("bwrap", mode, str(ROOT), "/usr/share/datasets",
                                  tmp_path / "passwd", 2**20)
        for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent"):
            assert flag in args
        assert ("--unshare-user" in args) == (mode == sandbox.USER)
        binds = [args[i + 1] for i, a in enumerate(args) if a in ("--ro-bind", "--bind")]
        assert str(ROOT / "helpers") in binds
        assert [b for b in binds if b.startswith(str(ROOT / "grading"))] == [
            str(ROOT / "grading" / "__init__.py"), str(ROOT / "grading" / "checks")]
        assert not [b for b in binds if b.startswith(str(ROOT / "course")) or b == str(ROOT)]
        assert "--bind" not in args  # no host folder is writable inside
        assert args[args.index("/run/kernel") - 1] == "--tmpfs"


@pytest.mark.parametrize("kit", ["/tmp/class/softmax-kit", "/home/teacher/softmax-kit"])
def test_a_kit_under_tmp_or_home_stays_visible_in_the_sandbox(tmp_path, kit):
    """The sandbox's own /tmp and /home are mounted first, the kit's folders on top."""
    args = sandbox.bwrap_args("bwrap", sandbox.ROOT, kit, None, tmp_path / "passwd", 2**20)
    helpers = args.index(f"{kit}/helpers")
    assert args[helpers - 1] == "--ro-bind"
    above = [i for i, a in enumerate(args) if a == "--tmpfs"
             and (kit + "/").startswith(args[i + 1].rstrip("/") + "/")]
    assert kit.startswith("/home") or above, "the sandbox has its own /tmp"
    assert all(i < helpers for i in above), "a tmpfs mounted after the kit would hide it"


def test_limits_apply_to_every_process():
    import resource
    got = dict(Limits().rlimits())
    assert got[resource.RLIMIT_NPROC][0] <= 256 and got[resource.RLIMIT_CORE] == (0, 0)
    assert got[resource.RLIMIT_AS][0] <= 8 * 2**30


def test_grading_runs_never_share_a_uid():
    from grading.limits import claim_uids
    first, held = claim_uids(2)
    second, also = claim_uids(2)
    try:
        assert not set(first) & set(second) and len(set(first + second)) == 4
    finally:
        for lock in held + also:
            lock.close()
    again, locks = claim_uids(2)  # released: claimed anew
    for lock in locks:
        lock.close()
    assert len(again) == 2


class _Server:
    """A fork server that takes requests and never ends (the events are the test's to put)."""

    def __init__(self):
        import io
        self.stdin = io.StringIO()

    def poll(self):
        return None


def test_a_kernel_that_ended_late_does_not_fail_the_next_spawn(tmp_path):
    """A killed kernel may be reaped after execute stopped waiting: its "exited" comes first."""
    from types import SimpleNamespace
    from grading.worker import Slot
    slot = Slot(0, tmp_path, str(ROOT), None, Limits(), "bwrap", 12345)
    slot.server = _Server()
    slot.events.put({"event": "exited", "status": -9})
    slot.events.put({"event": "spawned", "pid": 7})
    slot._spawn(SimpleNamespace(pid=1, kernel_uid=12345), "secret")
    assert slot.events.empty()
    assert json.loads(slot.server.stdin.getvalue())["op"] == "spawn"


def test_a_sandbox_that_cannot_start_is_the_machinerys_failure(tmp_path, monkeypatch):
    """execute() reports it as a startup error, which grade_one retries, never as an exception."""
    from grading import worker

    class Broken(worker.Sandbox):
        def start(self, bwrap):
            raise sandbox.SandboxError("bwrap could not make the sandbox: out of namespaces")

        def stop(self):
            return []

    monkeypatch.setattr(worker, "Sandbox", Broken)
    slot = worker.Slot(0, tmp_path, str(ROOT), None, Limits(), "bwrap", 12345)
    slot.server = _Server()
    ex = slot.execute(source_cells(A1), lambda i, c: 10.0, "secret")
    assert "out of namespaces" in ex.startup_error
    assert ex.stopped_at == -1 and ex.runs == {}


def test_the_source_notebook_gets_a_second_start_too():
    """A kernel that could not start is retried afresh before the assignment is given up."""
    from grading.grade import Assignment, GradingError, reference_run
    from grading.worker import Execution

    class Slot:
        calls, closed = 0, 0

        def execute(self, cells, limits_of, secret, **options):
            self.calls += 1
            return Execution(stopped="the kernel died", stopped_at=-1,
                             startup_error="the kernel server did not answer")

        def close(self):
            self.closed += 1

    slot = Slot()
    with pytest.raises(GradingError, match="did not run to its end"):
        reference_run(slot, Assignment("a1_softmax", "softmax", source_cells(A1)), Limits())
    assert (slot.calls, slot.closed) == (2, 1)


def test_a_source_notebook_whose_kernel_died_is_run_once_more_and_the_signal_named():
    """A kernel killed during the teacher's own notebook (the machine out of memory, say) is
    the machine's, not the notebook's: one more fresh run; if that dies too, the teacher
    reads how the kernel ended."""
    from grading.executor import CellRun
    from grading.grade import Assignment, GradingError, reference_run
    from grading.worker import Execution

    class Slot:
        calls, closed = 0, 0

        def execute(self, cells, limits_of, secret, **options):
            self.calls += 1
            return Execution(stopped="the kernel stopped during cell data", stopped_at=2,
                             runs={2: CellRun(status="died")}, exit_status=-9)

        def close(self):
            self.closed += 1

    slot = Slot()
    with pytest.raises(GradingError, match=r"cell data \(the kernel was ended by signal 9, "
                                           r"SIGKILL: often the machine ran out of memory"):
        reference_run(slot, Assignment("a1_softmax", "softmax", source_cells(A1)), Limits())
    assert (slot.calls, slot.closed) == (2, 1)


class _Scripted:
    """A worker slot whose runs are scripted: run k stops at `stops[k]` (None: goes through)
    the way `how[k]` says ("died" or "timeout"); its skips and budgets are kept."""

    def __init__(self, stops, how, status=-9):
        from grading.worker import Slot
        self.stops, self.how, self.status, self.calls = stops, how, status, []
        self.limits = Limits()
        self.execute_with_retry = Slot.execute_with_retry.__get__(self)
        self._final = Slot._final

    def execute(self, cells, limits_of, secret, skip=(), budget=None, forbid_of=None):
        from grading.executor import CellRun
        from grading.worker import Execution
        k = len(self.calls)
        self.calls.append((tuple(skip), budget))
        stop = self.stops[k]
        runs = {i: CellRun(status="ok") for i, c in enumerate(cells)
                if c.cell_type == "code" and i not in skip and (stop is None or i < stop)}
        if stop is None:
            return Execution(runs=runs, run_seconds=1.0)
        runs[stop] = CellRun(status=self.how[k])
        name = cells[stop].grade_id
        return Execution(runs=runs, stopped=f"stopped at {name}", stopped_at=stop,
                         run_seconds=1.0, exit_status=self.status if self.how[k] == "died"
                         else None, deaths=[(name, self.status)] if self.how[k] == "died"
                         else [])


def test_a_kernel_that_died_once_runs_again_with_every_cell():
    """The machine may end a kernel (out of memory, a kill): an honest cell during which it
    ended is not left out unless the kernel ends there again."""
    cells = source_cells(A1)
    answer = next(i for i, c in enumerate(cells) if c.grade_id == "logsumexp")
    slot = _Scripted([answer, None], ["died", None])
    ex = slot.execute_with_retry(cells, lambda i, c: 10.0, "secret", budget=30.0)
    assert [skip for skip, _ in slot.calls] == [(), ()]
    assert slot.calls[1][1] == 29.0  # what is left of the budget
    assert ex.stopped is None and ex.stopped_at is None and answer in ex.runs
    assert ex.rerun == "stopped at logsumexp" and ex.deaths == [("logsumexp", -9)]
    assert ex.run_seconds == 2.0


def test_a_cell_that_ends_the_kernel_twice_is_left_out():
    cells = source_cells(A1)
    answer = next(i for i, c in enumerate(cells) if c.grade_id == "logsumexp")
    slot = _Scripted([answer, answer, None], ["died", "died", None], status=1)
    ex = slot.execute_with_retry(cells, lambda i, c: 10.0, "secret", budget=30.0)
    assert [skip for skip, _ in slot.calls] == [(), (), (answer,)]
    assert slot.calls[2][1] == 28.0
    assert ex.stopped == "stopped at logsumexp" and ex.deaths == [("logsumexp", 1)] * 2
    assert ex.run_seconds == 3.0


def test_a_cell_out_of_time_is_left_out_at_once():
    """A time limit is the cell's own doing: no run with every cell again."""
    cells = source_cells(A1)
    answer = next(i for i, c in enumerate(cells) if c.grade_id == "logsumexp")
    slot = _Scripted([answer, None], ["timeout", None])
    ex = slot.execute_with_retry(cells, lambda i, c: 10.0, "secret", budget=30.0)
    assert [skip for skip, _ in slot.calls] == [(), (answer,)]
    assert ex.rerun is None and ex.deaths == []


def test_the_teacher_reads_how_the_kernel_ended_and_that_a_second_run_graded_it(monkeypatch):
    from grading import grade
    from grading.grade import Assignment, Job, grade_one
    from grading.worker import Execution
    cells = source_cells(A1)
    assignment = Assignment("a1_softmax", "softmax", cells)
    assignment.total_seconds = 5.0
    job = Job("a1_softmax", "softmax", "s1", path=A1)
    monkeypatch.setattr(grade, "verdicts", lambda *a, **k: [])

    class Slot:
        def execute_with_retry(self, *args, **options):
            return self.ex

    slot = Slot()
    slot.ex = Execution(rerun="the kernel stopped during cell logsumexp",
                        deaths=[("logsumexp", -9)])
    said = grade_one(slot, assignment, job, Limits()).attention
    assert said == ["the kernel stopped during cell logsumexp; run again with every cell, it "
                    "went through (cell logsumexp: the kernel was ended by signal 9, SIGKILL: "
                    "often the machine ran out of memory, or another program killed it)"]
    slot.ex.deaths = [("logsumexp", 128 + 9)]  # the kernel, not its waiting parent, killed
    assert grade_one(slot, assignment, job, Limits()).attention == said
    slot.ex = Execution(stopped="the kernel stopped during cell 8", stopped_at=7,
                        deaths=[("8", 1), ("8", 1)])
    said = grade_one(slot, assignment, job, Limits()).attention
    assert said == ["the kernel stopped during cell 8 (cell 8: the kernel exited with code 1)"]


def test_the_pool_gives_each_task_a_slot_of_its_own_and_outlives_a_bug():
    """Tasks run side by side, never two in one slot; a task's exception is its Outcome."""
    import threading
    from grading.grade import Job
    from grading.run import Pool
    held, lock, both = set(), threading.Lock(), threading.Barrier(2, timeout=30)

    def task(slot, k):
        with lock:
            assert slot not in held, f"{slot} held twice"
            held.add(slot)
        if k < 2:
            both.wait()  # the first two tasks run at once, in the two slots
        with lock:
            held.discard(slot)
        if k == 3:
            raise ValueError("a bug")
        return slot, k

    pool = Pool(["slot0", "slot1"])
    try:
        futures = [pool.submit(task, k, job=Job("a1", "softmax", f"s{k}")) for k in range(8)]
        results = [f.result() for f in futures]
    finally:
        pool.close()
    bug = results.pop(3)
    assert bug.job.student == "s3" and bug.error.startswith("ValueError: a bug")
    assert bug.attention == ["not graded: the grader failed (ValueError: a bug)"]
    assert [k for _, k in results] == [0, 1, 2, 4, 5, 6, 7]
    assert {slot for slot, k in results if k < 2} == {"slot0", "slot1"}


CHILD = """\
import os, sys, time
os.sched_setaffinity(0, {cpu})
sys.stdin.readline()
start = time.process_time()
while time.process_time() - start < 0.4:  # 0.4 s of CPU: longer, on a CPU shared four ways
    pass
time.sleep(0.4)
print("done", flush=True)
sys.stdin.readline()
"""


def test_the_clock_charges_no_wait_for_a_cpu_but_every_sleep():
    """A process that shares its CPU with three others is charged its own CPU time and
    its sleep, not its waits; never less than 1/busy_factor of the wall time."""
    import os
    import subprocess
    import sys
    import time
    from grading.clock import Clock
    cpu = max(os.sched_getaffinity(0))
    burn = f"import os\nos.sched_setaffinity(0, {{{cpu}}})\nwhile True:\n    pass\n"
    burners = [subprocess.Popen([sys.executable, "-c", burn], start_new_session=True)
               for _ in range(3)]
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(cpu="{%d}" % cpu)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        time.sleep(0.3)  # the child waits for its start, asleep; the burners are running
        clock, floor = Clock(child.pid), Clock(child.pid, busy_factor=1.25)
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline() == "done\n"
        charged, at_least = clock(), floor()
        wall = time.monotonic() - clock.start
    finally:
        for p in burners + [child]:
            p.kill()
            p.wait()
    assert charged >= 0.8, (charged, wall)  # its CPU time and its sleep
    assert wall - charged > 0.6, (charged, wall)  # about 1.2 s of waits, on a quiet machine
    assert at_least > charged, (at_least, charged, wall)  # 1/1.25 of the wall time: more
