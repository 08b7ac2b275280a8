"""What a class leaves running: the processes in the hub's mount namespace (held open
meanwhile, so that its number names no other), and the students' processes in a mount
namespace of their own making, found in /proc and stopped when the hub stops.
"""
import os
import pwd
import signal
import time
from pathlib import Path


def mount_namespace(pid):
    """'mnt:[number]' of process `pid`'s mount namespace, or None if it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def hold_mount_namespace(pid):
    """(file descriptor, 'mnt:[number]') that keep `pid`'s mount namespace alive, or None.

    A namespace's number is handed to the next namespace made once the last process in it
    has ended: a grading sandbox made a moment after the hub stopped could get the hub's.
    While the descriptor is open, the number stays the hub's, and the processes found with
    it are the hub's own.
    """
    try:
        fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    return fd, f"mnt:[{os.fstat(fd).st_ino}]"


def processes():
    """{pid: (uid, mount namespace, command line)} of the machine's live processes (not
    the zombies: they run nothing, and only their parent can reap them)."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            uid = os.stat(entry.path).st_uid
            cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except OSError:
            continue
        out[pid] = (uid, mount_namespace(pid), cmd)
    return out


def leftovers(namespace, student_uids):
    """Pids the class left: every process in the hub's mount namespace, and every student
    process in a mount namespace other than the machine's own (one a student made)."""
    ours = mount_namespace("self")
    return {pid: info for pid, info in processes().items()
            if pid != os.getpid() and info[1] is not None
            and (info[1] == namespace or (info[0] in student_uids and info[1] != ours))}


def sweep(namespace, student_uids, rounds=50):
    """Stop what the class left running (SIGTERM, then SIGKILL); [(pid, user, command)]."""
    def user(uid):
        entry = next((p for p in pwd.getpwall() if p.pw_uid == uid), None)
        return entry.pw_name if entry else str(uid)
    found = {}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for _ in range(rounds if sig == signal.SIGKILL else 1):
            left = leftovers(namespace, student_uids)
            if not left:
                break
            for pid, (uid, _, cmd) in left.items():
                found.setdefault(pid, (pid, user(uid), cmd))
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(1.0 if sig == signal.SIGTERM else 0.05)
    return list(found.values())
