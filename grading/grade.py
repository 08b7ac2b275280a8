"""Grade one notebook in a worker slot: the source notebook's run, or a submission's.

The source notebook runs first (`reference_run`): its solutions must pass all its own
tests, and its run gives the manifest (which checks each test cell calls, with which
parameters) and the usual time of each cell and of the whole, which set a submission's
limits. A submission (`grade_one`) is read whatever it holds, rebuilt on the course's
cells, scanned, run in a fresh sandbox within those limits, and judged: an Outcome, plain
data for the gradebook, the feedback page and the summary.
"""
import time
from dataclasses import dataclass, field
from pathlib import Path

from grading import reference
from grading.ipynb import SubmissionError, read_json
from grading.notebook import assemble, student_cells
from grading.scan import scan
from grading.verdict import check_manifest, dependencies, verdicts
from grading.worker import died, new_secret


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
    charged_seconds: float = 0.0  # the notebook's cells, as its budget counts them (grading.clock)
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


def exit_reason(status):
    """' (how the kernel's process ended)' for the teacher, or ''."""
    if status is None or status == 0:
        return ""
    if 128 < status <= 128 + 64:  # the kernel's own signal, passed on as a shell says it
        status = 128 - status
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
        out.runs, out.records, out.charged_seconds = ex.runs, ex.records, ex.run_seconds
        if ex.startup_error:
            out.attention.append("the kernel could not start (see the slot's server.log)")
        if ex.stopped or ex.rerun:
            how = list(dict.fromkeys(f"cell {cell}: {exit_reason(status).strip(' ()')}"
                                     for cell, status in ex.deaths if status))
            said = ex.stopped
            if ex.rerun:
                said = f"{ex.rerun}; run again with every cell" + (
                    f": {ex.stopped}" if ex.stopped else ", it went through")
            out.attention.append(said + (f" ({'; '.join(how)})" if how else ""))
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
