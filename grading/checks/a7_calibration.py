"""Assignment 7, calibration (course/source/a7_calibration/): the expected calibration error,
the NLL at a temperature, fitting the temperature, the calibration report.

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import math

import numpy as onp

from grading.checks import convert, inputs
from grading.checks.a1_softmax import logsumexp
from grading.checks.common import (fail, items_of, logits_context, num, number_of, with_options)
from grading.checks.judge import judge
from grading.checks.session import start


# ---------------------------------------------------------------- check_ece

def predictions(n, seed, edge=False, q=10):
    """(probabilities (n, q) float64, y (n,) int32) of an overconfident model: each row's
    largest entry is its confidence, in [0.2, 1] (with `edge`, one in twenty exactly 1),
    the rest of the row spread over the other classes; y is that class when the prediction
    is right, another class when not."""
    r = inputs.rng(seed)
    confidence = r.uniform(0.2, 1.0, size=n)
    if edge:
        confidence[r.permutation(n)[: n // 20]] = 1.0
    correct = r.uniform(0, 1, size=n) < onp.minimum(confidence, 0.95) ** 1.5
    top = r.randint(0, q, size=n)
    rest = r.uniform(0.5, 1.5, size=(n, q))
    rest[onp.arange(n), top] = 0
    rest *= ((1 - confidence) / rest.sum(axis=1))[:, None]  # each below 1.5 * 0.8 / 9 < 0.2
    probabilities = rest
    probabilities[onp.arange(n), top] = confidence
    y = onp.where(correct, top, (top + r.randint(1, q, size=n)) % q).astype("int32")
    return probabilities, y


def ece(confidence, correct, num_bins):
    """Expected calibration error over num_bins equal-width bins of [0, 1] (1 in the last)."""
    confidence = onp.asarray(confidence, onp.float64)
    correct = onp.asarray(correct, onp.float64)
    which = onp.minimum((confidence * num_bins).astype(int), num_bins - 1)
    total = 0.0
    for k in range(num_bins):
        inside = which == k
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return total


def check_ece(expected_calibration_error, n=1000, num_bins=15, edge=False, seed=0):
    """Assert expected_calibration_error(probabilities, y, num_bins) is the ECE of the
    top-label confidence over `num_bins` equal-width bins of [0, 1] (a confidence of
    exactly 1 in the last bin).

    probabilities: (n, 10) float64 NumPy array, rows summing to 1, top-label confidences in
    [0.2, 1]; y: (n,) int32 labels; with `edge`, some confidences are exactly 1.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("ece", {"n": n, "num_bins": num_bins, "edge": bool(edge), "seed": seed})
    probabilities, y = predictions(n, run.seed, edge)
    got = run.call(expected_calibration_error, probabilities.copy(), y.copy(), num_bins)
    run.finish({"ece": convert.number(got)})


@judge
def judge_ece(record, params, seed, ref):
    num_bins = params["num_bins"]
    probabilities, y = predictions(params["n"], seed, params["edge"])
    confidence, correct = probabilities.max(axis=1), probabilities.argmax(axis=1) == y
    got = number_of(record["ece"], "ece.number")
    want = ref.ece(confidence, correct, num_bins)
    if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
        return
    which = onp.minimum((confidence * num_bins).astype(int), num_bins - 1)
    gaps = [abs(correct[which == k].mean() - confidence[which == k].mean())
            for k in range(num_bins) if (which == k).any()]
    if math.isclose(got, float(onp.mean(gaps)), rel_tol=1e-6):
        fail("ece.unweighted", got=num(got), want=num(want))
    fail("ece.value", num_bins=num_bins, got=num(got), want=num(want))


# ---------------------------------------------------------------- check_temperature_nll

def scaled_logits(n, q, scale, offset, seed, mixed=False):
    """Logits (n, q) float64 and labels (n,) int32 of a model whose confidence is off by
    `scale` (above 1: overconfident, below 1: underconfident), shifted by `offset` (mixed:
    each row by +offset or -offset, as in `logits`)."""
    r = inputs.rng(seed)
    y = r.randint(0, q, size=n).astype("int32")
    z = r.normal(0, 1, size=(n, q))
    z[onp.arange(n), y] += 1.5
    return scale * z + (inputs.row_offsets((n, q), offset, seed) if mixed else offset), y


def nll(logits, y, T):
    """Mean negative log-likelihood of labels y under softmax(logits / T)."""
    z = onp.asarray(logits, onp.float64) / T
    return float((logsumexp(z) - z[onp.arange(len(y)), onp.asarray(y)]).mean())


def check_temperature_nll(nll, n=500, offset=0.0, seed=0, mixed=False):
    """Assert nll(logits, y, T) is the mean negative log-likelihood of softmax(logits / T),
    for T = 1, 0.5 and 2; finite for logits of any size.

    logits: (n, 10) float64 NumPy array around `offset` (mixed: some rows around +offset,
    others around -offset); y: (n,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("temperature_nll", with_options({"n": n, "offset": offset, "seed": seed},
                                                mixed=mixed))
    logits, y = scaled_logits(n, 10, 2.0, offset, run.seed, mixed)
    run.finish({"values": [convert.number(run.call(nll, logits.copy(), y.copy(), T))
                           for T in (1.0, 0.5, 2.0)]})


@judge
def judge_temperature_nll(record, params, seed, ref):
    n, offset = params["n"], params["offset"]
    logits, y = scaled_logits(n, 10, 2.0, offset, seed, params.get("mixed", False))
    context = logits_context(params)
    for T, value in zip((1.0, 0.5, 2.0), items_of(record["values"], 3, "nll(logits, y, T)")):
        got = number_of(value, "temperature_nll.number")
        want = ref.nll(logits, y, T)
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            continue
        if not math.isfinite(got):
            fail("finite", kind="nan" if math.isnan(got) else "inf",
                 name=f"nll(logits, y, T={T:g})", context=f" {context}", at="")
        if math.isclose(got, n * want, rel_tol=1e-6):
            fail("temperature_nll.sum", T=f"{T:g}", got=num(got), want=num(want))
        if T != 1.0 and math.isclose(got, ref.nll(logits, y, 1.0), rel_tol=1e-6):
            fail("temperature_nll.temperature", T=f"{T:g}", got=num(got), want=num(want))
        fail("temperature_nll.value", T=f"{T:g}", context=context, got=num(got), want=num(want))


# ---------------------------------------------------------------- check_fit_temperature

def best_temperature(logits, y):
    """The temperature in [0.05, 20] that minimizes nll(logits, y, T)."""
    from scipy.optimize import minimize_scalar
    found = minimize_scalar(lambda t: nll(logits, y, onp.exp(t)), bounds=(onp.log(0.05),
                            onp.log(20.0)), method="bounded", options={"xatol": 1e-8})
    return float(onp.exp(found.x))


def check_fit_temperature(fit_temperature, n=2000, scale=3.0, seed=0):
    """Assert fit_temperature(logits, y) returns the T > 0 that (nearly) minimizes the mean
    NLL of softmax(logits / T) on (logits, y).

    logits: (n, 10) float64 NumPy array of a model overconfident by `scale` (below 1:
    underconfident); y: (n,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("fit_temperature", {"n": n, "scale": scale, "seed": seed})
    logits, y = scaled_logits(n, 10, scale, 0.0, run.seed)
    run.finish({"T": convert.number(run.call(fit_temperature, logits.copy(), y.copy()))})


@judge
def judge_fit_temperature(record, params, seed, ref):
    logits, y = scaled_logits(params["n"], 10, params["scale"], 0.0, seed)
    T = number_of(record["T"], "fit_temperature.number")
    if not (math.isfinite(T) and T > 0):
        fail("fit_temperature.number", got=num(T))
    best = ref.best_temperature(logits, y)
    nll_got, nll_best = ref.nll(logits, y, T), ref.nll(logits, y, best)
    if nll_got - nll_best > 1e-4:
        fail("fit_temperature.worse", got=num(T), nll_got=num(nll_got), nll_best=num(nll_best),
             best=num(best))


# ---------------------------------------------------------------- check_calibration_report

def _top_label_ece(ref, logits, y, T):
    probabilities = ref.softmax(onp.asarray(logits) / T)
    return ref.ece(probabilities.max(axis=1), probabilities.argmax(axis=1) == y, 15)


def check_calibration_report(calibrate, n=2000, seed=0):
    """Assert calibrate(val_logits, val_y, test_logits, test_y) returns (T, ece_before,
    ece_after) as Task 4 asks: T fitted on the data it may be fitted on (which, is the
    task's question), and an ECE (15 bins) of the top-label confidence before and after
    dividing the logits by T.

    The logits are (n, 10) float64 NumPy arrays of an overconfident model; labels (n,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("calibration_report", {"n": n, "seed": seed})
    val_logits, val_y = scaled_logits(n, 10, 2.5, 0.0, run.seed)
    test_logits, test_y = scaled_logits(n, 10, 2.0, 0.0, run.seed + 1)
    result = run.call(calibrate, val_logits.copy(), val_y.copy(), test_logits.copy(),
                      test_y.copy())
    record = {"type": convert.type_name(result), "values": None}
    if isinstance(result, (tuple, list)) and len(result) == 3:
        record["values"] = [convert.number(v) for v in result]
    run.finish(record)


@judge
def judge_calibration_report(record, params, seed, ref):
    n = params["n"]
    val_logits, val_y = scaled_logits(n, 10, 2.5, 0.0, seed)
    test_logits, test_y = scaled_logits(n, 10, 2.0, 0.0, seed + 1)
    if record["values"] is None:
        fail("calibration_report.result", got=record["type"])
    T, before, after = (number_of(v, "calibration_report.number")
                        for v in items_of(record["values"], 3, "calibrate"))
    if not (math.isfinite(T) and T > 0):
        fail("fit_temperature.number", got=num(T))
    best_val, best_test = (ref.best_temperature(val_logits, val_y),
                           ref.best_temperature(test_logits, test_y))
    if ref.nll(val_logits, val_y, T) - ref.nll(val_logits, val_y, best_val) > 1e-4:
        if ref.nll(test_logits, test_y, T) - ref.nll(test_logits, test_y, best_test) <= 1e-4:
            fail("calibration_report.fitted_on_test", T=num(T))
        fail("calibration_report.temperature", T=num(T))
    for name, got, temperature in (("ece_before", before, 1.0), ("ece_after", after, T)):
        want = _top_label_ece(ref, test_logits, test_y, temperature)
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            continue
        on_val = _top_label_ece(ref, val_logits, val_y, temperature)
        if math.isclose(got, on_val, rel_tol=1e-6, abs_tol=1e-9):
            fail("calibration_report.on_validation", name=name)
        fail("calibration_report.ece", name=name, got=num(got))
