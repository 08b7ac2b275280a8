"""The limits a student's kernel runs under, and the uid it runs as.

Wall time is the grader's to enforce (a limit per cell); the rest are set in the kernel's
process before any student code runs, and every process it starts inherits them.
"""
import resource
from dataclasses import dataclass

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


def slot_uid(slot, base=UID_BASE):
    """The uid (and gid) of worker slot `slot`."""
    return base + slot
