"""The class of tests/test_hub.py on the classroom server: its accounts, and what the
machine shows of them (their processes, files and grades), and the hub waited for and
stopped.
"""
import hashlib
import os
import pwd
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from tests.kit_paths import ROOT

COURSE = ROOT / "course"

TEACHER = "kit-hub-teacher"
CORRECT, PARTLY, HOSTILE = "kit-hub-ada", "kit-hub-bo", "kit-hub-cy"
STUDENTS = (CORRECT, PARTLY, HOSTILE)
ROSTER = f"{CORRECT}\n{PARTLY} zh   # reads the Chinese edition\n{HOSTILE}\n"
COURSE_ID, CHINESE_COURSE_ID = "softmax-kit", "softmax-kit-zh"


def class_processes():
    """{pid: (user, command)} of the class's accounts' live processes (a zombie runs
    nothing: it waits for its parent, or for init, to reap it)."""
    uids = {}
    for name in (TEACHER, *STUDENTS):
        try:
            uids[pwd.getpwnam(name).pw_uid] = name
        except KeyError:
            pass
    out = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                uid = os.stat(entry.path).st_uid
                state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
                if uid in uids and state != "Z":
                    cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
                    out[int(entry.name)] = (uids[uid], cmd.decode(errors="replace").strip())
            except OSError:
                pass
    return out


def left_by(name):
    """Pids of `name`'s processes that no longer descend from their JupyterLab server:
    what their own code left running (a daemon, a process of a killed kernel)."""
    procs = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                cmd = Path(entry.path, "cmdline").read_bytes()
                procs[int(entry.name)] = (os.stat(entry.path).st_uid, int(stat[1]), cmd)
            except OSError:
                pass
    uid = pwd.getpwnam(name).pw_uid
    procs = {pid: info for pid, info in procs.items() if info[2]}  # no zombie
    servers = {pid for pid, (u, _, cmd) in procs.items() if u == uid and b"singleuser" in cmd}

    def under_server(pid):
        while pid > 1 and pid in procs:
            if pid in servers:
                return True
            pid = procs[pid][1]
        return False
    return sorted(pid for pid, (u, _, _) in procs.items() if u == uid and not under_server(pid))


def digest(paths):
    out = {}
    for top in paths:
        top = Path(top)
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def wait_for(url, seconds, proc, log, context=None):
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            pytest.fail(f"./kit hub start exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(url, timeout=5, context=context).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"the hub did not answer within {seconds} s:\n"
                            f"{log.read_text()[-4000:]}")
            time.sleep(0.5)


def stop(proc, seconds=120):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the hub did not stop within {seconds} s of SIGTERM")


def gradebook_scores(course):
    """{student: autograded points of a1} from the teacher's gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return {s: round(gb.find_submission_notebook("softmax", "a1_softmax", s).code_score, 3)
                for s in STUDENTS}


def manual_score(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return gb.find_grade("answer", "softmax", "a1_softmax", student).score
