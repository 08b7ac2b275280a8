"""The checks of grading/checks/a8_tuning.py: check_stratified_folds, check_select_setting,
check_tuning.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import numpy as onp
import pytest


from grading import checks


def folds(y, num_folds, seed, shuffle=True):
    rng = onp.random.RandomState(seed)
    out, start = [[] for _ in range(num_folds)], 0
    for label in onp.unique(y):
        positions = onp.flatnonzero(y == label)
        if shuffle:
            rng.shuffle(positions)
        for i, position in enumerate(positions):
            out[(start + i) % num_folds].append(position)
        start += len(positions)
    return [onp.array(f, dtype=onp.int64) for f in out]


def test_check_stratified_folds():
    checks.check_stratified_folds(folds)
    checks.check_stratified_folds(folds, counts=[30, 90, 13, 7, 50], num_folds=3)
    with pytest.raises(AssertionError, match="each class is cut into folds in the order"):
        checks.check_stratified_folds(lambda y, k, s: folds(y, k, s, shuffle=False))
    with pytest.raises(AssertionError, match=r"class \d \(60 examples\) is spread over the folds "
                                             r"as \[\d+, \d+"):
        checks.check_stratified_folds(lambda y, k, s: [onp.sort(f) for f in onp.array_split(
            onp.random.RandomState(s).permutation(len(y)), k)])
    with pytest.raises(AssertionError, match="seeds 7 and 8 gave the same folds"):
        checks.check_stratified_folds(lambda y, k, s: folds(y, k, 0))
    with pytest.raises(AssertionError, match="the same seed gave two different sets of folds"):
        checks.check_stratified_folds(lambda y, k, s: folds(y, k, onp.random.randint(10**6)))
    with pytest.raises(AssertionError, match="folds 0 and 1 share 1 positions, e.g. "):
        checks.check_stratified_folds(lambda y, k, s: (lambda f: [f[0], onp.append(f[1], f[0][0])]
                                                        + f[2:])(folds(y, k, s)))
    with pytest.raises(AssertionError, match="5 values recorded where the test asks for 3"):
        checks.check_stratified_folds(folds, num_folds=3, counts=None) if False else \
            checks.check_stratified_folds(lambda y, k, s: folds(y, 5, s), num_folds=3)
    from helpers.metrics import stratified_split  # the lesson's: one split, not folds
    with pytest.raises(Exception):
        checks.check_stratified_folds(stratified_split)


def test_check_select_setting():
    by_val = lambda results: max(results, key=lambda r: r["val_acc"])  # noqa: E731
    checks.check_select_setting(by_val)
    checks.check_select_setting(by_val, with_test=False)
    with pytest.raises(AssertionError, match=r"the best \*test\* accuracy: the test set must "
                                             r"choose nothing"):
        checks.check_select_setting(lambda results: max(results, key=lambda r: r["test_acc"]))
    def neither(results):  # neither the best validation accuracy nor the best test accuracy
        best = {id(max(results, key=lambda r: r[k])) for k in ("val_acc", "test_acc")}
        return next(r for r in results if id(r) not in best)
    with pytest.raises(AssertionError, match=r"whose validation accuracy 0\.\d+ is not the best"):
        checks.check_select_setting(neither)
    with pytest.raises(AssertionError, match="should return one of the dicts in results, got int"):
        checks.check_select_setting(lambda results: 3)


class Passes:
    """An iterator's pass count, as the a8 notebook's Counted keeps it."""

    def __init__(self, passes):
        self.passes = passes


def test_check_tuning():
    candidates = (0.01, 0.1)
    results = [{"lr": 0.01, "val_acc": 0.79}, {"lr": 0.1, "val_acc": 0.82}]
    checks.check_tuning(results, results[1], candidates, Passes(2), Passes(1))
    for args, message in (
            ((results, results[0], candidates, Passes(2), Passes(1)),
             "chosen has lr=0.01: not the candidate that validation recommends"),
            ((results, results[1], candidates, Passes(2), Passes(3)),
             "test_iter was read 3 times: read the test set once"),
            (([dict(r, test_acc=0.8) for r in results], results[1], candidates, Passes(2),
              Passes(3)), r"results holds a test accuracy \(test_acc\)"),
            ((results[1:], results[1], candidates, Passes(1), Passes(1)),
             "results: 1 values recorded where the test asks for 2"),
            (([], None, candidates, Passes(0), Passes(1)),
             "results: 0 values recorded where the test asks for 2"),
            ((results, results[1], candidates, Passes(0), Passes(1)),
             "val_iter was read 0 times for 2 candidates")):
        with pytest.raises(AssertionError, match=message):
            checks.check_tuning(*args)
