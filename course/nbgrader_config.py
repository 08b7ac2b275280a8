"""nbgrader's settings for the kit's course. Run nbgrader from this folder:

    cd course && ../.venv/bin/nbgrader generate_assignment a1_softmax --force

README.md here has the whole workflow, for teachers and for students.
"""
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (nbgrader provides get_config)
here = Path(__file__).resolve().parent


def prepend(var, entry):
    """Put `entry` first on the search path in environment variable `var` (once)."""
    parts = [p for p in os.environ.get(var, "").split(os.pathsep) if p and p != entry]
    os.environ[var] = os.pathsep.join([entry] + parts)


c.CourseDirectory.course_id = "softmax-kit"
c.CourseDirectory.root = str(here)  # source/, release/, submitted/, ... and gradebook.db

# The kernel. The notebooks name the kernel "python3"; Jupyter takes the first kernelspec
# of that name on its search path, and one in ~/.local/share/jupyter (another Python,
# without MXNet) would shadow .venv's own. jupyter/kernels/python3 here starts "python",
# which Jupyter replaces by the Python running nbgrader: run .venv/bin/nbgrader and the
# kernels are .venv's. JUPYTER_PATH is searched first; the kernels inherit it, harmlessly.
prepend("JUPYTER_PATH", str(here / "jupyter"))

# nbgrader runs the command `alembic` (installed beside it) when it creates gradebook.db:
# find it next to the Python running nbgrader, also when .venv is not activated.
prepend("PATH", str(Path(sys.executable).parent))

# `nbgrader validate` runs a notebook in the caller's own kernel: a student checking their
# work, a teacher checking source/ and release/. A training cell takes a few seconds.
c.Execute.timeout = 120

# Grading runs students' code, so never with the teacher's rights: `./kit grade` runs each
# submission in its own sandbox and judges it outside (README.md here). nbgrader's own
# autograde would sandbox nothing: the command is refused at once, and formgrader's
# button stops at each submission; both say what to run instead.
from nbgrader.preprocessors import NbGraderPreprocessor  # noqa: E402


class RefuseUnsandboxed(NbGraderPreprocessor):
    """Stands in for nbgrader's autograde steps: runs nothing, says to use ./kit grade."""

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment", "<assignment>")
        raise RuntimeError("nbgrader autograde would run this student's code with your own "
                           "rights, outside any sandbox: grade with `./kit grade "
                           f"{assignment}` (course/README.md)")


c.Autograde.autograde_preprocessors = [RefuseUnsandboxed]
if sys.argv[1:2] == ["autograde"] and Path(sys.argv[0]).name in ("nbgrader", "__main__.py"):
    sys.exit("nbgrader autograde would run students' code with your own rights, outside any "
             "sandbox: grade with `./kit grade <assignment>` (course/README.md)")

# Feedback pages: `./kit grade` writes inert ones. If nbgrader's generate_feedback is used,
# it sanitizes the HTML too (no student markup or script survives).
c.HTMLExporter.sanitize_html = True

# Collecting without a shared server (`nbgrader zip_collect`): put what each student sent
# back into downloaded/<assignment>/archive/, as <student>.zip or as a folder <student>/;
# the notebook may sit anywhere inside. The zip's or the folder's name is the student's id.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/extracted/(?P<student_id>[^/]+)/(?:.*/)?(?P<file_id>[^/]+\.ipynb)$")
