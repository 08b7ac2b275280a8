"""Assignment 6, the gradient (course/source/a6_gradient/): the gradient of cross-entropy,
numerical gradients, a regularized loss with its gradients, the vectorised loss.

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import math

import numpy as onp

from grading.checks import convert, inputs
from grading.checks.a1_softmax import logsumexp, softmax
from grading.checks.common import (FLOAT32_LIKE, array_of, assert_close, assert_dtype,
                                   assert_finite, assert_shape, fail, items_of, logits_context,
                                   num, number_of, with_options)
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start


# ---------------------------------------------------------------- check_softmax_ce_gradient

def label_distributions(y, q, smoothing, dtype):
    """Labels y (batch,) as rows (batch, q) of `dtype`: one-hot, or with `smoothing` > 0 the
    one-hot row mixed with the uniform one, (1 - smoothing) * one_hot + smoothing / q."""
    Y = onp.eye(q)[onp.asarray(y)]
    return ((1 - smoothing) * Y + smoothing / q).astype(dtype)


def softmax_ce_gradient(x, Y):
    """Gradient of the summed cross-entropy with respect to logits x (batch, q), for labels Y
    as rows of distributions (batch, q): softmax - Y."""
    return softmax(x) - onp.asarray(Y, onp.float64)


def check_softmax_ce_gradient(gradient, shape=(256, 10), dtype="float32", offset=0.0, seed=0,
                              mixed=False, smoothing=0.0):
    """Assert gradient(O, Y) is the gradient of the summed cross-entropy with respect to the
    logits O: softmax(O) - Y, one row per example, finite for logits of any size.

    O: (batch, q) logits around `offset` (mixed: some rows around +offset, others around
    -offset); Y: (batch, q) labels as distributions of O's dtype, one-hot rows or, with
    `smoothing`, label-smoothed ones.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("softmax_ce_gradient", with_options({"shape": list(shape), "dtype": dtype,
                                                     "offset": offset, "seed": seed},
                                                    mixed=mixed, smoothing=smoothing or None))
    x, y = inputs.logits_and_labels(shape, dtype, offset, run.seed, mixed)
    Y = label_distributions(y, shape[1], smoothing, dtype)
    run.finish({"G": convert.array(run.call(gradient, convert.mx_array(x), convert.mx_array(Y)))})


@judge
def judge_softmax_ce_gradient(record, params, seed, ref):
    shape, dtype, offset = tuple(params["shape"]), params["dtype"], params["offset"]
    smoothing = params.get("smoothing", 0.0)
    x, y = inputs.logits_and_labels(shape, dtype, offset, seed, params.get("mixed", False))
    Y = label_distributions(y, shape[1], smoothing, dtype).astype(onp.float64)
    context = logits_context(params)
    name = "cross_entropy_grad(O, Y)"
    G = record["G"]
    assert_shape(G, shape, name)
    assert_dtype(G, dtype, name, say("keep_dtype"))
    assert_finite(G, name, context)
    want = ref.softmax_ce_gradient(x, Y)
    got = array_of(G, name).astype(onp.float64)
    tol = 1e-5 if dtype in FLOAT32_LIKE else 1e-10
    if not onp.allclose(got, want, rtol=tol, atol=tol):
        probabilities = want + Y
        if onp.allclose(got, probabilities, rtol=1e-4, atol=1e-5):
            fail("softmax_ce_gradient.forgot_label", name=name)
        if onp.allclose(got, -want, rtol=1e-4, atol=1e-5):
            fail("softmax_ce_gradient.sign", name=name)
        if len(y) > 1 and onp.allclose(got, want / len(y), rtol=1e-4, atol=1e-7):
            fail("softmax_ce_gradient.mean", name=name)
        if smoothing and onp.allclose(got, probabilities - onp.eye(shape[1])[y], rtol=1e-4,
                                      atol=1e-5):
            fail("softmax_ce_gradient.distribution", name=name)
    assert_close(got, want, f"{name} {context}", rtol=tol, atol=tol)


# ---------------------------------------------------------------- check_numerical_gradients

def smooth_function(shape, seed):
    """(c, d, x): f(x) = sum(c * sin(x)) + sum(d * x**2) / 2, whose gradient is c cos x + d x,
    and a point x of `shape`, all float64."""
    r = inputs.rng(seed)
    c, d = r.normal(0, 1, size=shape), r.uniform(0.5, 2, size=shape)
    return c, d, r.uniform(-2, 2, size=shape)


def smooth_problem(shapes, seed):
    """(f, parts, w): f(*arrays) = sum_k [sum(c_k sin a_k) + sum(d_k a_k^2) / 2]
    + (sum_k w_k sum(a_k))^2 / 2, parts[k] = (c_k, d_k, a point a_k) as in smooth_function,
    and the weights w (one per array): a smooth function of several float64 arrays."""
    parts = [smooth_function(tuple(s), seed + k) for k, s in enumerate(shapes)]
    w = inputs.rng(seed + 99).uniform(0.2, 0.6, size=len(shapes))

    def f(*arrays):
        arrays = [onp.asarray(a, dtype=onp.float64) for a in arrays]
        total = sum(wk * a.sum() for wk, a in zip(w, arrays))
        return float(sum((c * onp.sin(a)).sum() + (d * a ** 2).sum() / 2
                         for (c, d, _), a in zip(parts, arrays)) + total * total / 2)
    return f, parts, w


def smooth_gradients(parts, w, arrays):
    """The gradient, with respect to each array, of inputs.smooth_problem's f: for array k,
    c_k cos a_k + d_k a_k + w_k (sum_m w_m sum(a_m))."""
    total = sum(wk * onp.sum(a) for wk, a in zip(w, arrays))
    return [c * onp.cos(a) + d * a + wk * total for (c, d, _), wk, a in zip(parts, w, arrays)]


def check_numerical_gradients(numerical_gradients, shapes=((3, 4), (4,)), eps=1e-6, seed=0):
    """Assert numerical_gradients(f, params, eps) gives, for each array of the list `params`,
    the gradient of f(*params) with respect to it by central differences.

    f: a smooth function of float64 NumPy arrays of `shapes`, returning a float; every array
    of params must come back unchanged.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("numerical_gradients", {"shapes": [list(s) for s in shapes], "eps": eps,
                                        "seed": seed})
    f, parts, _ = smooth_problem(shapes, run.seed)
    params = [x.copy() for _, _, x in parts]
    out = run.call(numerical_gradients, f, params, eps)
    grads = [convert.array(g) for g in out[:100]] if isinstance(out, (list, tuple)) else None
    run.finish({"type": convert.type_name(out), "grads": grads,
                "params": [convert.array(p) for p in params]})


@judge
def judge_numerical_gradients(record, params, seed, ref):
    shapes, eps = [tuple(s) for s in params["shapes"]], params["eps"]
    f, parts, w = smooth_problem(shapes, seed)
    points = [x for _, _, x in parts]
    if record["grads"] is None:
        fail("numerical_gradients.result", want=len(shapes), got=record["type"])
    grads = items_of(record["grads"], len(shapes), "numerical_gradients")
    for k, (x, value) in enumerate(zip(points, items_of(record["params"], len(shapes),
                                                         "params"))):
        X = array_of(value, "params")
        if X.shape != x.shape or not onp.array_equal(X, x):
            fail("numerical_gradients.changed_x", k=k)
    want = ref.smooth_gradients(parts, w, points)
    for k, (value, shape) in enumerate(zip(grads, shapes)):
        name = say("numerical_gradients.call", eps=eps, k=k, shape=shape)
        assert_shape(value, shape, name)
        got = array_of(value, name).astype(onp.float64)
        if not onp.allclose(got, want[k], rtol=1e-5, atol=1e-5):
            forward = onp.zeros(shape)
            here = f(*points)
            for i in onp.ndindex(shape):
                step = [p.copy() for p in points]
                step[k][i] += eps
                forward[i] = (f(*step) - here) / eps
            if onp.allclose(got, forward, rtol=1e-6, atol=1e-6):
                fail("numerical_gradients.one_sided")
        assert_close(got, want[k], name, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- check_regularized_loss

def regression_problem(n, d, q, seed):
    """X (n, d), y (n,) int32, W (d, q), b (q,): a softmax regression's data and parameters, float64."""
    r = inputs.rng(seed)
    return (r.normal(0, 1, size=(n, d)), r.randint(0, q, size=n).astype("int32"),
            r.normal(0, 0.5, size=(d, q)), r.normal(0, 0.5, size=q))


def probe_entries(shape, k, seed):
    """k distinct entries (i, j) of a matrix of `shape`, drawn from `seed`."""
    flat = inputs.rng(seed + 5).permutation(shape[0] * shape[1])[:k]
    return [(int(i // shape[1]), int(i % shape[1])) for i in flat]


def regularized_loss(X, y, W, b, reg):
    """(loss, dW, db): the mean cross-entropy of softmax(X W + b) plus reg / 2 * sum(W^2), and
    its gradients with respect to W and b, measured by central finite differences."""
    X, W, b = (onp.asarray(a, onp.float64) for a in (X, W, b))
    rows = onp.arange(len(y))

    def loss(W, b):
        O = X @ W + b
        return float((logsumexp(O) - O[rows, onp.asarray(y)]).mean() + reg / 2 * (W ** 2).sum())

    grads = []
    for k, a in enumerate((W, b)):
        g = onp.zeros_like(a)
        for i in onp.ndindex(a.shape):
            step = onp.zeros_like(a)
            step[i] = 1e-5
            args = [(W + step, b), (W - step, b)] if k == 0 else [(W, b + step), (W, b - step)]
            g[i] = (loss(*args[0]) - loss(*args[1])) / 2e-5
        grads.append(g)
    return (loss(W, b), *grads)


# Entries where the checks measure the student's own loss by finite differences: how many.
PROBES = 3


def _loss_result(result):
    """{"type", "len", "loss", "dW", "db"} of what a loss function returned."""
    record = {"type": convert.type_name(result), "len": None, "loss": None, "dW": None,
              "db": None}
    if isinstance(result, (tuple, list)):
        record["len"] = len(result)
        if len(result) == 3:
            record["loss"] = convert.number(result[0])
            record["dW"], record["db"] = convert.array(result[1]), convert.array(result[2])
    return record


def check_regularized_loss(softmax_loss, n=8, d=5, q=3, reg=0.1, scale=1.0, seed=0,
                           name="softmax_loss"):
    """Assert softmax_loss(X, y, W, b, reg) returns (loss, dW, db): the mean cross-entropy of
    softmax(X W + b) plus reg / 2 * sum(W ** 2), and its gradients with respect to W (d, q)
    and b (q,).

    X: (n, d) float64 (times `scale`: large logits), y: (n,) int32, W: (d, q), b: (q,), as
    mxnet.np arrays. The check also measures the function's own loss by central finite
    differences at a few entries of W, to tell a wrong loss from a wrong gradient.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("regularized_loss", with_options({"n": n, "d": d, "q": q, "reg": reg,
                                                  "seed": seed, "name": name},
                                                 scale=None if scale == 1 else scale))
    X, y, W, b = regression_problem(n, d, q, run.seed)
    X = X * scale
    args = [convert.mx_array(a) for a in (X, y, W, b)]
    record = _loss_result(run.call(softmax_loss, *args, reg))
    eps, probes = 1e-6, []
    for i, j in probe_entries((d, q), PROBES, run.seed):
        values = []
        for step in (eps, -eps):
            nudged = W.copy()
            nudged[i, j] += step
            out = run.call(softmax_loss, args[0], args[1], convert.mx_array(nudged), args[3],
                           reg)
            values.append(convert.number(out[0]) if isinstance(out, (tuple, list)) and out
                          else None)
        probes.append(values)
    record["probes"] = probes
    run.finish(record)


def _loss_parts(record, name):
    """(loss, dW, db) of a recorded (loss, dW, db), or fail saying what came instead."""
    if record["len"] != 3:
        fail("regularized_loss.result", name=name, got=record["type"])
    return (number_of(record["loss"], "regularized_loss.number", name=name),
            record["dW"], record["db"])


@judge
def judge_regularized_loss(record, params, seed, ref):
    n, d, q, reg, name = params["n"], params["d"], params["q"], params["reg"], params["name"]
    X, y, W, b = regression_problem(n, d, q, seed)
    X = X * params.get("scale", 1.0)
    loss, dW, db = _loss_parts(record, name)
    entries = probe_entries((d, q), PROBES, seed)
    probes = [[number_of(v, "regularized_loss.number", name=name)
               for v in items_of(values, 2, "finite differences")]
              for values in items_of(record.get("probes"), len(entries), "finite differences")]
    want_loss, want_W, want_b = ref.regularized_loss(X, y, W, b, reg)
    if not math.isfinite(loss):
        fail("finite", kind="nan" if math.isnan(loss) else "inf", name=say("regularized_loss.the_loss",
             name=name), context="", at="")
    if not math.isclose(loss, want_loss, rel_tol=1e-6, abs_tol=1e-9):
        penalty = reg / 2 * float((W ** 2).sum())
        data = want_loss - penalty
        def near(value):
            return math.isclose(loss, value, rel_tol=1e-6, abs_tol=1e-9)
        if near(data):
            fail("regularized_loss.no_penalty", name=name)
        if near(data + 2 * penalty):
            fail("regularized_loss.penalty_twice", name=name)
        if near(want_loss + reg / 2 * float((b ** 2).sum())):
            fail("regularized_loss.bias_penalty", name=name)
        if near(n * data + penalty) or near(n * want_loss):
            fail("regularized_loss.sum", name=name, n=n)
        fail("regularized_loss.value", name=name, got=num(loss))
    for key, label, value, want in (("dW", say("regularized_loss.weights"), dW, want_W),
                                    ("db", say("regularized_loss.bias"), db, want_b)):
        label = f"{name}: {label}"
        assert_shape(value, want.shape, label)
        got = array_of(value, label).astype(onp.float64)
        assert_finite(got, label)
        if onp.allclose(got, want, rtol=1e-6, atol=1e-8):
            continue
        if key == "dW":
            def near(wrong):
                return onp.allclose(got, wrong, rtol=1e-6, atol=1e-8)
            if near(want - reg * W):
                fail("regularized_loss.grad_no_penalty", name=name)
            if near(want + reg * W):
                fail("regularized_loss.grad_penalty_twice", name=name)
            if near((want - reg * W) * n + reg * W) or near(want * n):
                fail("regularized_loss.grad_sum", name=f"{name}: dW", n=n)
            for (i, j), (up, down) in zip(entries, probes):
                if not math.isclose((up - down) / 2e-6, got[i, j], rel_tol=1e-4, abs_tol=1e-6):
                    fail("regularized_loss.grad_own_loss", name=name, i=i, j=j)
        else:
            if onp.allclose(got, want + reg * b, rtol=1e-6, atol=1e-8):
                fail("regularized_loss.grad_bias_penalty", name=name)
            if onp.allclose(got, n * want, rtol=1e-6, atol=1e-8):
                fail("regularized_loss.grad_sum", name=f"{name}: db", n=n)
        assert_close(got, want, label, rtol=1e-6, atol=1e-8, reveal=False)


# ---------------------------------------------------------------- check_vectorised

VECTORISED_SPEEDUP = 10  # how many times faster the vectorised loss must be than the loops


def check_vectorised(naive, vectorised, n=50, d=20, q=10, reg=0.1, seed=0, repeats=5):
    """Assert that vectorised(X, y, W, b, reg) returns what naive(...) does, (loss, dW, db),
    and is many times faster: after one untimed call of vectorised (MXNet's first calls are
    slow), the best of 2 runs of naive against the best of `repeats` runs of vectorised.

    The inputs are those of check_regularized_loss, with n examples of d features, q classes.
    """
    __tracebackhide__ = True  # noqa: F841
    import time
    run = start("vectorised", {"n": n, "d": d, "q": q, "reg": reg, "seed": seed,
                               "repeats": repeats})
    X, y, W, b = regression_problem(n, d, q, run.seed)
    args = [convert.mx_array(a) for a in (X, y, W, b)] + [reg]
    record = {}
    run.call(vectorised, *args)
    for key, fn, times in (("naive", naive, 2), ("vectorised", vectorised, repeats)):
        best, result = None, None
        for _ in range(times):
            start_time = time.perf_counter()
            result = run.call(fn, *args)
            if isinstance(result, (tuple, list)):  # MXNet computes lazily: wait for it
                for part in result:
                    getattr(part, "wait_to_read", lambda: None)()
            took = time.perf_counter() - start_time
            best = took if best is None else min(best, took)
        record[key] = dict(_loss_result(result), seconds=best)
    run.finish(record)


@judge
def judge_vectorised(record, params, seed, ref):
    n = params["n"]
    naive, fast = record["naive"], record["vectorised"]
    names = {"naive": "softmax_loss_naive", "vectorised": "softmax_loss"}
    parts = {key: _loss_parts(record[key], names[key]) for key in names}
    (loss_a, dW_a, db_a), (loss_b, dW_b, db_b) = parts["naive"], parts["vectorised"]
    if not math.isclose(loss_a, loss_b, rel_tol=1e-6, abs_tol=1e-9):
        fail("vectorised.disagree", what=say("regularized_loss.the_loss", name=""), n=n)
    for what, a, b in (("dW", dW_a, dW_b), ("db", db_a, db_b)):
        A, B = array_of(a, what), array_of(b, what)
        if A.shape != B.shape or not onp.allclose(A.astype(onp.float64), B, rtol=1e-6,
                                                  atol=1e-8):
            fail("vectorised.disagree", what=what, n=n)
    slow, quick = (number_of(r["seconds"], "grading.bad_record", why="seconds")
                   for r in (naive, fast))
    if not (quick > 0 and slow >= VECTORISED_SPEEDUP * quick):
        fail("vectorised.slow", fast=f"{1000 * quick:.1f}", slow=f"{1000 * slow:.1f}", n=n,
             ratio=VECTORISED_SPEEDUP)
