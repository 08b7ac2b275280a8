"""Assignment 8, tuning (course/source/a8_tuning/): stratified folds, choosing a setting on
validation, a tuning run that reads the test set once.

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import math

import numpy as onp

from grading.checks import convert, inputs
from grading.checks.common import (array_of, assert_shape, fail, items_of, num, number_of)
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start


# ---------------------------------------------------------------- check_stratified_folds

def class_labels(counts, seed):
    """Labels (sum(counts),) int32 with counts[c] examples of class c, in a seeded order."""
    y = onp.concatenate([onp.full(k, c, dtype="int32") for c, k in enumerate(counts)])
    return y[inputs.rng(seed).permutation(len(y))]


def check_stratified_folds(stratified_folds, counts=None, num_folds=5, seed=0):
    """Assert stratified_folds(y, num_folds, seed) returns a list of `num_folds` index arrays:
    disjoint, together holding every position of y once, each class spread over the folds
    as evenly as can be (its counts per fold differ by at most one), drawn at random, the
    same for the same seed and different for another.

    counts: examples per class (default 60 of each of ten classes); y is an int32 NumPy array.
    """
    __tracebackhide__ = True  # noqa: F841
    counts = [60] * 10 if counts is None else [int(k) for k in counts]
    run = start("stratified_folds", {"counts": counts, "num_folds": num_folds, "seed": seed})
    y = class_labels(counts, run.seed)
    calls = []
    for split_seed in (7, 7, 8):
        result = run.call(stratified_folds, y.copy(), num_folds, split_seed)
        entry = {"type": convert.type_name(result), "folds": None}
        if isinstance(result, (tuple, list)):
            entry["folds"] = [convert.array(f) for f in result[:1000]]
        calls.append(entry)
    run.finish({"calls": calls})


@judge
def judge_stratified_folds(record, params, seed, ref):
    counts, k = params["counts"], params["num_folds"]
    y = class_labels(counts, seed)
    n = len(y)
    calls = []
    for call in items_of(record["calls"], 3, "stratified_folds"):
        if call["folds"] is None:
            fail("stratified_folds.result", want=k, got=call["type"])
        folds = []
        for value in items_of(call["folds"], k, "stratified_folds: folds"):
            a = array_of(value, "fold")
            if a.ndim != 1:
                assert_shape(a, (len(a.ravel()),), "fold")
            if a.dtype.kind not in "iu":
                fail("stratified_folds.integers", dtype=a.dtype)
            folds.append(a.astype(onp.int64))
        calls.append(folds)
    folds = calls[0]
    for a in range(k):
        for b in range(a + 1, k):
            shared = onp.intersect1d(folds[a], folds[b])
            if shared.size:
                fail("stratified_folds.overlap", a=a, b=b, count=shared.size, index=int(shared[0]))
    both = onp.concatenate(folds)
    inside = both[(both >= 0) & (both < n)]
    missing = n - onp.unique(inside).size
    extra = both.size - onp.unique(inside).size
    if missing or extra:
        fail("stratified_folds.cover", n=n, missing=missing, extra=extra)
    for label, count in enumerate(counts):
        per_fold = [int((y[f] == label).sum()) for f in folds]
        if max(per_fold) - min(per_fold) > 1:
            fail("stratified_folds.class_count", label=label, count=count, got=per_fold)
    owner = onp.empty(n, dtype=int)
    for i, f in enumerate(folds):
        owner[f] = i
    blocks = round_robin = True  # each class cut into folds in the order it comes
    for label in range(len(counts)):
        sequence = owner[onp.flatnonzero(y == label)]
        blocks &= bool(onp.all(onp.diff(sequence) >= 0))
        round_robin &= bool(onp.array_equal(sequence, (onp.arange(len(sequence))
                                                       + sequence[:1]) % k))
    if blocks or round_robin:
        fail("stratified_folds.not_random")
    same, other = calls[1], calls[2]
    if [sorted(f.tolist()) for f in same] != [sorted(f.tolist()) for f in folds]:
        fail("stratified_folds.not_repeatable")
    if [sorted(f.tolist()) for f in other] == [sorted(f.tolist()) for f in folds]:
        fail("stratified_folds.ignores_seed")


# ---------------------------------------------------------------- check_select_setting

def tuning_results(seed, with_test=True):
    """A list of six dicts {lr, wd, val_acc[, test_acc]}: a grid's results, in which the
    best test accuracy belongs to another setting than the best validation accuracy, and
    not to the first one."""
    r = inputs.rng(seed)
    grid = [(lr, wd) for lr in (0.01, 0.03, 0.1) for wd in (0.0, 1e-3)]
    val = (0.80 + 0.0005 * r.permutation(120)[:len(grid)]).round(4)  # no two alike
    test = (val - 0.005 + r.uniform(-0.003, 0.003, size=len(grid))).round(4)
    best_val = int(val.argmax())
    other = int(r.choice([i for i in range(1, len(grid)) if i != best_val]))
    test[other] = round(float(test.max()) + 0.004, 4)  # the test set would pick another one
    results = []
    for (lr, wd), v, t in zip(grid, val, test):
        entry = {"lr": lr, "wd": wd, "val_acc": float(v)}
        if with_test:
            entry["test_acc"] = float(t)
        results.append(entry)
    return results


def validation_count(count, val_fraction):
    """How many of a class's `count` examples a stratified split puts in validation."""
    return int(round(count * val_fraction))


def best_setting(results):
    """Index of the entry of `results` with the largest "val_acc" (the first of equals)."""
    return int(onp.argmax([r["val_acc"] for r in results]))


def check_select_setting(select_setting, with_test=True, seed=0):
    """Assert select_setting(results) returns the entry of `results` that Task 2 asks
    to keep (which number may decide is the task's question).

    results: a list of dicts {"lr", "wd", "val_acc", "test_acc"} (without "test_acc" when
    with_test is False).
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("select_setting", {"with_test": bool(with_test), "seed": seed})
    results = tuning_results(run.seed, with_test)
    chosen = run.call(select_setting, [dict(r) for r in results])
    record = {"type": convert.type_name(chosen), "lr": None, "wd": None}
    if isinstance(chosen, dict):
        record["lr"], record["wd"] = (convert.number(chosen.get(k)) for k in ("lr", "wd"))
    run.finish(record)


@judge
def judge_select_setting(record, params, seed, ref):
    results = tuning_results(seed, params["with_test"])
    if record["type"] != "dict" or record["lr"] is None:
        fail("select_setting.type", got=record["type"])
    want = results[ref.best_setting(results)]
    chosen = (record["lr"], record["wd"])
    if chosen == (want["lr"], want["wd"]):
        return
    if params["with_test"]:
        by_test = max(results, key=lambda r: r["test_acc"])
        if chosen == (by_test["lr"], by_test["wd"]):
            fail("select_setting.by_test", lr=chosen[0], wd=chosen[1])
    picked = [r for r in results if (r["lr"], r["wd"]) == chosen]
    if not picked:
        fail("select_setting.type", got=say("select_setting.not_listed"))
    fail("select_setting.wrong", lr=chosen[0], wd=chosen[1], val=picked[0]["val_acc"])


# ---------------------------------------------------------------- check_tuning

def check_tuning(results, chosen, candidates, val_iter, test_iter):
    """Assert that a tuning run measured every candidate on validation, kept the one that
    validation recommends, and read the test set once: from `results` (a list of dicts,
    one per candidate, with "lr" and "val_acc"), `chosen` (the dict kept) and the passes
    each iterator counted (`val_iter.passes`, `test_iter.passes`).
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("tuning", {"candidates": [float(c) for c in candidates]})

    def entry(r):
        if not isinstance(r, dict):
            return {"type": convert.type_name(r), "lr": None, "val_acc": None, "keys": []}
        return {"type": "dict", "lr": convert.number(r.get("lr")),
                "val_acc": convert.number(r.get("val_acc")), "keys": sorted(map(str, r))[:20]}
    listed = [entry(r) for r in results[:1000]] if isinstance(results, list) else None
    run.finish({"results": listed, "results_type": convert.type_name(results),
                "chosen": entry(chosen), "val_passes": getattr(val_iter, "passes", None),
                "test_passes": getattr(test_iter, "passes", None)})


@judge
def judge_tuning(record, params, seed, ref):
    candidates = params["candidates"]
    results = record["results"]
    if results is None:
        fail("tuning.results", got=record["results_type"], candidates=candidates)
    items_of(results, len(candidates), "results")
    for entry in results:
        if entry["type"] != "dict" or entry["lr"] is None or entry["val_acc"] is None:
            fail("tuning.results", got=entry["type"], candidates=candidates)
        if not {"lr", "val_acc"} <= set(entry["keys"]):
            fail("tuning.results", got=entry["type"], candidates=candidates)
        tested = [k for k in entry["keys"] if "test" in k]
        if tested:
            fail("tuning.test_in_results", entry=tested[0])
    lrs = sorted(number_of(e["lr"], "tuning.number", what="lr") for e in results)
    if not all(math.isclose(a, b) for a, b in zip(lrs, sorted(candidates))):
        fail("tuning.candidates", want=candidates, got=lrs)
    accs = [number_of(e["val_acc"], "tuning.number", what="val_acc") for e in results]
    chosen = record["chosen"]
    if chosen["type"] != "dict" or chosen["lr"] is None or \
            not {"lr", "val_acc"} <= set(chosen["keys"]):
        fail("tuning.chosen", got=chosen["type"])
    best = results[int(onp.argmax(accs))]
    if not math.isclose(number_of(chosen["lr"], "tuning.number", what="lr"),
                        number_of(best["lr"], "tuning.number", what="lr")):
        fail("tuning.choice", lr=num(number_of(chosen["lr"], "tuning.number", what="lr")))
    val_passes, test_passes = record["val_passes"], record["test_passes"]
    if not isinstance(val_passes, int) or val_passes < len(candidates):
        fail("tuning.val_passes", got=val_passes, want=len(candidates))
    if test_passes != 1:
        fail("tuning.test_passes", got=test_passes)
