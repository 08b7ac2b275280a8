"""Assignment 1, the softmax operation (course/source/a1_softmax/): softmax, the input
left unchanged, logsumexp.

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import numpy as onp

from grading.checks import convert, inputs
from grading.checks.common import (FLOAT32_LIKE, array_of, assert_close, assert_dtype,
                                   assert_finite, assert_probabilities, assert_shape, call_name,
                                   fail, logits_context, with_options)
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start


# ---------------------------------------------------------------- check_softmax

def softmax(x, axis=-1):
    """Softmax of logits x along `axis` (the last: each row of a (batch, q) array), stably."""
    from scipy.special import softmax  # imported here: importing the checks stays cheap
    return softmax(onp.asarray(x, dtype=onp.float64), axis=axis)


def logsumexp(x, axis=-1):
    """log(sum(exp(x))) along `axis` of x (the last: one number per row), stably."""
    from scipy.special import logsumexp
    return logsumexp(onp.asarray(x, dtype=onp.float64), axis=axis)


def check_softmax(softmax, shape=(256, 10), dtype="float32", offset=0.0, seed=0, axis=None,
                  mixed=False):
    """Run softmax on random logits around `offset`; assert shape, dtype, no nan, rows summing to 1, values.

    softmax: maps X of `shape` to the same shape, softmax(X) (along the last axis) or, with
    `axis`, softmax(X, axis=axis). mixed: some rows around +offset, others around -offset.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("softmax", with_options({"shape": list(shape), "dtype": dtype,
                                         "offset": offset, "seed": seed}, axis=axis, mixed=mixed))
    x = convert.mx_array(inputs.logits(shape, dtype, offset, run.seed, mixed,
                                       -1 if axis is None else axis))
    P = run.call(softmax, x) if axis is None else run.call(softmax, x, axis=axis)
    run.finish({"P": convert.array(P)})


@judge
def judge_softmax(record, params, seed, ref):
    shape, dtype, offset = tuple(params["shape"]), params["dtype"], params["offset"]
    axis = params.get("axis")
    x = inputs.logits(shape, dtype, offset, seed, params.get("mixed", False),
                      -1 if axis is None else axis)
    context = logits_context(params)
    name = call_name("softmax", params)
    P = record["P"]
    assert_shape(P, shape, name)
    assert_dtype(P, dtype, name, say("keep_dtype"))
    assert_finite(P, name, context)
    if len(shape) == 2 and axis in (None, -1, 1):
        assert_probabilities(P, name)
    tol = 1e-5 if dtype in FLOAT32_LIKE else 1e-10
    want = ref.softmax(x, -1 if axis is None else axis)
    got = array_of(P, name).astype(onp.float64)
    if axis is not None and not onp.allclose(got, want, rtol=tol, atol=tol) and \
            onp.allclose(got, ref.softmax(x, -1), rtol=tol, atol=tol):
        fail("softmax.axis", name=name, axis=axis)
    assert_close(got, want, f"{name} {context}", rtol=tol, atol=tol)


# ---------------------------------------------------------------- check_keeps_input

def input_matrix(seed):
    """Logits X (2, 3) float32 for check_keeps_input."""
    return inputs.rng(seed).normal(0, 3, size=(2, 3)).astype("float32")


def check_keeps_input(fn, name="softmax"):
    """Assert that fn(X) leaves its argument unchanged. fn: maps X (2, 3) to anything."""
    __tracebackhide__ = True  # noqa: F841
    run = start("keeps_input", {"name": name, "seed": None})
    X = convert.mx_array(input_matrix(run.seed))
    run.call(fn, X)
    run.finish({"X": convert.array(X)})


@judge
def judge_keeps_input(record, params, seed, ref):
    x = input_matrix(seed)
    X = array_of(record["X"], "X")
    if X.shape != x.shape or not onp.array_equal(X, x):
        fail("keeps_input", name=params["name"])


# ---------------------------------------------------------------- check_logsumexp

def check_logsumexp(logsumexp, shape=(256, 10), dtype="float32", offset=0.0, seed=1, axis=None,
                    mixed=False):
    """Run logsumexp on random logits around `offset`; assert shape, dtype, no inf/nan, values.

    logsumexp: maps X of `shape` to log(sum(exp(X))) along the last axis (with `axis`,
    logsumexp(X, axis=axis), along that one), which is gone from the result's shape.
    mixed: some rows around +offset, others around -offset.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("logsumexp", with_options({"shape": list(shape), "dtype": dtype,
                                           "offset": offset, "seed": seed},
                                          axis=axis, mixed=mixed))
    x = convert.mx_array(inputs.logits(shape, dtype, offset, run.seed, mixed,
                                       -1 if axis is None else axis))
    out = run.call(logsumexp, x) if axis is None else run.call(logsumexp, x, axis=axis)
    run.finish({"out": convert.array(out)})


@judge
def judge_logsumexp(record, params, seed, ref):
    shape, dtype, offset = tuple(params["shape"]), params["dtype"], params["offset"]
    axis = params.get("axis")
    x = inputs.logits(shape, dtype, offset, seed, params.get("mixed", False),
                      -1 if axis is None else axis)
    context = logits_context(params)
    name = call_name("logsumexp", params)
    want = ref.logsumexp(x, -1 if axis is None else axis)
    out = record["out"]
    assert_shape(out, want.shape, name)
    assert_dtype(out, dtype, name, say("keep_dtype"))
    assert_finite(out, name, context)
    tol = 1e-5 if dtype in FLOAT32_LIKE else 1e-10
    assert_close(out, want, f"{name} {context}", rtol=tol, atol=10 * tol)
