"""The points of each test cell, decided in the grader from what the checks recorded.

A test cell earns its points when every check it calls recorded an answer, each call
ran as the source notebook's does (same check, same parameters: the manifest, taken from
a run of the source notebook), and the grader's judge accepts each answer against the
grader's own reference (grading.reference) on inputs it regenerates itself. Outputs,
errors and anything else the kernel said count for nothing, except to explain a failure.
An answer that hands its task to the kit's or a library's code earns nothing: found by
the grader's scan of the code (grading.scan), or by the trap the checks set while they
ran the student's code (grading.checks.trap), which the record reports.
"""
from dataclasses import dataclass

from grading.checks.judge import JUDGES, UNGRADABLE
from grading.checks.messages import say
from grading.checks.session import derive_seed


@dataclass
class Verdict:
    """The outcome of one test cell."""

    grade_id: str
    points: float
    score: float
    message: str      # what the student reads: say("grading.passed") or why not
    status: str       # passed, failed, delegated, not run


def dependencies(cells):
    """{test cell's grade_id: [grade_ids of the code answers it tests]}: those since the last test."""
    deps, pending, last = {}, [], []
    for c in cells:
        if c.kind == "answer" and c.cell_type == "code":
            pending.append(c.grade_id)
        elif c.is_test:
            last = pending or last
            deps[c.grade_id] = list(last)
            pending = []
    return deps


def first_difference(got, want):
    """(parameter, got, wanted) of the first parameter where two calls differ."""
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            return key, got.get(key), want.get(key)
    return "?", None, None


def judge_cell(grade_id, expected, recorded, secret, ref):
    """None if every recorded answer of the cell passes, else the message to show."""
    for index, want in enumerate(expected):
        if index >= len(recorded):
            return None, "missing"
        entry = recorded[index]
        if isinstance(entry, str):
            return say("grading.bad_record", why=entry), "failed"
        header, record = entry
        if header.get("check") != want["check"] or header.get("params") != want["params"]:
            if header.get("check") != want["check"]:
                return say("grading.unexpected_call", got=len(recorded),
                           want=len(expected)), "failed"
            key, got, wanted = first_difference(header.get("params") or {}, want["params"])
            return say("grading.changed_call", check=f"check_{want['check']}", param=key,
                       got=repr(got), want=repr(wanted)), "failed"
        trapped = header.get("trapped")
        if trapped:
            shown = ", ".join(str(t) for t in trapped[:3]) if isinstance(trapped, list) \
                else str(trapped)[:200]
            return say("grading.trapped", check=want["check"], what=shown), "delegated"
        params = want["params"]
        seed = derive_seed(secret, grade_id, index, params.get("seed"))
        try:
            JUDGES[want["check"]](record, params, seed, ref)
        except AssertionError as e:
            return str(e), "failed"
        except Exception as e:  # noqa: BLE001 (a record that is not what the check writes)
            return say("grading.bad_record", why=type(e).__name__), "failed"
    if len(recorded) > len(expected):
        return say("grading.unexpected_call", got=len(recorded), want=len(expected)), "failed"
    return None, "passed"


def verdicts(cells, runs, records, manifest, delegated, secret, ref, stopped=None):
    """[Verdict] for every test cell of `cells`.

    runs: {cell index: executor.CellRun}; records: {grade_id: [(header, record) or error
    text]}; manifest: {grade_id: [{"check", "params"}]}; delegated: {answer grade_id:
    [scan.Finding]}; stopped: why the notebook ended early, if it did.
    """
    deps = dependencies(cells)
    out = []
    for i, c in enumerate(cells):
        if not c.is_test:
            continue
        found = [f for task in deps.get(c.grade_id, []) for f in delegated.get(task, [])]
        if found:
            f = found[0]
            message = say("grading.delegated", task=f.task, what=f.what, cell=f.cell + 1,
                          line=f.line)
            out.append(Verdict(c.grade_id, c.points, 0.0, message, "delegated"))
            continue
        message, status = judge_cell(c.grade_id, manifest.get(c.grade_id, []),
                                     records.get(c.grade_id, []), secret, ref)
        if status == "missing":
            run = runs.get(i)
            if run is None:
                message, status = say("grading.not_reached", why=stopped or "?"), "not run"
            else:
                error = (say("grading.error", ename=run.error[0], evalue=run.error[1])
                         if run.error else "")
                message, status = say("grading.no_run", error=error), "failed"
        score = c.points if status == "passed" else 0.0
        out.append(Verdict(c.grade_id, c.points, score, message or say("grading.passed"), status))
    return out


def check_manifest(manifest):
    """The manifest's problems as text (a test calling a check that cannot grade), or []."""
    return [f"test cell {cell} calls check_{h['check']}, which compares with values the "
            "student's kernel computes: use a check with a reference instead"
            for cell, headers in manifest.items() for h in headers if h["check"] in UNGRADABLE]
