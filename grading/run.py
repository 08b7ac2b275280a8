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
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from grading import reference
from grading.feedback import page
from grading.gradebook import (Book, atomic_write, autograded_notebook, course_settings,
                               kept_files, timestamp_of, write_autograded)
from grading.limits import Limits, claim_uids
from grading.notebook import (SubmissionError, assemble, find_notebook, read_json,
                              source_cells, student_cells)
from grading.report import Progress, summary
from grading.sandbox import ROOT, grading_mode, kill_users_processes, require_bwrap
from grading.scan import scan
from grading.verdict import check_manifest, dependencies, verdicts
from grading.worker import Slot, new_secret

KIT = Path(__file__).resolve().parents[1]


class GradingError(RuntimeError):
    """The class cannot be graded as asked; the message says why and what to do."""


@dataclass
class Job:
    """One notebook to grade: whose, of which assignment, where."""

    assignment: str
    notebook: str                # the notebook's name, without .ipynb
    student: str = None          # None: the reference run of the source notebook
    path: Path = None            # the submitted notebook (None: not submitted)
    found: str = None            # how it was found, when not by its name, or why none was


@dataclass
class Assignment:
    """An assignment's source notebook, as graded: its cells, manifest and usual cell times."""

    name: str
    notebook: str
    cells: list
    manifest: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)   # grade_id -> seconds in the reference run
    total_seconds: float = 0.0                    # the reference run's cells, in all
    forbidden: dict = field(default_factory=dict)  # test grade_id -> names its checks trap

    def forbid_of(self, grade_id):
        """The library names the checks of test cell `grade_id` trap while they run the answers."""
        return sorted(self.forbidden.get(grade_id, ()))

    def set_forbidden(self):
        """Each test cell's trapped names: those its answers' tasks forbid (grading.scan)."""
        found = scan(self.cells)
        self.forbidden = {test: set().union(*(found.forbidden.get(t, set()) for t in tasks))
                          for test, tasks in dependencies(self.cells).items() if tasks}


@dataclass
class Outcome:
    """What grading one submission gave, for the gradebook, the pages and the summary."""

    job: Job
    cells: list = None
    runs: dict = field(default_factory=dict)
    verdicts: list = field(default_factory=list)
    note: str = None
    attention: list = field(default_factory=list)
    error: str = None            # the grader's own failure (never shown to the student)
    seconds: float = 0.0
    records: dict = field(default_factory=dict)
    peak_mb: float = 0.0         # the grader's peak memory once this submission was stored

    @property
    def score(self):
        """Points the autograded tests gave."""
        return sum(v.score for v in self.verdicts)

    @property
    def max_score(self):
        """Points the autograded tests could give."""
        return sum(v.points for v in self.verdicts)


def limits_for(assignment, limits):
    """The time limit of cell i: the floor, or `cell_factor` times the reference run's time."""
    def limit(i, cell):
        usual = assignment.seconds.get(cell.grade_id, 0.0) if cell.grade_id else 0.0
        return max(limits.cell_seconds, limits.cell_factor * usual)
    return limit


def died(ex):
    """True if the kernel ended by itself during a cell (not a time limit)."""
    run = ex.runs.get(ex.stopped_at) if ex.stopped_at is not None else None
    return run is not None and run.status == "died"


def exit_reason(status):
    """' (how the kernel's process ended)' for the teacher, or ''."""
    if status is None or status == 0:
        return ""
    if status > 0:
        return f" (the kernel exited with code {status})"
    name = {9: "SIGKILL: often the machine ran out of memory, or another program killed it",
            6: "SIGABRT", 11: "SIGSEGV", 24: "SIGXCPU: the CPU-time limit",
            25: "SIGXFSZ: a file over the size limit", 31: "SIGSYS: a blocked system call"}
    return f" (the kernel was ended by signal {-status}, {name.get(-status, 'see man 7 signal')})"


def reference_run(slot, assignment, limits):
    """Run the source notebook; fill in the manifest and times, or raise GradingError."""
    secret = new_secret()
    assignment.set_forbidden()
    ex = slot.execute(assignment.cells, lambda i, c: limits.notebook_seconds, secret,
                      forbid_of=assignment.forbid_of)
    if ex.startup_error or died(ex):  # the machinery or the machine: once more, afresh
        slot.close()
        ex = slot.execute(assignment.cells, lambda i, c: limits.notebook_seconds, secret,
                          forbid_of=assignment.forbid_of)
    where = f"{assignment.name}/{assignment.notebook}.ipynb"
    if ex.startup_error or ex.stopped:
        raise GradingError(f"the source notebook {where} did not run to its end: "
                           f"{ex.stopped} {ex.startup_error or ''}".strip()
                           + exit_reason(ex.exit_status))
    assignment.total_seconds = ex.run_seconds
    for i, run in ex.runs.items():
        cell = assignment.cells[i]
        if cell.grade_id:
            assignment.seconds[cell.grade_id] = run.seconds
        if run.status != "ok" and not cell.is_test:
            raise GradingError(f"the source notebook {where} fails in cell "
                               f"{cell.grade_id or i + 1}: {run.error}")
    for cell_id, entries in ex.records.items():
        bad = [e for e in entries if isinstance(e, str)]
        if bad:
            raise GradingError(f"the source notebook {where}: test {cell_id}: {bad[0]}")
        assignment.manifest[cell_id] = [header for header, _ in entries]
    problems = check_manifest(assignment.manifest)
    if problems:
        raise GradingError(f"{where}: " + "; ".join(problems))
    for v in verdicts(assignment.cells, ex.runs, ex.records, assignment.manifest, {}, secret,
                      reference):
        if v.status != "passed":
            raise GradingError(f"the source notebook {where} fails its own test {v.grade_id}: "
                               f"{v.message}")
    return assignment


def grade_one(slot, assignment, job, limits):
    """Grade one submission in `slot`; return its Outcome."""
    out = Outcome(job)
    tic = time.monotonic()
    if job.found:
        out.attention.append(job.found)
    try:
        doc, out.note = read_json(job.path)
        submitted = student_cells(doc)
    except SubmissionError as e:
        out.note = str(e)
        out.attention.append(f"unreadable: {e}")
        submitted = []
    notes = []
    out.cells = assemble(assignment.cells, submitted, notes)
    out.attention += notes
    out.note = "; ".join(n for n in (job.found, out.note, *notes) if n)
    found = scan(out.cells)
    if found.unread:
        out.attention.append("not read: " + "; ".join(f.text() for f in found.unread[:3]))
    if found.unparsable:
        out.attention.append("the scan could not read cell" + "s" * (len(found.unparsable) > 1)
                             + " " + ", ".join(str(i + 1) for i in found.unparsable[:5])
                             + " (not Python, even with IPython's magics)")
    secret = new_secret()
    budget = limits.budget(assignment.total_seconds)
    ex = None
    if submitted:
        def run():
            return slot.execute_with_retry(out.cells, limits_for(assignment, limits), secret,
                                           budget=budget, forbid_of=assignment.forbid_of)
        ex = run()
        if ex.startup_error:  # the machinery, not the student: try once more, afresh
            slot.close()
            ex = run()
        out.runs, out.records = ex.runs, ex.records
        if ex.startup_error:
            out.attention.append("the kernel could not start (see the slot's server.log)")
        if ex.stopped:
            out.attention.append(ex.stopped)
        if ex.leftovers:
            out.attention.append(f"{len(ex.leftovers)} processes outlived the notebook")
        if ex.unreadable:
            out.attention.append("records not read: " + "; ".join(ex.unreadable[:3]))
    for label, findings in (("tampering", found.tampering),
                            ("the scan cannot follow", found.dynamic)):
        if findings:
            shown = "; ".join(f.text() for f in findings[:3])
            more = len(findings) - 3
            out.attention.append(f"{label}: {shown}" + (f" (+{more} more)" if more > 0 else ""))
    out.verdicts = verdicts(out.cells, out.runs, out.records, assignment.manifest,
                            found.delegated, secret, reference,
                            stopped=(ex.stopped if ex else out.note))
    out.seconds = time.monotonic() - tic
    return out


class Pool:
    """Worker threads, one per slot, taking jobs and giving back outcomes."""

    def __init__(self, slots, handle):
        self.jobs, self.results = queue.Queue(), queue.Queue()
        self.threads = [threading.Thread(target=self._work, args=(s, handle), daemon=True)
                        for s in slots]
        for t in self.threads:
            t.start()

    def _work(self, slot, handle):
        while True:
            job = self.jobs.get()
            if job is None:
                return
            try:
                result = handle(slot, job)
            except Exception as e:  # noqa: BLE001 (a grader's bug must not stop the class)
                what = job[2] if job[0] == "grade" else Job(job[1].name, job[1].notebook)
                result = Outcome(what, error=f"{type(e).__name__}: {e}\n"
                                 f"{traceback.format_exc(limit=-3)}")
                result.attention.append(f"not graded: the grader failed ({type(e).__name__}: "
                                        f"{e})")
            self.results.put(result)

    def close(self):
        """Let every worker finish its job, then stop."""
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join()


def find_submissions(coursedir, assignment, notebook, students=None, grade_ids=(),
                     others=()):
    """Jobs for every student with a submitted/<student>/<assignment>/ folder (or those named).

    The notebook is found by its name, or as the folder's one notebook (grading.notebook.
    find_notebook); a job without one says why.
    """
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    folders = sorted(Path(p) for p in glob.glob(glob.escape(pattern).replace("[*]", "*")))
    jobs = []
    for folder in folders:
        student = folder.parent.name
        if folder.is_symlink() or folder.parent.is_symlink() or not folder.is_dir():
            continue
        if students and student not in students:
            continue
        path, found = find_notebook(folder, notebook, grade_ids, others)
        jobs.append(Job(assignment, notebook, student, path, found))
    return jobs


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
            pool = Pool(slots, self._handle)
            for a in assignments:
                pool.jobs.put(("reference", a))
            ready = {}
            for _ in assignments:
                result = pool.results.get()
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
            for job in jobs:
                if job.path is None:
                    book.record_missing(job.assignment, job.notebook, job.student,
                                        flagged=bool(job.found))
                    outcomes.append(Outcome(job, attention=[job.found] if job.found else []))
                    if progress:
                        progress.update(outcomes[-1])
                    continue
                pool.jobs.put(("grade", ready[(job.assignment, job.notebook)], job))
            for _ in [j for j in jobs if j.path is not None]:
                outcome = pool.results.get()
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

    def _handle(self, slot, job):
        if job[0] == "reference":
            try:
                return reference_run(slot, job[1], self.limits)
            except GradingError as e:
                return Outcome(Job(job[1].name, job[1].notebook), error=str(e))
        return grade_one(slot, job[1], job[2], self.limits)

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
    each assignment's time budget per notebook, the route (root or user), and the CPU
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
                             "peak_mb": o.peak_mb,
                             "cells": {v.grade_id: [v.score, v.points, v.status, v.message]
                                       for v in o.verdicts}}
                            for o in outcomes]}


def report(outcomes, problems, seconds, workers):
    """The summary the command prints: problems first, then the class's results."""
    lines = [f"not graded: {p}" for p in problems]
    lines.append(summary(outcomes, seconds, workers))
    return "\n".join(lines)
