"""The adversarial class's student: one submission, how it departs from the solutions."""
from dataclasses import dataclass, field


@dataclass
class Student:
    """One submission: how it departs from the solutions, and what it deserves."""

    name: str
    assignment: str
    deserved: float
    attention: bool
    rows: tuple                                     # the README table's rows it covers
    answers: dict = field(default_factory=dict)     # grade_id -> source (None: the stub)
    extras: list = field(default_factory=list)      # (after grade_id, source)
    unanswered: bool = False                        # every answer left as handed out
    raw: str = None                                 # the file's bytes instead of a notebook
    files: tuple = None                             # the notebook's file names (None: its own)
    stored: str = None                              # outputs stored in the notebook, or "v3"
    edit: str = None                                # a change to the text (TEXT_EDITS) or notebook (NB_EDITS)
    encoding: str = "utf-8"                         # how the file is written
    stub_files: tuple = ()                          # files written as handed out (the release notebook)


NOTEBOOKS = {"a1_softmax": "softmax", "a3_scratch": "softmax_scratch",
             "a7_calibration": "calibration"}

# The textbook softmax (exp(X) / sum): overflows on large logits.
OVERFLOW = '''\
def softmax(X):
    X_exp = np.exp(X)
    return X_exp / X_exp.sum(axis=1, keepdims=True)
'''
