"""What every part of the classroom server (`./kit hub`, tools/course/hub.py) shares: its
error, its way of speaking and of running a system command, the root check, the kit's
folder, and the names of the class's courses and groups.
"""
import grp
import os
import pwd
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COURSE_ID, CHINESE_COURSE_ID = "softmax-kit", "softmax-kit-zh"
STUDENTS_GROUP, CHINESE_GROUP = "softmax-kit-students", "softmax-kit-zh"


class HubError(RuntimeError):
    """The hub cannot be prepared or started; the message says why and what to do."""


def say(msg):
    print(f"kit hub: {msg}", file=sys.stderr, flush=True)


def run(*args, **kwargs):
    r = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        raise HubError(f"{' '.join(args)} failed: {(r.stderr or r.stdout).strip()}")
    return r


def require_root(what):
    if os.geteuid() != 0:
        raise HubError(f"{what} needs root: JupyterHub checks passwords with PAM and starts "
                       "each user's server as that user. Run it as root (sudo ./kit hub ...); "
                       "the teacher's own steps need no root (README.md, 'Classroom server').")


def account(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def group_members(group):
    """The logins in Unix group `group` (empty if there is no such group)."""
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return set()
    return set(entry.gr_mem) | {p.pw_name for p in pwd.getpwall() if p.pw_gid == entry.gr_gid}
