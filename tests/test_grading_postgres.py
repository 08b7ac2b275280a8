"""A class too large for one machine: graders share one PostgreSQL gradebook.

A real PostgreSQL server is started here (Debian's, on a Unix socket in a temporary folder,
no TCP). Two copies of the course stand for two grading machines: each holds half of the
fixture class (tests/classes/fixture_class.py) and points nbgrader's `db_url` at the same
database; both run `./kit grade` at the same time. Every student's score must arrive in the
shared gradebook, each the one its work deserves, none lost or mixed up.
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from tests.kit_paths import ROOT

COURSE = ROOT / "course"
GENERATED = ("release", "submitted", "autograded", "feedback", "downloaded",
             "gradebook.db", "grades.csv", "__pycache__", ".ipynb_checkpoints")
ASSIGNMENT = "a1_softmax"
# Which autograded cells each fixture student fails (tests/classes/fixture_class.py's docstring).
FAILS = {"correct": set(), "overflow": {"test_softmax", "test_softmax_hidden"},
         "batch_max": {"test_softmax_hidden"},
         "empty": {"test_softmax", "test_softmax_hidden", "test_logsumexp"},
         "wrong_shape": {"test_softmax", "test_softmax_hidden"}}
MACHINES = ({"correct", "overflow", "batch_max"}, {"empty", "wrong_shape"})


def as_postgres(*cmd, check=True):
    r = subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True,
                       text=True, timeout=120)
    if check:
        assert r.returncode == 0, f"{' '.join(cmd)}:\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def database():
    """A fresh PostgreSQL server on a Unix socket; yields the db_url of an empty database."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert bins, "PostgreSQL is not installed: ./kit test's set-up installs Debian's postgresql"
    bin_dir = Path(bins[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="kit-pg-"))  # not under pytest's root-only folder
    user = pwd.getpwnam("postgres")
    os.chown(base, user.pw_uid, user.pw_gid)
    data, socket_dir = base / "data", base
    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "grader")
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w",
                "-o", f"-k {socket_dir} -c listen_addresses=''", "start")
    try:
        as_postgres(str(bin_dir / "createdb"), "-h", str(socket_dir), "-U", "grader",
                    "softmax_kit")
        yield f"postgresql+psycopg2://grader@/softmax_kit?host={socket_dir}"
    finally:
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop",
                    check=False)
        shutil.rmtree(base, ignore_errors=True)


def machine(root, db_url, students):
    """A copy of the course whose gradebook is `db_url`, holding only `students`' work."""
    course = root / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(*GENERATED))
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"], course)
    run([sys.executable, "-m", "tools.cli", "fake-class", "--course", str(course)], ROOT)
    for other in set(FAILS) - students:
        shutil.rmtree(course / "submitted" / other)
    return course


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def deserved(student):
    nb = nbformat.read(COURSE / "source" / ASSIGNMENT / "softmax.ipynb", as_version=4)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")}
    return sum(p for cell, p in points.items() if cell not in FAILS[student])


def test_two_graders_fill_one_postgresql_gradebook(database, tmp_path):
    courses = [machine(tmp_path / f"machine{i}", database, s) for i, s in enumerate(MACHINES)]
    graders = [subprocess.Popen([sys.executable, str(ROOT / "tools" / "course" / "grade.py"),
                                 "--course", str(c), "--workers", "1", ASSIGNMENT],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for c in courses]
    outputs = [g.communicate(timeout=900)[0] for g in graders]
    for g, out in zip(graders, outputs):
        assert g.returncode == 0, out[-3000:]

    from nbgrader.api import Gradebook
    with Gradebook(database, "softmax-kit") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}
    assert set(scores) == set(FAILS), scores
    for student in FAILS:
        assert scores[student] == deserved(student), (student, scores)
    assert not (courses[0] / "gradebook.db").exists()  # the shared database, not a local file
