"""The limits a student's kernel runs under, and the uid it runs as.

Wall time is the grader's to enforce (a limit per cell); the rest are set in the kernel's
process before any student code runs, and every process it starts inherits them.
"""
import fcntl
import os
import resource
import tempfile
from dataclasses import dataclass
from pathlib import Path

GiB, MiB = 2**30, 2**20


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    cell_seconds: float = 10.0       # the least time a cell gets; longer for slow cells
    cell_factor: float = 4.0         # a cell gets this many times the reference run's time
    notebook_seconds: float = 300.0  # all cells together, the retry included
    cpu_seconds: int = 300           # CPU time of each process
    memory_bytes: int = 4 * GiB      # address space of each process
    processes: int = 96              # processes and threads of the sandbox's uid
    file_bytes: int = 64 * MiB       # the largest file a process may write
    scratch_bytes: int = 256 * MiB   # the writable home folder (and /tmp: as much again)
    open_files: int = 1024
    output_chars: int = 20_000       # text kept per cell's output
    image_bytes: int = 300_000       # a PNG output kept in the feedback, base64

    def rlimits(self):
        """[(resource, (soft, hard))] to apply in the kernel's process."""
        return [(resource.RLIMIT_CPU, (self.cpu_seconds, self.cpu_seconds + 5)),
                (resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes)),
                (resource.RLIMIT_NPROC, (self.processes, self.processes)),
                (resource.RLIMIT_FSIZE, (self.file_bytes, self.file_bytes)),
                (resource.RLIMIT_NOFILE, (self.open_files, self.open_files)),
                (resource.RLIMIT_CORE, (0, 0))]


# Each worker slot runs its kernels as its own uid, nobody's account (Debian's adduser
# allocates none above 65535, and containers' subordinate uids start far lower):
# RLIMIT_NPROC then counts one sandbox only, and a slot's leftovers are found by uid alone.
UID_BASE = 2_000_000_000


def claim_uids(count, base=UID_BASE, span=4096):
    """Claim `count` slot uids that no other grading run on this machine holds.

    Returns (uids, locks): each uid is held by an exclusive lock on a file in /run/lock
    (or the temporary folder) until its lock is closed, or the process ends. Two courses,
    or two test files, graded at once never share a uid, so neither kills the other's
    kernels nor counts its processes.
    """
    folder = Path("/run/lock" if os.access("/run/lock", os.W_OK) else tempfile.gettempdir())
    folder = folder / "softmax-kit-grading"
    folder.mkdir(mode=0o700, exist_ok=True)
    uids, locks = [], []
    for uid in range(base, base + span):
        lock = open(folder / f"{uid}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        uids.append(uid)
        locks.append(lock)
        if len(uids) == count:
            return uids, locks
    for lock in locks:
        lock.close()
    raise RuntimeError(f"no {count} free grading uids from {base} on: too many grading runs")
