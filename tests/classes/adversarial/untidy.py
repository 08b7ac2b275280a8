"""Honest students with untidy work, and the two who hand in the solutions as they are.

Their notebooks are broken, renamed, copied twice or missing, saved in another encoding or
nbformat 3, carry heavy stored outputs, lose their cells' metadata, put an answer out of
place, or hold extra cells that plot or compare with the library. Each gets what the work
is worth.
"""
import nbformat

from .student import Student

PLOTS_OWN_SOFTMAX = '''\
from d2l import mxnet as d2l
P = softmax(np.array([[1.0, 2.0, 3.0]]))
d2l.plt.bar(range(3), P[0].asnumpy())
d2l.plt.title("my softmax")
'''

COMPARES_WITH_LIBRARY = '''\
X = np.random.normal(0, 5, size=(4, 10))
print("largest difference to npx.softmax:", float(abs(softmax(X) - npx.softmax(X)).max()))
'''

SANITY_IN_ANSWER = '''\
def softmax(X, axis=-1):
    X_max = X.max(axis=axis, keepdims=True)
    X_exp = np.exp(X - X_max)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)

X_try = np.random.normal(0, 5, size=(4, 10))
print("largest difference to npx.softmax:", float(abs(softmax(X_try) - npx.softmax(X_try)).max()))
'''

CLASS_ANSWER = '''\
class Softmax:
    def softmax(self, X, axis=-1):
        X_max = X.max(axis=axis, keepdims=True)
        X_exp = np.exp(X - X_max)
        return X_exp / X_exp.sum(axis=axis, keepdims=True)
softmax = Softmax().softmax
'''

# Honest work the scan takes for a library answer: a top-level statement that binds a
# name the answer uses inside (X, a local) is read as feeding it.
COMPARE_LOOP = '''\
# my softmax against the library's, on small and on huge logits
print([float(abs(softmax(X) - npx.softmax(X)).max())
       for X in (np.random.normal(0, 5, size=(4, 10)), np.random.normal(1000, 5, size=(4, 10)))])
'''

PLOTS_IN_LOOP = '''\
from d2l import mxnet as d2l
for X in (np.array([[1.0, 2.0, 3.0]]), np.array([[1000.0, 2000.0, 3000.0]])):
    d2l.plt.plot(softmax(X)[0].asnumpy(), "o-")
d2l.plt.title("my softmax on small and on huge logits")
'''

SANITY_VARIABLE = '''\
def softmax(X, axis=-1):
    X_max = X.max(axis=axis, keepdims=True)
    X_exp = np.exp(X - X_max)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)

X_try = np.random.normal(0, 5, size=(4, 10))
gap = float(abs(softmax(X_try) - npx.softmax(X_try)).max())
print("largest difference to npx.softmax:", gap)
'''


def _lone_surrogate(text):
    """A written answer with half of an emoji's surrogate pair (valid JSON, not encodable)."""
    return text.replace("LONE_SURROGATE", "\\ud83d")


TEXT_EDITS = {"lone_surrogate": _lone_surrogate, "bom": lambda text: "\ufeff" + text}


def _no_metadata(nb, release):
    """Every cell's metadata gone (the notebook copied cell by cell into a fresh one)."""
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode()


def _answer_below_stub(nb, release):
    """The written answer typed in a new cell under the question's cell, left as handed out."""
    stub = next(c for c in release.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "answer")
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer":
            nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell(cell.source))
            cell.source = stub.source
            break


def _answer_under_placeholder(nb, release):
    """The written answer typed under the placeholder line, and a note added in a cell below."""
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer":
            cell.source = ("YOUR ANSWER HERE\n\nSubtracting c multiplies the numerator and the "
                           "denominator by exp(-c); with c the row's maximum no exp exceeds 1 "
                           "and the denominator is at least 1.")
            nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell("(My plot of part 2 is above.)"))
            break


NB_EDITS = {"no_metadata": _no_metadata, "answer_below_stub": _answer_below_stub,
            "answer_under_placeholder": _answer_under_placeholder}


STUDENTS = [
    Student("correct", "a1_softmax", 6, False, ()),
    Student("not_json", "a1_softmax", 0, True, ("not valid JSON",), raw="truncated"),
    Student("not_a_notebook", "a1_softmax", 0, True, ("not valid JSON",), raw='{"cells": 7}'),
    Student("trailing_junk", "a1_softmax", 6, False, ("not valid JSON",), raw="junk"),
    Student("scratch_correct", "a3_scratch", 7, False, ()),
    Student("plots_own_softmax", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_softmax_hidden", PLOTS_OWN_SOFTMAX)]),
    Student("compares_with_library", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_softmax_hidden", COMPARES_WITH_LIBRARY)]),
    Student("renamed", "a1_softmax", 6, True, ("a renamed notebook",),
            files=("softmax (1).ipynb",)),
    Student("two_copies", "a1_softmax", 0, True, ("a renamed notebook",),
            files=("softmax (1).ipynb", "softmax (2).ipynb")),
    Student("no_notebook", "a1_softmax", 0, True, ("a renamed notebook",), files=()),
    Student("heavy_outputs", "a1_softmax", 6, False, ("stored outputs or nbformat 3",),
            stored="plotly"),
    Student("nbformat3", "a1_softmax", 6, False, ("stored outputs or nbformat 3",),
            stored="v3"),
    Student("lone_surrogate", "a1_softmax", 6, False, ("a character JSON allows and UTF-8 not",),
            answers={"answer": "Softmax is shift-invariant LONE_SURROGATE"},
            edit="lone_surrogate"),
    Student("copy_kept_original", "a1_softmax", 6, True, ("a renamed notebook",),
            files=("softmax-Copy1.ipynb",), stub_files=("softmax.ipynb",)),
    Student("answer_below_stub", "a1_softmax", 6, True, ("answers out of place",),
            edit="answer_below_stub"),
    Student("no_metadata", "a1_softmax", 6, True, ("answers out of place",), edit="no_metadata"),
    Student("sanity_in_answer", "a1_softmax", 6, False, ("honest extras",),
            answers={"softmax": SANITY_IN_ANSWER}),
    Student("class_answer", "a1_softmax", 6, False, ("honest extras",),
            answers={"softmax": CLASS_ANSWER}),
    Student("bom", "a1_softmax", 6, False, ("stored outputs or nbformat 3",), edit="bom"),
    Student("utf16", "a1_softmax", 6, False, ("stored outputs or nbformat 3",), encoding="utf-16"),
    Student("compare_loop", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_logsumexp", COMPARE_LOOP)]),
    Student("plots_in_loop", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_logsumexp", PLOTS_IN_LOOP)]),
    Student("sanity_variable", "a1_softmax", 6, False, ("honest extras",),
            answers={"softmax": SANITY_VARIABLE}),
    Student("utf16_outputs", "a1_softmax", 6, False, ("stored outputs or nbformat 3",),
            stored="plotly", encoding="utf-16"),
    Student("answer_under_placeholder", "a1_softmax", 6, False, ("answers out of place",),
            edit="answer_under_placeholder"),
]
