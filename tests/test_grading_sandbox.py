"""What a student's kernel sees of the kit, in a real sandbox: the checks, not the grader.

The test cells import the checks (grading.checks), so a sandbox shows grading/checks/ and
the package file holding it, read-only; the rest of grading/ (the grader's reference
answers, its runner, its scan) is not there at all, neither as files nor as modules the
kernel inherits from the fork server. tests/test_grading_parts.py checks bwrap's command
line; here the sandbox is started, by both routes (as root, and in a user namespace of its
own as a teacher without root).
"""
import json
import shutil
import subprocess
import sys

import pytest

from grading import sandbox
from tests.kit_paths import ROOT

GRADER = ("reference.py", "run.py", "scan.py", "verdict.py", "zygote.py")

LOOK_AROUND = f"""
import json, os
import grading, grading.checks
from grading.checks import check_softmax
found = {{}}
for name in {GRADER!r}:
    try:
        open(os.path.join({str(ROOT / "grading")!r}, name)).read()
        found[name] = "read"
    except OSError as e:
        found[name] = type(e).__name__
try:
    import grading.reference
    found["import grading.reference"] = "imported"
except ImportError as e:
    found["import grading.reference"] = type(e).__name__
print(json.dumps({{"listing": sorted(os.listdir(os.path.dirname(grading.__file__))),
                  "check": check_softmax.__module__, "found": found}}))
"""


@pytest.mark.parametrize("mode", [sandbox.ROOT, sandbox.USER])
def test_a_kernel_imports_the_checks_and_finds_no_other_part_of_the_grader(mode, tmp_path):
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.fail("bubblewrap (bwrap) is missing: run ./kit test, whose set-up installs it, "
                    "or apt-get install bubblewrap", pytrace=False)
    passwd = tmp_path / "passwd"
    passwd.write_text("student:x:1000:1000::/home/student:/bin/sh\n")
    passwd.with_name("group").write_text("student:x:1000:\n")
    args = sandbox.bwrap_args(bwrap, mode, str(ROOT), None, passwd, 2**24)
    proc = subprocess.run([*args, sys.executable, "-c", LOOK_AROUND],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout)
    assert seen["listing"] == ["__init__.py", "checks"]
    assert seen["check"] == "grading.checks.a1_softmax"
    assert seen["found"] == {**{name: "FileNotFoundError" for name in GRADER},
                             "import grading.reference": "ModuleNotFoundError"}


def test_a_forked_kernel_keeps_the_checks_and_forgets_the_grader():
    """The fork server imports the grader (grading.seccomp, itself) and the checks; the
    kernel it forks keeps only grading.checks and the bare package."""
    code = ("import json, sys, grading.run, grading.seccomp, grading.checks.tasks\n"
            "from grading.zygote import forget_the_grader\n"
            "forget_the_grader()\n"
            "import grading\n"
            "print(json.dumps([sorted({m.split('.')[1] for m in sys.modules "
            "if m.startswith('grading.')}), sorted(n for n in vars(grading) "
            "if not n.startswith('__'))]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    modules, attributes = json.loads(proc.stdout)
    assert modules == ["checks"] and attributes == ["checks"]
