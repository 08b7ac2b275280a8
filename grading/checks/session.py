"""Where a check's record goes: to its judge at once, or to a file for the grader.

In a student's notebook each check judges its record on the spot (with the references
of grading.checks.reference) and raises the AssertionError the student reads. When the
grader runs a notebook, it sets SOFTMAX_KIT_GRADING to a folder and SOFTMAX_KIT_SEED to a
fresh secret, and says which test cell runs and which library names its task forbids
(`begin`); each check then draws its inputs from a seed derived from the secret, runs the
student's code under a trap for those names (grading.checks.trap), and writes its record
to the folder, with what the trap saw, judging nothing: the grader judges, in its own
process.
"""
import hashlib
import os

GRADING_DIR = "SOFTMAX_KIT_GRADING"
GRADING_SEED = "SOFTMAX_KIT_SEED"

_cell = {"id": None, "calls": 0, "forbid": (), "trap": None}


def _release():
    """End a trap a check left active (the student's code raised before the check finished)."""
    trap, _cell["trap"] = _cell["trap"], None
    if trap is not None:
        trap.__exit__(None, None, None)


def grading():
    """True when the grader runs this kernel."""
    return bool(os.environ.get(GRADING_DIR))


def begin(cell_id, forbid=()):
    """The grader's notice that test cell `cell_id` runs next (None: no test cell runs),
    and the library names its task forbids."""
    _release()
    _cell["id"], _cell["calls"], _cell["forbid"] = cell_id, 0, tuple(forbid)


def derive_seed(secret, cell_id, index, seed):
    """The seed of the `index`-th check of cell `cell_id` under `secret` (grader and kernel alike)."""
    text = f"{secret}/{cell_id}/{index}/{seed}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little")


def record_name(cell_id, index):
    """The file name of the `index`-th record of cell `cell_id`."""
    return f"{cell_id}.{index}.npz"


class Run:
    """One call of a check: its name, parameters and the seed of its inputs."""

    def __init__(self, check, params):
        self.check, self.params = check, params
        self.cell, self.index = _cell["id"], _cell["calls"]
        self.trapped = []
        if grading():
            _cell["calls"] += 1
            self.seed = derive_seed(os.environ.get(GRADING_SEED, ""), self.cell, self.index,
                                    params.get("seed"))
        else:
            seed = params.get("seed")
            self.seed = 0 if seed is None else seed

    def call(self, fn, *args, **kwargs):
        """fn(*args, **kwargs): the student's code, under the trap when graded.

        The trap stays set until `finish`, so that what the returned value does when the
        check reads it (its asnumpy, say) is watched too.
        """
        __tracebackhide__ = True  # noqa: F841
        if not (grading() and _cell["forbid"]):
            return fn(*args, **kwargs)
        given = [a for a in list(args) + list(kwargs.values()) if callable(a)]
        if _cell["trap"] is None:
            from grading.checks.trap import Trap
            _cell["trap"] = Trap(_cell["forbid"], given).__enter__()
        else:
            _cell["trap"].exclude(given)
        return fn(*args, **kwargs)

    def finish(self, record):
        """Judge `record` now (a student's notebook), or write it for the grader."""
        __tracebackhide__ = True  # noqa: F841 (IPython hides this frame from students)
        from grading.checks import records
        trap = _cell["trap"]
        if trap is not None:
            _release()
            self.trapped += [h for h in trap.hits if h not in self.trapped]
        header = {"check": self.check, "params": self.params}
        if self.trapped:
            header["trapped"] = list(self.trapped)
        if grading():
            if self.cell is not None:
                folder = os.environ[GRADING_DIR]
                records.write(os.path.join(folder, record_name(self.cell, self.index)), header,
                              record)
            return
        from grading.checks import reference
        from grading.checks.judge import JUDGES
        _, plain = records.round_trip(header, record)
        try:
            JUDGES[self.check](plain, self.params, self.seed, reference)
        except AssertionError as e:
            raise AssertionError(str(e)) from None  # the student's message, not our frames


def start(check, params):
    """Begin one call of `check` with `params` (JSON-able values); returns its Run."""
    _release()
    return Run(check, params)
