"""How fast a class is graded: `./kit grade` by root and by a teacher without root, beside
nbgrader's own autograde, in one run.

    .venv/bin/python benchmarks/grade_speed.py                 # 6 students, 2 workers
    .venv/bin/python benchmarks/grade_speed.py --students 20 --baseline 2

Makes a temporary copy of course/ where every student hands in every assignment solved
(most of a class does), and grades it with `./kit grade` (each submission in its sandbox,
`--workers` at once): as root, then as an ordinary user (the account kit-teacher, made if
missing), the two routes one after the other on the same class. Then nbgrader's own
autograde (no sandbox, one submission at a time: how the course was graded before) on the
first `--baseline` students. Prints wall and CPU time for each, per submission, the
ratios, and the time a class of 300 students with five assignments would take. Run as
root for all three rows; as an ordinary user, it prints the user's route and the baseline.
Needs bubblewrap, as grading does. A benchmark: it prints figures and asserts nothing.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
GENERATED = ("release", "submitted", "autograded", "feedback", "downloaded",
             "source_with_tests", "gradebook.db", "grades.csv", "__pycache__")
CLASS, ASSIGNMENTS = 300, 5

# nbgrader's autograde as it was, run in-process so that the course's refusal (a guard on
# the `nbgrader autograde` command line) does not apply: for comparison only.
BASELINE = """
import sys
from nbgrader.apps import AutogradeApp
from nbgrader.converters.autograde import Autograde
app = AutogradeApp.instance()
app.initialize(sys.argv[1:])
app.config.Autograde.autograde_preprocessors = Autograde.class_traits()[
    "autograde_preprocessors"].default()
app.start()
"""


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(args, cwd, as_user=None):
    """Run `args` (as `as_user`: the folders it may enter); return (wall s, CPU s of it and its children)."""
    from tools.course.as_user import kit_paths, run_as
    cpu, tic = children_cpu(), time.perf_counter()
    if as_user is None:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    else:
        proc = run_as(args, kit_paths(ROOT) + as_user, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - tic
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, args[:4]))} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, children_cpu() - cpu


def make_class(root, students):
    """A course copy whose `students` hand in every assignment solved; returns its folder."""
    import nbformat
    course = root / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(*GENERATED))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--force"],
                   cwd=course, check=True, capture_output=True)
    for source in sorted(course.glob("source/*/*.ipynb")):
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if line.strip() not in ("### BEGIN SOLUTION",
                                                            "### END SOLUTION"))
        for k in range(students):
            target = course / "submitted" / f"student{k:03d}" / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(target))
    return course


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", type=int, default=1,
                        help="students graded by nbgrader's autograde too (0 to 10)")
    args = parser.parse_args(argv)
    if not 0 <= args.baseline <= min(10, args.students):
        parser.error("--baseline must be between 0 and min(10, --students)")
    from tools.course.as_user import ensure_user
    with tempfile.TemporaryDirectory(prefix="grade-speed-") as tmp:
        keep = os.environ.get("GRADE_SPEED_KEEP")
        root = Path(tmp)
        os.chmod(root, 0o755)
        course = make_class(root, args.students)
        routes = [("root", "./kit grade, as root", None)] if os.geteuid() == 0 else []
        routes.append(("user", "./kit grade, no root", [root] if os.geteuid() == 0 else None))
        if os.geteuid() == 0:  # the course belongs to the teacher who grades it
            teacher = ensure_user("kit-teacher")
            subprocess.run(["chown", "-R", f"{teacher}:{teacher}", str(root)], check=True)
        rows = []
        for mode, name, as_user in routes:
            report = root / f"report-{mode}.json"
            wall, cpu = timed([sys.executable, str(ROOT / "tools" / "course" / "grade.py"), "--all",
                               "--course", str(course), "--workers", str(args.workers),
                               "--json", str(report)], ROOT, as_user)
            data = json.loads(report.read_text())
            if data["mode"] != mode:
                sys.exit(f"the {name} route graded as {data['mode']}")
            if keep:
                shutil.copy(report, f"{keep}.{mode}")
            n = len(data["submissions"])
            fixed = data["fixed_seconds"]
            split = data["cpu_seconds"]
            print(f"{name}: CPU {split['grader']:.1f} s in the grader, "
                  f"{split['sandboxes']:.1f} s in the fork servers and kernels; per assignment, "
                  "mean wall s per submission: " + ", ".join(
                      f"{a} {sum(e['seconds'] for e in data['submissions'] if e['assignment'] == a) / max(1, sum(e['assignment'] == a for e in data['submissions'])):.2f}"
                      for a in sorted({e['assignment'] for e in data['submissions']})))
            per = (wall - fixed) / n
            rows.append((name, args.workers, n, wall, cpu, per, cpu / n,
                         fixed + CLASS * ASSIGNMENTS * per))
        if args.baseline:
            pattern = f"student00[0-{args.baseline - 1}]"  # nbgrader takes one --student glob
            shutil.rmtree(course / "autograded")  # the kit's; nbgrader writes its own
            b_wall = b_cpu = 0.0
            for assignment in sorted(p.name for p in course.glob("source/*")):
                w, c = timed([sys.executable, "-c", BASELINE, assignment,
                              f"--student={pattern}", "--force"], course)
                b_wall, b_cpu = b_wall + w, b_cpu + c
            bn = args.baseline * len(list(course.glob("source/*")))
            graded = len(list(course.glob("autograded/student00[0-9]/*/*.ipynb")))
            if graded != bn:
                sys.exit(f"nbgrader's autograde graded {graded} of {bn} submissions")
            rows.append(("nbgrader autograde (before)", 1, bn, b_wall, b_cpu, b_wall / bn,
                         b_cpu / bn, CLASS * ASSIGNMENTS * b_wall / bn))
            baseline = rows[-1]
        else:
            baseline = None
    print(f"{os.cpu_count()} cores; {args.students} students x "
          f"{len(list(COURSE.glob('source/*')))} assignments, "
          f"all solved; projected to {CLASS} students x {ASSIGNMENTS} assignments; "
          "./kit grade's set-up and source runs: "
          f"{fixed:.1f} s, once per command")
    print(f"{'method':28} {'workers':>7} {'subm.':>6} {'wall s':>8} {'CPU s':>8} "
          f"{'wall s/subm.':>12} {'CPU s/subm.':>11} {'300 x 5, min':>12}")
    for name, workers, count, w, c, p, cp, projected in rows:
        print(f"{name:28} {workers:>7} {count:>6} {w:>8.1f} {c:>8.1f} {p:>12.2f} {cp:>11.2f} "
              f"{projected / 60:>12.1f}")
    graded = [r for r in rows if r is not baseline]
    if len(graded) == 2:
        print(f"no root / root, per submission: {graded[1][5] / graded[0][5]:.2f}x wall, "
              f"{graded[1][6] / graded[0][6]:.2f}x CPU")
    for row in graded if baseline else ():
        print(f"{row[0]} is {baseline[5] / row[5]:.1f}x faster per submission (wall) than "
              f"nbgrader's autograde, {baseline[6] / row[6]:.1f}x less CPU")


if __name__ == "__main__":
    main()
