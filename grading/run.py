"""Grade a class: every submission of some assignments, in parallel, in sandboxes.

First each assignment's source notebook runs once, sandboxed like any submission: its
solutions must pass all its own tests (else that assignment is not graded, and the
teacher is told why), and its checks give the manifest (which checks each test cell
calls, with which parameters), each cell's usual time and the notebook's, which set the
limits of a submission (a cell: a few times its own; the notebook: a few times the
whole). Then the worker slots take the submissions one by one; this process alone writes
the gradebook, the autograded notebooks and the feedback pages, each submission's as it
comes in, as the course folder's owner when it runs as root. Every student with a folder
gets a line in the summary unless fully graded.
"""
import glob
import queue
import warnings
import shutil
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grading.feedback import page
from grading.grade import Assignment, GradingError, Job, Outcome, grade_one, reference_run
from grading.gradebook import (Book, atomic_write, autograded_notebook, course_settings,
                               kept_files, timestamp_of, write_autograded)
from grading.limits import Limits, claim_uids
from grading.notebook import source_cells
from grading.report import Progress, summary
from grading.sandbox import ROOT, grading_mode, kill_users_processes, require_bwrap
from grading.submissions import find_submissions
from grading.worker import Slot

KIT = Path(__file__).resolve().parents[1]


class Pool:
    """Worker threads (concurrent.futures), one per slot: each task runs in a slot of its own.

    `submit(fn, *args, job=...)` runs fn(slot, *args) in a slot no other task holds and
    gives back a Future of its result; a task that fails with an exception (a grader's
    bug) gives an Outcome of `job` that says so, and the class goes on.
    """

    def __init__(self, slots):
        self.idle = queue.SimpleQueue()
        for slot in slots:
            self.idle.put(slot)
        self.executor = ThreadPoolExecutor(max_workers=len(slots), thread_name_prefix="slot")

    def submit(self, fn, *args, job):
        """A Future of fn(slot, *args) in a free slot (or of an Outcome of `job`, if it fails)."""
        return self.executor.submit(self._run, fn, args, job)

    def _run(self, fn, args, job):
        slot = self.idle.get()  # as many threads as slots: one is free
        try:
            return fn(slot, *args)
        except Exception as e:  # noqa: BLE001 (a grader's bug must not stop the class)
            result = Outcome(job, error=f"{type(e).__name__}: {e}\n"
                             f"{traceback.format_exc(limit=-3)}")
            result.attention.append(f"not graded: the grader failed ({type(e).__name__}: "
                                    f"{e})")
            return result
        finally:
            self.idle.put(slot)

    def close(self):
        """Let every task submitted finish, then stop the threads."""
        self.executor.shutdown(wait=True)


class Grader:
    """Grades assignments of a course; keeps its slots warm between assignments."""

    def __init__(self, course_dir, workers=2, limits=Limits(), stream=None):
        self.fixed_seconds, self.uids, self.budgets = 0.0, [], {}
        self.course_dir = Path(course_dir).resolve()
        self.coursedir = course_settings(self.course_dir)
        self.workers, self.limits, self.stream = workers, limits, stream
        from helpers.data import find_data_dir
        self.mode = grading_mode()
        self.bwrap = require_bwrap()
        self.data_dir = find_data_dir()
        st = self.course_dir.stat()
        # As root, everything grading writes goes to the course folder's owner.
        self.owner = (st.st_uid, st.st_gid) if self.mode == ROOT and st.st_uid != 0 else None

    def assignments(self, names, book):
        """Assignment objects for `names` (None: every one in source/)."""
        source = Path(self.coursedir.source_directory)
        source = source if source.is_absolute() else self.course_dir / source
        names = names or sorted(p.name for p in source.iterdir() if p.is_dir())
        out = []
        for name in names:
            folder = source / name
            notebooks = sorted(folder.glob("*.ipynb"))
            if not notebooks:
                raise GradingError(f"no assignment {name!r}: {folder} holds no notebook")
            known = book.notebooks(name)
            if known is None:
                raise GradingError(f"the gradebook does not know {name!r} yet: run "
                                   f"`nbgrader generate_assignment {name}` in the course "
                                   "folder first")
            for path in notebooks:
                if path.stem in known:
                    out.append(Assignment(name, path.stem, source_cells(path)))
        return out

    def grade(self, names=None, students=None):
        """Grade every submission of `names`; return (outcomes, problems, seconds)."""
        from sqlalchemy.exc import SAWarning
        warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's, harmless
        tic = time.monotonic()
        book = Book(self.coursedir)
        run_dir = tempfile.mkdtemp(prefix="kit-grade-")
        if self.mode == ROOT:
            self.uids, locks = claim_uids(self.workers)
        else:  # an ordinary user's kernels are told apart by their PID namespaces
            self.uids, locks = [None] * self.workers, []
        slots = [Slot(k, run_dir, str(KIT), self.data_dir, self.limits, self.bwrap, uid,
                      self.mode) for k, uid in enumerate(self.uids)]
        for s in slots:
            if s.uid is not None:
                kill_users_processes(s.uid)  # a crashed run's leftovers: its lock is gone
        pool = None
        outcomes, problems = [], []
        try:
            assignments = self.assignments(names, book)
            pool = Pool(slots)
            runs = [pool.submit(self._reference, a, job=Job(a.name, a.notebook))
                    for a in assignments]
            ready = {}
            for future in as_completed(runs):
                result = future.result()
                if isinstance(result, Assignment):
                    ready[(result.name, result.notebook)] = result
                else:
                    problems.append(result.error)
            self.fixed_seconds = time.monotonic() - tic  # set-up and the source notebooks' runs
            self.budgets = {f"{a.name}/{a.notebook}": round(self.limits.budget(a.total_seconds), 3)
                            for a in ready.values()}
            jobs = []
            for a in ready.values():
                others = [b.notebook for b in ready.values() if b.name == a.name and b is not a]
                grade_ids = {c.grade_id: c.stub for c in a.cells if c.kind == "answer"}
                jobs += find_submissions(self.coursedir, a.name, a.notebook, students,
                                         grade_ids, others)
            progress = Progress(len(jobs), self.stream) if self.stream else None
            graded = []
            for job in jobs:
                if job.path is None:
                    book.record_missing(job.assignment, job.notebook, job.student,
                                        flagged=bool(job.found))
                    outcomes.append(Outcome(job, attention=[job.found] if job.found else []))
                    if progress:
                        progress.update(outcomes[-1])
                    continue
                graded.append(pool.submit(grade_one, ready[(job.assignment, job.notebook)],
                                          job, self.limits, job=job))
            for future in as_completed(graded):
                outcome = future.result()
                try:
                    self._store(book, outcome)
                except Exception as e:  # noqa: BLE001 (one submission must not stop the class)
                    book.rollback()
                    outcome.error = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=-3)}"
                    outcome.attention.append(f"not stored: the grader failed ({type(e).__name__}"
                                             f": {str(e)[:200]})")
                outcome.peak_mb = peak_memory()
                outcomes.append(outcome)
                if progress:
                    progress.update(outcome)
        finally:
            if pool is not None:
                pool.close()
            for s in slots:
                s.close()
                if s.uid is not None:
                    kill_users_processes(s.uid)
            for lock in locks:
                lock.close()
            book.close(self.owner)
            shutil.rmtree(run_dir, ignore_errors=True)
        return outcomes, problems, time.monotonic() - tic

    def _reference(self, slot, assignment):
        """The source notebook's run in `slot`: its Assignment, or an Outcome that says why not."""
        try:
            return reference_run(slot, assignment, self.limits)
        except GradingError as e:
            return Outcome(Job(assignment.name, assignment.notebook), error=str(e))

    def _store(self, book, outcome):
        """Write one outcome: gradebook, autograded notebook, feedback page."""
        job = outcome.job
        if outcome.error:
            return
        kept = kept_files(job.path.parent)
        book.record(job.assignment, job.notebook, job.student, outcome.cells,
                    outcome.verdicts, flagged=bool(outcome.attention),
                    timestamp=timestamp_of(kept))
        nb = autograded_notebook(outcome.cells, outcome.runs, outcome.verdicts, outcome.note)
        write_autograded(self.coursedir, job.assignment, job.notebook, job.student, nb, kept,
                         self.owner)
        self.write_feedback(book, job.assignment, job.notebook, job.student, nb, kept)

    def write_feedback(self, book, assignment, notebook, student, nb, kept):
        """Write a student's feedback page (and the exchange's files) from the gradebook's scores."""
        folder = Path(self.coursedir.format_path(self.coursedir.feedback_directory, student,
                                                 assignment))
        scores = book.scores(assignment, notebook, student)
        atomic_write(folder / f"{notebook}.html", page(nb, student, assignment, notebook, scores),
                     self.owner)
        for name, text in kept.items():
            atomic_write(folder / name, text, self.owner)

    def feedback(self, names=None, students=None):
        """Rebuild the feedback pages from autograded/ and the gradebook; return how many."""
        from grading.feedback import read_graded
        book = Book(self.coursedir)
        count = 0
        try:
            for a in self.assignments(names, book):
                pattern = self.coursedir.format_path(self.coursedir.autograded_directory,
                                                     "*", a.name)
                pattern = glob.escape(pattern).replace("[*]", "*")
                for path in sorted(Path(p) / f"{a.notebook}.ipynb" for p in glob.glob(pattern)):
                    if not path.is_file():
                        continue
                    student = path.parent.parent.name
                    if students and student not in students:
                        continue
                    self.write_feedback(book, a.name, a.notebook, student, read_graded(path),
                                        kept_files(path.parent))
                    count += 1
        finally:
            book.close(self.owner)
        return count


def peak_memory():
    """The grader process's peak resident memory so far, in MB.

    VmHWM, this program's own: ru_maxrss keeps the high-water mark of the process that
    forked it, from before the exec.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def as_json(outcomes, problems, seconds, fixed_seconds=0.0, uids=(), budgets=None, mode=None):
    """The run as plain data: one entry per submission (the `--json` file).

    Also the grader's own peak memory (MB, in all and once each submission was stored),
    each assignment's time budget per notebook (and each submission's time as charged
    against it: grading.clock), the route (root or user), and the CPU
    time of the grader itself and of what ran in the sandboxes (fork servers, kernels).
    """
    import resource
    own, others = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return {"seconds": round(seconds, 3), "fixed_seconds": round(fixed_seconds, 3),
            "uids": [u for u in uids if u is not None], "problems": problems,
            "peak_mb": peak_memory(), "budgets": budgets or {}, "mode": mode,
            "cpu_seconds": {"grader": round(own.ru_utime + own.ru_stime, 3),
                            "sandboxes": round(others.ru_utime + others.ru_stime, 3)},
            "submissions": [{"student": o.job.student, "assignment": o.job.assignment,
                             "notebook": o.job.notebook, "score": o.score,
                             "max_score": o.max_score, "attention": o.attention,
                             "error": o.error, "seconds": round(o.seconds, 3),
                             "charged_seconds": round(o.charged_seconds, 3),
                             "peak_mb": o.peak_mb,
                             "cells": {v.grade_id: [v.score, v.points, v.status, v.message]
                                       for v in o.verdicts}}
                            for o in outcomes]}


def report(outcomes, problems, seconds, workers):
    """The summary the command prints: problems first, then the class's results."""
    lines = [f"not graded: {p}" for p in problems]
    lines.append(summary(outcomes, seconds, workers))
    return "\n".join(lines)
