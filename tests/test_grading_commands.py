"""The commands of the grading workflow beyond grading a class, on copies of course/.

What course/README.md tells a teacher to run: `nbgrader validate` (step 1) on the later
assignments; both routes that bring work back (zip_collect, and the exchange of a shared
server: release, fetch, submit, collect, autograde, feedback back); `./kit grade`
refusing an unclear request, an assignment nbgrader does not know, or a source notebook
that fails its own tests; and `./kit lab FOLDER`, a student's JupyterLab without the
teacher's panels. Every nbgrader command the README names is one these tests run.
"""
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from helpers.distributed import free_port
from tests.course_copy import COURSE, FIXTURE, PASSED, ROOT, SOURCES, Course


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A course copy with every assignment generated (one command); the collect tests
    copy it instead of generating again, and change only their copies."""
    c = Course(tmp_path_factory.mktemp("generated"))
    c.generate("*")
    return c


# ---------------------------------------------------------------- validate: the later assignments

def test_later_assignments_validate_as_teachers_check_them(generated):
    """`nbgrader validate` (course/README.md, step 1): a6 to a8's sources pass, their releases fail."""
    later = [p for p in SOURCES if int(p.parent.name[1:p.parent.name.index("_")]) >= 6]
    assert len(later) == 3, later
    out = generated.nbgrader("validate", *map(str, later)).stdout
    assert out.count(PASSED) == len(later), out
    releases = [generated.dir / "release" / p.parent.name / p.name for p in later]
    out = generated.nbgrader("validate", "--invert", *map(str, releases)).stdout
    assert out.count("Success! The notebook does not pass any tests.") == len(later), out


# ---------------------------------------------------------------- collect: the two routes

def test_zip_collect(tmp_path, generated):
    """Returned work in downloaded/<assignment>/archive/ as <student>.zip or <student>/ lands in submitted/."""
    c = Course(tmp_path, generated.dir)
    assignment, notebook = FIXTURE
    release = c.dir / "release" / assignment / f"{notebook}.ipynb"
    archive = c.dir / "downloaded" / assignment / "archive"
    (archive / "bob").mkdir(parents=True)
    shutil.copy(release, archive / "bob")
    with zipfile.ZipFile(archive / "alice.zip", "w") as z:  # the whole folder, zipped
        z.write(release, f"{assignment}/{notebook}.ipynb")
    c.nbgrader("zip_collect", assignment)
    for student in ("alice", "bob"):
        assert (c.dir / "submitted" / student / assignment / f"{notebook}.ipynb").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="nbgrader's exchange is POSIX-only")
def test_exchange_release_submit_collect(tmp_path, generated):
    """On a shared server: release, fetch, submit, collect, autograde, and the feedback back."""
    import pwd
    c = Course(tmp_path, generated.dir)
    assignment, notebook = FIXTURE
    exchange = f"--Exchange.root={tmp_path / 'exchange'}"
    home = tmp_path / "student"
    home.mkdir()
    c.nbgrader("release_assignment", assignment, exchange)
    c.nbgrader("fetch_assignment", assignment, "--course=softmax-kit", exchange, cwd=home)
    assert (home / assignment / f"{notebook}.ipynb").is_file()
    c.nbgrader("submit", assignment, "--course=softmax-kit", exchange, cwd=home)
    c.nbgrader("collect", assignment, exchange)
    student = pwd.getpwuid(os.getuid()).pw_name  # the exchange knows students by login
    assert (c.dir / "submitted" / student / assignment / f"{notebook}.ipynb").is_file()
    c.grade(assignment, check=False)  # the student handed in the copy as fetched: 0 points
    c.nbgrader("release_feedback", assignment, exchange)
    c.nbgrader("fetch_feedback", assignment, "--course=softmax-kit", exchange, cwd=home)
    assert list((home / assignment / "feedback").glob(f"*/{notebook}.html"))


# ---------------------------------------------------------------- the README

def test_grade_command_refuses_unclear_requests():
    from tools.course import grade as grade_class
    for argv, message in (([], "name an assignment"), (["a1_softmax", "--all"], "not both"),
                          (["a1_softmax", "--workers", "0"], "must be positive"),
                          (["a1_softmax", "--course", str(ROOT)], "has no nbgrader_config.py")):
        with pytest.raises(SystemExit) as stop:
            grade_class.parse(argv)
        assert stop.value.code == 2, argv


def test_a_report_that_cannot_be_written_is_refused_before_grading(tmp_path, capsys):
    """`--json FILE` in a folder that is not there, or naming a folder: said before a class
    is graded, not as a traceback after it."""
    from tools.course import grade as grade_class
    for target in (tmp_path / "no-such-folder" / "report.json", tmp_path):
        with pytest.raises(SystemExit) as stop:
            grade_class.parse(["a1_softmax", "--json", str(target)])
        assert stop.value.code == 2
        assert f"--json {target}: cannot write there" in capsys.readouterr().err
    assert grade_class.parse(["a1_softmax", "--json", str(tmp_path / "r.json")]).json

def test_a_source_failing_its_own_tests_stops_grading(tmp_path):
    """A wrong solution in source/ is the teacher's to fix: nothing is graded, the test is named."""
    c = Course(tmp_path)
    source = c.dir / "source" / FIXTURE[0] / f"{FIXTURE[1]}.ipynb"
    source.write_text(source.read_text().replace(
        "return X_exp / X_exp.sum(axis=axis, keepdims=True)",
        "return X_exp / X_exp.sum(axis=0, keepdims=True)"))
    c.generate(FIXTURE[0])
    proc = c.grade(FIXTURE[0], check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "softmax.ipynb fails its own test test_softmax: rows must sum to 1" in proc.stdout
    proc = c.grade("a2_data", check=False)
    assert proc.returncode == 2
    assert "run `nbgrader generate_assignment a2_data` in the course folder first" in proc.stderr


def test_readme_runs_only_tested_commands():
    """Every command course/README.md tells a teacher or student to run is one these tests run
    (read from the tests' own calls of nbgrader, not from a list)."""
    calls = re.compile(r"""nbgrader\(\s*(?:\w+\s*,\s*)?["'](\w+)["']""")
    tested = {name for path in (ROOT / "tests").glob("test_*.py")
              for name in calls.findall(path.read_text())}
    tested |= {"generate_assignment"} if "generate(" in (ROOT / "tests" / "course_copy.py"
                                                         ).read_text() else set()
    readme = (COURSE / "README.md").read_text()
    used = set(re.findall(r"bin/nbgrader (\w+)", readme))
    assert {"generate_assignment", "export", "release_feedback"} <= used
    assert used <= tested, f"README names untested nbgrader commands: {used - tested}"
    lines = re.findall(r"\./kit grade[^\n`]*", readme)
    options = set(re.findall(r"--[\w-]+", " ".join(lines)))
    assert {"--all", "--student", "--feedback", "--json", "--cell-timeout"} <= options, options
    assert "./kit lab ~/a1_softmax" in readme
    from nbgrader.exchange.default.exchange import Exchange
    assert f"`{Exchange.class_traits()['root'].default_value}` by default" in readme
    assert "tests/test_grading.py" in readme and "tests/test_grading_adversarial.py" in readme


def test_students_jupyterlab_shows_their_copy_and_no_teacher_panels(tmp_path):
    """JupyterLab as `./kit lab FOLDER` starts it for a student: their folder, no formgrader."""
    import urllib.request
    folder = tmp_path / "a1_softmax"
    folder.mkdir()
    shutil.copy(next(COURSE.glob("source/a1_softmax/*.ipynb")), folder / "softmax.ipynb")
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(COURSE / "student_jupyter"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    lab = subprocess.Popen([str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
                            f"--notebook-dir={folder}", f"--port={port}", "--allow-root",
                            "--IdentityProvider.token=t"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def get(path):
        try:
            with urllib.request.urlopen(f"{base}{path}?token=t", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, ""
        except OSError:
            return None, ""
    try:
        for _ in range(120):
            if get("/api/status")[0] == 200:
                break
            time.sleep(0.5)
        status, listing = get("/api/contents")
        assert status == 200 and "softmax.ipynb" in listing
        assert get("/formgrader")[0] == 404  # the teacher's panel is not there
        page = get("/lab")[1]
        for plugin in ("formgrader", "course-list", "create-assignment"):
            assert f'"@jupyter/nbgrader:{plugin}"' in page
        assert '"@jupyter/nbgrader:validate-assignment"' not in page.split("disabledExtensions")[1][:300]
    finally:
        lab.terminate()
        lab.wait(timeout=30)
