"""The judges, by check name: JUDGES["softmax"] decides whether check_softmax's record is right.

Each assignment's module (a1_softmax.py ... a8_tuning.py; common.py for the generic
checks) registers its judges with `@judge` beside the checks they judge; importing
grading.checks imports them all, so JUDGES is complete wherever it is read (the grader's
verdicts, grading/verdict.py; a student's own checks, session.py).

A judge takes (record, params, seed, ref): what the student's code returned, as plain
data (records.py); the check's parameters; the seed its inputs were drawn from (the
judge draws them again); and `ref`, the reference answers to compare with: the
student-side reference.py in a student's notebook, the grader's own grading/reference.py
when work is graded. It returns None for a right answer and raises AssertionError with a
message from messages.py otherwise.
"""

JUDGES = {}

# Checks whose verdict rests on values the student's kernel computed (the expected array of
# check_close): fine for a student's own use, never for a grade.
UNGRADABLE = set()


def judge(fn=None, *, gradable=True):
    """Register `fn`, named judge_NAME, as the judge of check NAME: `@judge`, or
    `@judge(gradable=False)` for a check the grader must refuse (UNGRADABLE)."""
    def register(fn):
        name = fn.__name__.removeprefix("judge_")
        if name in JUDGES:
            raise ValueError(f"two judges for check {name!r}: {JUDGES[name].__module__} and "
                             f"{fn.__module__}")
        JUDGES[name] = fn
        if not gradable:
            UNGRADABLE.add(name)
        return fn
    return register if fn is None else register(fn)
