"""Grade a class, each submission in its own sandbox: `./kit grade` (course/README.md).

    ./kit grade a1_softmax             every submission of a1_softmax
    ./kit grade --all                  every assignment
    ./kit grade a1_softmax --student alice --student bob
    ./kit grade --feedback a1_softmax  rebuild the feedback pages (after manual grading)

Exit status: 0 graded, nothing needs attention; 1 graded, some submissions need
attention (listed, and flagged in the gradebook); 2 nothing graded (the reason is
printed: a wrong name, a source notebook failing its own tests, no sandbox).
"""
import argparse
import json
import os
import sys
from pathlib import Path

from grading.limits import Limits
from grading.run import Grader, GradingError, as_json, report
from grading.sandbox import SandboxError

KIT = Path(__file__).resolve().parents[2]


def parse(argv):
    parser = argparse.ArgumentParser(prog="./kit grade", description=__doc__.split("\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment names (source/<name>/)")
    parser.add_argument("--all", action="store_true", help="every assignment of the course")
    parser.add_argument("--student", action="append", default=[],
                        help="grade only this student (repeatable)")
    parser.add_argument("--course", type=Path, default=KIT / "course",
                        help="the course folder, holding nbgrader_config.py (default: course/)")
    parser.add_argument("--workers", type=int, default=2,
                        help="submissions graded at once (default 2; about one per core)")
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_seconds,
                        help="the least time in seconds a cell may run (default "
                             f"{Limits.cell_seconds:g}; slower cells of the source notebook "
                             f"get {Limits.cell_factor:g} times their own time)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="also write every submission's result to FILE, as JSON")
    parser.add_argument("--feedback", action="store_true",
                        help="only rebuild the feedback pages from the gradebook")
    args = parser.parse_args(argv)
    if not args.assignments and not args.all:
        parser.error("name an assignment (e.g. a1_softmax) or give --all")
    if args.assignments and args.all:
        parser.error("give assignment names or --all, not both")
    if args.workers < 1 or args.cell_timeout <= 0:
        parser.error("--workers and --cell-timeout must be positive")
    if not (args.course / "nbgrader_config.py").is_file():
        parser.error(f"{args.course} is not a course folder: it has no nbgrader_config.py")
    if args.json:  # said now, before a class is graded, not after
        folder = args.json.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK) or args.json.is_dir() or \
                (args.json.exists() and not os.access(args.json, os.W_OK)):
            parser.error(f"--json {args.json}: cannot write there (give a file in a folder "
                         "you may write in)")
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    names = None if args.all else args.assignments
    try:
        grader = Grader(args.course, workers=args.workers,
                        limits=Limits(cell_seconds=args.cell_timeout), stream=sys.stderr)
        if args.feedback:
            count = grader.feedback(names, args.student or None)
            print(f"wrote {count} feedback page{'s' * (count != 1)}")
            return 0
        outcomes, problems, seconds = grader.grade(names, args.student or None)
    except (GradingError, SandboxError) as e:
        print(f"kit grade: {e}", file=sys.stderr)
        return 2
    print(report(outcomes, problems, seconds, args.workers))
    if args.json:
        text = json.dumps(as_json(outcomes, problems, seconds, grader.fixed_seconds,
                                  grader.uids, grader.budgets, grader.mode), indent=1)
        try:
            args.json.write_text(text)
        except OSError as e:
            print(f"kit grade: the report {args.json} could not be written ({e.strerror}); "
                  "the grades are in the gradebook: run again with --json FILE in a folder "
                  "you may write in", file=sys.stderr)
            return 2
    if problems and not outcomes:
        return 2
    return 1 if problems or any(o.attention for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
