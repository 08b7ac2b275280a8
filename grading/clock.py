"""The time a notebook is charged: its wall time, less the time its kernel waited for a CPU.

On a busy machine (other notebooks graded at once, other users' programs) a kernel that
could run waits for a CPU that others hold, and an honest notebook that trains takes
several times as long in wall time as its source did on a quieter machine. Linux counts
that wait for each thread (its run-queue delay, the second field of
/proc/<pid>/schedstat). A notebook is charged its kernel's wall time less the waits of
the kernel's main thread, where the cells run: as long on a busy machine as on a quiet
one. A kernel that sleeps, or waits for its disk or for a process of its own, waits for
no CPU: that time is charged in full, so the budget stops it as before.

Whatever the waits, the charged time is at least 1/`busy_factor` of the wall time: no
notebook takes more than `busy_factor` times its budget in wall time (a kernel that
keeps its own main thread waiting, behind threads of its own or by giving its CPU away,
gains no more than that). Where Linux does not count the waits, the charged time is the
wall time.
"""
import os
import time


def _parent_of(pid):
    """The parent pid of process `pid` (from /proc/<pid>/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rpartition(b")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def only_child(pid):
    """The pid of the one child of process `pid`, or None (none, or several)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except (OSError, ValueError):  # a Linux without the children file: ask every process
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and
                    _parent_of(p) == pid]
    return children[0] if len(children) == 1 else None


def run_delay(pid):
    """Seconds the main thread of process `pid` has waited for a CPU since it started, or
    None where Linux does not say (no such process, no scheduler statistics)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            on_cpu, waited, _ = f.read().split()
    except (OSError, ValueError):
        return None
    return None if on_cpu == waited == "0" else int(waited) / 1e9


class Clock:
    """Seconds charged to the kernel `pid` since the clock started; called like time.monotonic.

    Never decreasing; while the kernel's waits cannot be read (it has ended), the last
    ones read still count.
    """

    def __init__(self, pid=None, busy_factor=5.0):
        self.pid, self.busy_factor = pid, busy_factor
        self.start = time.monotonic()
        self.first = run_delay(pid) if pid is not None else None
        self.waited, self.last = 0.0, 0.0

    def __call__(self):
        wall = time.monotonic() - self.start
        if self.first is not None:
            now = run_delay(self.pid)
            if now is not None:
                self.waited = max(self.waited, now - self.first)
        self.last = max(self.last, wall - self.waited, wall / self.busy_factor)
        return self.last
