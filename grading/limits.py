"""The limits a student's kernel runs under, and the uid it runs as.

Time is the grader's to enforce: a limit per cell, and a budget for the whole notebook
(a few times the source notebook's own time, plus a few seconds), both counted in the
time charged to the kernel (grading.clock: wall time less its waits for a CPU held by
other programs, so that a busy machine costs an honest notebook nothing); the rest are
set in the kernel's process before any student code runs, and every process it starts
inherits them.
"""
import fcntl
import os
import resource
import stat
from dataclasses import dataclass

GiB, MiB = 2**30, 2**20


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    cell_seconds: float = 10.0       # the least time a cell gets; longer for slow cells
    cell_factor: float = 4.0         # a cell gets this many times the reference run's time
    notebook_seconds: float = 300.0  # all cells together, the retry included, at most
    notebook_factor: float = 3.0     # ... and at most this many times the source's own time
    notebook_slack: float = 10.0     # ... plus this many seconds
    busy_factor: float = 5.0         # waits for a CPU are not charged, up to this many times
                                     # the limits in wall time (grading.clock)
    cpu_seconds: int = 300           # CPU time of each process
    memory_bytes: int = 4 * GiB      # address space of each process
    processes: int = 64              # processes and threads of the sandbox's uid
    file_bytes: int = 64 * MiB       # the largest file a process may write
    scratch_bytes: int = 256 * MiB   # the writable home folder (and /tmp: as much again)
    scratch_files: int = 20_000      # files and folders in each (a tmpfs's inodes: memory)
    open_files: int = 512
    output_chars: int = 20_000       # text kept per cell's output
    image_bytes: int = 300_000       # a PNG output kept in the feedback, base64
    notebook_image_bytes: int = 3_000_000  # all the PNGs kept of one notebook (10 per cell)

    def budget(self, source_seconds):
        """Seconds a submission's notebook may be charged in all, when its source was charged
        `source_seconds` (grading.clock)."""
        return min(self.notebook_seconds,
                   self.notebook_factor * source_seconds + self.notebook_slack)

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


LOCKS = "/run/softmax-kit-grading"  # root's: no other user can create or link anything there


class LockError(RuntimeError):
    """The folder of the uid locks is not what the grader made: the message says what to do."""


def _lock_folder(path=LOCKS):
    """A file descriptor of the locks' folder: made by root, root's alone, never a link."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    st = os.fstat(fd)
    if st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o022:
        os.close(fd)
        raise LockError(f"{path} belongs to uid {st.st_uid} with mode "
                        f"{stat.S_IMODE(st.st_mode):o}: it is not the grader's; remove it "
                        "(as root) and grade again")
    return fd


def claim_uids(count, base=UID_BASE, span=4096, folder=LOCKS):
    """Claim `count` slot uids that no other grading run on this machine holds (as root).

    Returns (uids, locks): each uid is held by an exclusive lock on a file in `folder`
    until its lock is closed, or the process ends. Two courses, or two test files, graded
    at once never share a uid, so neither kills the other's kernels nor counts its
    processes. The lock files are opened without following links or truncating anything.
    """
    dir_fd = _lock_folder(folder)
    uids, locks = [], []
    try:
        for uid in range(base, base + span):
            try:
                fd = os.open(f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                             0o600, dir_fd=dir_fd)
            except OSError:  # a link, a folder: not a lock of ours, never followed
                continue
            lock = os.fdopen(fd, "r+b")
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                lock.close()
                continue
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            uids.append(uid)
            locks.append(lock)
            if len(uids) == count:
                return uids, locks
    finally:
        os.close(dir_fd)
    for lock in locks:
        lock.close()
    raise RuntimeError(f"no {count} free grading uids from {base} on: too many grading runs")
