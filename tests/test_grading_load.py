"""A busy machine costs an honest notebook nothing: its time is charged without its waits for a CPU.

a3's source notebook (which trains) is timed with the grader on one CPU; then processes
that burn that CPU start, and an honest submission (the source's own solutions) runs
several times slower than its source did, in wall time. It keeps every point and needs
no attention. A student who sleeps waits for no CPU: the budget still stops them (the
sleepy students of the adversarial class).
"""
import os
import shutil
import subprocess
import sys

from tests.course_copy import COURSE, Course

ASSIGNMENT, NOTEBOOK = "a3_scratch", "softmax_scratch"
BURNERS = 6  # the kernel gets a seventh of its CPU, or less: seven times slower in wall time
BURN = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


def test_an_honest_notebook_keeps_its_points_on_a_busy_machine(tmp_path, monkeypatch):
    import grading.run
    from grading.limits import Limits
    course = Course(tmp_path)
    course.generate(ASSIGNMENT)
    handed_in = course.dir / "submitted" / "honest" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    handed_in.parent.mkdir(parents=True)
    shutil.copy(COURSE / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", handed_in)
    cpu = max(os.sched_getaffinity(0))
    burners, grade_one = [], grading.run.grade_one

    def busy_grade_one(*args, **kwargs):  # the source notebook has been timed: load rises
        # Each in a session of its own, as the kernel is: Linux shares a CPU between
        # sessions first (autogroups), then between the processes of each.
        burners.extend(subprocess.Popen([sys.executable, "-c", BURN, str(cpu)],
                                        start_new_session=True) for _ in range(BURNERS))
        return grade_one(*args, **kwargs)

    monkeypatch.setattr(grading.run, "grade_one", busy_grade_one)
    # A budget of twice the source's time plus 2 s, so that the burners put the notebook
    # well beyond it in wall time; no floor of wall time (busy_factor), so that the test
    # holds however busy the machine is with other programs besides.
    limits = Limits(notebook_factor=2.0, notebook_slack=2.0, busy_factor=1000.0)
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})  # the grader, its fork server and kernels: one CPU
    try:
        grader = grading.run.Grader(course.dir, workers=1, limits=limits)
        outcomes, problems, _ = grader.grade([ASSIGNMENT])
    finally:
        os.sched_setaffinity(0, allowed)
        for burner in burners:
            burner.kill()
            burner.wait()
    assert not problems and len(outcomes) == 1 and len(burners) == BURNERS, problems
    honest, = outcomes
    assert honest.score == honest.max_score > 0 and not honest.attention, \
        (honest.score, honest.max_score, honest.attention)
    budget = grader.budgets[f"{ASSIGNMENT}/{NOTEBOOK}"]
    print(f"budget {budget:.1f} s; the honest notebook: {honest.seconds:.1f} s in wall time, "
          f"{honest.charged_seconds:.1f} s charged")
    assert honest.seconds > budget, "the burners did not slow the notebook beyond its budget"
    assert honest.charged_seconds < budget
