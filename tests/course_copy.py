"""A temporary copy of course/ for the grading tests, and what they know of the course.

The copy runs nbgrader through its command line (``python -m nbgrader``, the project's
Python), so the repository stays clean. It has a stray "python3" kernelspec first on
JUPYTER_PATH, one that cannot start, and no .venv/bin on PATH: the course's own
nbgrader_config.py must still start .venv's Python (the one with MXNet) and find `alembic`.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from tests.kit_paths import ROOT

COURSE = ROOT / "course"
SOURCES = sorted(COURSE.glob("source/*/*.ipynb"))
ASSIGNMENTS = [p.parent.name for p in SOURCES]
GENERATED = ("release", "submitted", "autograded", "feedback", "downloaded",
             "source_with_tests", "gradebook.db", "grades.csv", "__pycache__",
             ".ipynb_checkpoints")
FIXTURE = ("a1_softmax", "softmax")  # the fixture class's (assignment, notebook)
PASSED = "Success! Your notebook passes all the tests."


class Course:
    """A temporary copy of course/ and the environment nbgrader runs in there."""

    def __init__(self, root, generated=None):
        """A copy of course/, or of `generated` (a copy made after generate_assignment "*")."""
        self.root = root
        self.dir = root / "course"
        if generated is None:
            shutil.copytree(COURSE, self.dir, ignore=shutil.ignore_patterns(*GENERATED))
        else:
            shutil.copytree(generated, self.dir)
        stray = root / "stray" / "kernels" / "python3"
        stray.mkdir(parents=True)
        (stray / "kernel.json").write_text(json.dumps({
            "argv": [str(root / "no-such-python"), "-m", "ipykernel_launcher",
                     "-f", "{connection_file}"],
            "display_name": "a stray python3 kernel", "language": "python"}))
        venv_bin = str(Path(sys.executable).parent)
        path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin]
        self.env = dict(os.environ, PATH=os.pathsep.join(path),
                        JUPYTER_PATH=str(root / "stray"),
                        JUPYTER_CONFIG_DIR=str(root / "home" / "jupyter-config"),
                        JUPYTER_DATA_DIR=str(root / "home" / "jupyter-data"),
                        JUPYTER_RUNTIME_DIR=str(root / "home" / "jupyter-runtime"),
                        IPYTHONDIR=str(root / "home" / "ipython"))
        self.env.pop("PYTHONWARNINGS", None)

    def nbgrader(self, *args, cwd=None, check=True):
        """Run `python -m nbgrader *args` in the course copy; return the CompletedProcess."""
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd or self.dir,
                              env=self.env, capture_output=True, text=True, timeout=900)
        if check:
            assert proc.returncode == 0, (f"nbgrader {' '.join(args)} exited "
                                          f"{proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def generate(self, *assignments):
        for name in assignments:
            self.nbgrader("generate_assignment", name, "--force")

    def grade(self, *args, check=True):
        """Run `./kit grade *args` (tools/course/grade.py) on this course; the CompletedProcess."""
        proc = subprocess.run([sys.executable, str(ROOT / "tools" / "course" / "grade.py"),
                               "--course", str(self.dir), *args], env=self.env,
                              capture_output=True, text=True, timeout=900)
        if check:
            assert proc.returncode == 0, (f"./kit grade {' '.join(args)} exited "
                                          f"{proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc
