"""The adversarial class graded, for tests/test_grading_adversarial.py: the run, and reading it.

`prepare_course` makes, once, a course copy with a1, a3 and a7 generated and one honest
student (the bystander) already graded, before any attacker. `grade_the_class` copies it
for one route, writes the adversarial class (tests/classes/adversarial_class.py) beside
the bystander and grades it (all of it, or the students of BOTH_ROUTES) in one `./kit grade`, by root or by a teacher account without
root (tools/course/as_user.py), in parallel; it records what the tests compare: the course and
the kit's files before, the report, who connected to a server on 127.0.0.1, which
processes outlived grading. Then the helpers the tests read the result with: the
gradebook's grades, and pages opened in headless Chromium as a browser would.
"""
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grading.limits import claim_uids
from grading.sandbox import users_processes
from tests.course_copy import GENERATED
from tools.cli import class_module
from tools.course.as_user import ensure_user, kit_paths, run_as
from tests.kit_paths import ROOT

COURSE = ROOT / "course"

_adversarial = class_module("adversarial_class")
NOTEBOOKS, STUDENTS, Student, write_class = (_adversarial.NOTEBOOKS, _adversarial.STUDENTS,
                                             _adversarial.Student, _adversarial.write_class)

OUTPUTS = ("autograded", "feedback", "gradebook.db", "grades.csv")  # the grader's to write
CELL_LIMIT = 5.0
WORKERS = 2
TEACHER = "kit-grading"       # the course's owner; grades it without root in the "user" route
ASSIGNMENTS = ("a1_softmax", "a3_scratch", "a7_calibration")
SECRET = f"grader-secret-{secrets.token_hex(8)}"  # in the grader's environment only
BYSTANDER = Student("bystander", "a1_softmax", 6, False, ())
# The students whose attacks meet what differs between the two routes (the sandbox, its
# processes, its files, its limits, the records read out of it) are graded by both; every
# other attack is on what both share (the reading of the file, the scan, the trap, the
# judges, the pages), which root's run covers.
BOTH_ROUTES = ("correct", "scratch_correct", "gradebook_editor", "writer", "leaker",
               "kit_reference", "lingering", "infinite_loop", "long_sleep", "ignores_sigint",
               "exits_kernel", "fork_bomb", "memory_hog", "disk_filler", "network", "forger",
               "output_flood", "environ_reader", "unshare", "empty_records", "record_bomb",
               "deep_record", "sleepy", "slow_last_cell", "shell_flood", "png_flood",
               "tmpfs_inodes", "memfd_files")


def digest(folder, skip=()):
    """{relative path: sha256} of every file under `folder`, but those under `skip`."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in skip or "__pycache__" in rel.parts or not path.is_file():
            continue
        out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class Listener:
    """A TCP server on 127.0.0.1 that counts who connects."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port, self.connections, self.running = self.sock.getsockname()[1], 0, True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.running = False
        self.sock.close()


def nbgrader(course, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                          capture_output=True, text=True, timeout=600)
    assert not check or proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def grader(mode, root):
    """grade(course, *args): `./kit grade` run by root, or by the teacher without root."""
    env = {"KIT_TEST_SECRET": SECRET, "PGPASSWORD": SECRET}

    def grade(course, *args):
        command = [sys.executable, str(ROOT / "tools" / "course" / "grade.py"),
                   "--course", str(course), *args]
        if mode == "root":
            return subprocess.run(command, env=dict(os.environ, **env), capture_output=True,
                                  text=True, timeout=1200)
        return run_as(command, kit_paths(ROOT) + [root], user=TEACHER, env=env,
                      capture_output=True, text=True, timeout=1200)
    return grade


def slot_processes(uids):
    return [p for uid in uids for p in users_processes(uid)]


def described(pids):
    """['pid: command line'] of `pids`, for a failure to show what outlived."""
    found = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # gone meanwhile
        found.append(f"{pid}: {cmd.decode(errors='replace')[:200]}")
    return found


def hold_uids(uids, seconds=600):
    """Claim exactly `uids`, as a grading run claims its own (waiting while another holds one)."""
    locks, deadline = [], time.monotonic() + seconds
    for uid in uids:
        while True:
            try:
                locks += claim_uids(1, base=uid, span=1)[1]
                break
            except RuntimeError:
                assert time.monotonic() < deadline, f"uid {uid} stayed claimed for {seconds} s"
                time.sleep(0.1)
    return locks


def sleepers():
    """Host processes running `sleep 1000`, the lingering student's child."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if Path(entry.path, "cmdline").read_bytes() == b"sleep\x001000\x00":
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def prepare_course(root):
    """A course copy with a1, a3 and a7 generated and the bystander graded (by root), before
    any attacker: made once, copied for each route. {"course", "bystander": (its feedback
    page, its grades)}."""
    if os.geteuid() != 0 or not shutil.which("bwrap"):
        pytest.fail("these tests make a teacher account and grade as root and as that teacher: "
                    "run them as root, as ./kit test does (its set-up installs bubblewrap)",
                    pytrace=False)
    tic = time.perf_counter()
    course = root / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(*GENERATED))
    nbgrader(course, "generate_assignment", "a[137]_*", "--force")
    # A student graded before the class: the attackers must not change a thing of theirs.
    write_class(course, students=[BYSTANDER])
    first = grader("root", root)(course, "a1_softmax", "--student", "bystander", "--workers", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    bystander = (course / "feedback" / "bystander" / "a1_softmax" / "softmax.html").read_bytes()
    print(f"\nthe course for both routes (a1, a3, a7 generated; the bystander graded): "
          f"{time.perf_counter() - tic:.1f} s")
    return {"course": course, "bystander": (bystander, grades_of(course, "a1_softmax",
                                                                 "bystander"))}


def grade_the_class(mode, prepared, root, students=STUDENTS):
    """The adversarial class written, and `students` of it graded in one command, by root or
    by the teacher without root, in a copy of the prepared course; what the tests compare."""
    os.chmod(root, 0o755)  # the teacher's way in (run_as shows it the folders above)
    course = root / "course"
    shutil.copytree(prepared["course"], course)
    teacher = ensure_user(TEACHER)
    grade = grader(mode, root)
    out = root / "out"
    out.mkdir()
    listener = Listener()
    write_class(course, port=listener.port)
    subprocess.run(["chown", "-R", f"{teacher}:{teacher}", str(course), str(out)], check=True)
    before = {"course": digest(course, skip=OUTPUTS),
              "kit": {d: digest(ROOT / d) for d in ("helpers", "grading")},
              "helpers": (ROOT / "helpers" / "__init__.py").read_bytes(),
              "config": (course / "nbgrader_config.py").read_bytes()}
    assert not Path("/tmp/owned").exists()
    tic, cpu = time.perf_counter(), os.times()
    report = out / "report.json"
    names = [a for s in students for a in ("--student", s.name)]
    proc = grade(course, *ASSIGNMENTS, "--cell-timeout", str(CELL_LIMIT),
                 "--workers", str(WORKERS), "--json", str(report), *names)
    seconds = time.perf_counter() - tic
    used = os.times()
    print(f"\ngrading the adversarial class by {mode} ({len(students)} submissions, "
          f"{WORKERS} workers): "
          f"{seconds:.1f} s wall, {used.children_user - cpu.children_user + used.children_system - cpu.children_system:.1f} s CPU")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    # As root: the uids are free again: hold them, so that no grading run started meanwhile
    # (another test file's) uses them, or kills what this one left, while we look. As the
    # teacher: any process of the teacher's is one grading left.
    uids = json.loads(report.read_text())["uids"] if mode == "root" else []
    held = hold_uids(uids)
    try:
        time.sleep(2)  # a process that outlived grading would act now
        outlived = {"slot": described(slot_processes(uids) if mode == "root"
                                      else users_processes(teacher)),
                    "sleepers": described(sleepers())}
    finally:
        for lock in held:
            lock.close()
    listener.close()
    return {"course": course, "root": root, "proc": proc, "before": before, "mode": mode,
            "students": list(students),
            "report": json.loads(report.read_text()), "listener": listener, "teacher": teacher,
            "bystander": prepared["bystander"], "seconds": seconds, "outlived": outlived}


def grades_of(course, assignment, student):
    """{grade_id: (auto_score, manual_score)} and the notebook's flag, from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "softmax-kit") as gb:
        nb = gb.find_submission_notebook(NOTEBOOKS[assignment], assignment, student)
        return ({g.name: (g.auto_score, g.manual_score, g.cell.cell_type) for g in nb.grades},
                nb.flagged)


# ---------------------------------------------------------------- pages, as a browser opens them

def open_pages(chromium, folder, names):
    """{name: (typeof window.__pwned, dialogs)} for pages served from `folder`; and the text of each."""
    from tests.site_browser import serve
    server = serve(folder)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    context = chromium.new_context(java_script_enabled=True)
    seen, texts = {}, {}
    try:
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for name in names:
            assert page.goto(base + name, wait_until="load").ok, name
            page.wait_for_timeout(50)
            seen[name] = (page.evaluate("typeof window.__pwned"), list(dialogs))
            texts[name] = page.inner_text("body")
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    return seen, texts


def formgrader_page(notebook):
    """The page formgrader shows for an autograded notebook: its own exporter and template."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": "a1_softmax", "notebook_id": "softmax", "submission_id": "1",
                 "index": 0, "total": 1, "base_url": "", "student": "s", "last_name": None,
                 "first_name": None, "notebook_path": "/notebook"}
    return HTMLExporter(config=config).from_filename(str(notebook), resources=resources)[0]
