"""Judges: decide from plain data whether an answer is right, and say what is wrong.

Each judge takes (record, params, seed, ref): what the student's code returned, as plain
data (helpers.checks.records); the check's parameters; the seed its inputs were drawn
from (helpers.checks.inputs regenerates them); and `ref`, the reference answers to
compare with. A judge returns None for a right answer and raises AssertionError with a
message from helpers.checks.messages otherwise. Judges run in the student's kernel for
instant feedback, and in the grader, with the grader's own reference, for the grade.
"""
import math

import numpy as onp

from helpers.checks import inputs
from helpers.checks.messages import say

FLOAT32_LIKE = ("float32", "float16")


# ---------------------------------------------------------------- formatting

def num(x):
    """A number as a short string: 1.7, 0.0001235, 1000."""
    return f"{float(x):.4g}"


def vec(v, n=6):
    """The first `n` entries of a 1-d array as a short string: [0.09, 0.2447, 0.6652]."""
    v = onp.asarray(v).ravel()
    items = ", ".join(num(x) for x in v[:n])
    return f"[{items}{', ...' if v.size > n else ''}]"


def fail(key, **fields):
    """Raise the AssertionError a student reads: the message `key` with its fields."""
    raise AssertionError(say(key, **fields))


# ---------------------------------------------------------------- plain values

def array_of(value, name="output"):
    """`value` as a NumPy array, or the AssertionError that says what it is instead."""
    if isinstance(value, onp.ndarray):
        return value
    if value is None:
        fail("none", name=name)
    if isinstance(value, dict) and "__too_large__" in value:
        fail("too_large", name=name, size=value["__too_large__"])
    got = value.get("__type__", "something else") if isinstance(value, dict) else type(value).__name__
    fail("not_array", name=name, got=got)


def shape_of(value, name="output"):
    """The shape of an array value, or of a recorded {"__shape__": ...}."""
    if isinstance(value, dict) and isinstance(value.get("__shape__"), list):
        return tuple(int(s) for s in value["__shape__"])
    return tuple(array_of(value, name).shape)


def assert_shape(value, expected, name="output", hint=""):
    """Assert that `value` has shape `expected`; the message shows both shapes and a likely cause."""
    got, expected = shape_of(value, name), tuple(expected)
    if got == expected:
        return
    why = ""
    if len(got) > 1 and got == expected[::-1]:
        why = say("shape.transpose")
    elif len(got) == 0:
        why = say("shape.scalar")
    elif len(got) == len(expected) - 1:
        why = say("shape.missing_axis")
    elif len(got) == len(expected) + 1:
        why = say("shape.extra_axis")
    raise AssertionError(say("shape", name=name, expected=expected, got=got, why=why)
                         + (say("hint", hint=hint) if hint else ""))


def assert_dtype(value, expected, name="output", hint=""):
    """Assert that array `value` has dtype `expected` (a name such as "float32")."""
    if isinstance(value, dict) and ("__dtype__" in value or "__type__" in value):
        got = value.get("__dtype__", value.get("__type__"))
    else:
        got = str(array_of(value, name).dtype)
    if got != str(expected):
        raise AssertionError(say("dtype", name=name, expected=expected, got=got)
                             + (say("hint", hint=hint) if hint else ""))


def assert_finite(value, name="output", context=""):
    """Assert that no entry is nan or inf; the message names the first bad one."""
    a = array_of(value, name)
    bad = ~onp.isfinite(a)
    if not bad.any():
        return
    where = tuple(int(i) for i in onp.argwhere(bad)[0])
    kind = "nan" if onp.isnan(a[where]) else "inf"
    at = (say("finite.cell", row=where[0], column=where[1]) if len(where) == 2 else
          say("finite.entry", entry=where[0]) if len(where) == 1 else "")
    fail("finite", kind=kind, name=name, context=f" {context}" if context else "", at=at)


def assert_probabilities(value, name="output", atol=1e-4):
    """Assert that each row is a probability distribution: non-negative, summing to 1."""
    P = array_of(value, name)
    if P.ndim != 2:
        fail("probabilities.ndim", name=name, shape=P.shape)
    assert_finite(P, name)
    if (P < -atol).any():
        i, j = (int(k) for k in onp.argwhere(P < -atol)[0])
        fail("probabilities.negative", row=i, column=j, value=num(P[i, j]))
    sums = P.astype(onp.float64).sum(axis=1)
    bad = onp.flatnonzero(onp.abs(sums - 1) > atol)
    if bad.size:
        fail("probabilities.sum", row=int(bad[0]), total=num(sums[int(bad[0])]))


def assert_close(value, expected, name="output", rtol=1e-5, atol=1e-6, reveal=True):
    """Assert that `value` equals array `expected` (same shape) within tolerances.

    reveal=False: the message shows what was got, never what was expected (the checks of
    tasks that ask for a derivation or a judgement give no answer away).
    """
    expected = onp.asarray(expected, dtype=onp.float64)
    assert_shape(value, expected.shape, name)
    got = array_of(value, name).astype(onp.float64)
    ok = onp.isclose(got, expected, rtol=rtol, atol=atol)
    if ok.all():
        return
    if expected.ndim == 0:
        if not reveal:
            fail("close.scalar.hidden", name=name, got=num(got))
        fail("close.scalar", name=name, got=num(got), expected=num(expected))
    i = int(onp.argwhere(~ok)[0][0])
    if expected.ndim > 1:
        if not reveal:
            fail("close.row.hidden", name=name, index=i, got=vec(got[i]))
        fail("close.row", name=name, index=i, got=vec(got[i]), expected=vec(expected[i].ravel()))
    if not reveal:
        fail("close.entry.hidden", name=name, index=i, got=num(got[i]))
    fail("close.entry", name=name, index=i, got=num(got[i]), expected=num(expected[i]))


def items_of(value, count, what):
    """`value` as a list of exactly `count` items, or the AssertionError that says how many came."""
    got = len(value) if isinstance(value, list) else type(value).__name__
    if got != count:
        fail("grading.short_record", what=what, got=got, want=count)
    return value


def number_of(value, what_key, **fields):
    """A recorded number (helpers.checks.convert.number) as a float, or fail with `what_key`."""
    if isinstance(value, float):
        return value
    if isinstance(value, dict) and value.get("value") is not None and \
            tuple(value.get("__shape__", ())) in ((), (1,)):
        return float(value["value"])
    got = (f"an array of shape {tuple(value['__shape__'])}" if isinstance(value, dict)
           and "__shape__" in value else
           value.get("__type__", "something else") if isinstance(value, dict) else repr(value))
    fail(what_key, got=got, **fields)


# ---------------------------------------------------------------- generic checks

def judge_shape(record, params, seed, ref):
    assert_shape(record["a"], params["expected"], params["name"], params["hint"])


def judge_dtype(record, params, seed, ref):
    assert_dtype(record["a"], params["expected"], params["name"], params["hint"])


def judge_finite(record, params, seed, ref):
    assert_finite(record["a"], params["name"], params["context"])


def judge_probabilities(record, params, seed, ref):
    assert_probabilities(record["P"], params["name"], params["atol"])


def judge_close(record, params, seed, ref):
    assert_close(record["got"], array_of(record["expected"], "expected"), params["name"],
                 params["rtol"], params["atol"])


# ---------------------------------------------------------------- lesson 1: softmax

def logits_context(params):
    """"for logits around 1000", or for a mixed batch "... in some rows and ... in others"."""
    offset = params["offset"]
    if params.get("mixed"):
        return say("logits_mixed", offset=f"{offset:g}", minus=f"{-offset:g}")
    return say("logits_around", offset=f"{offset:g}")


def call_name(function, params, args="X"):
    """How the check called the student's function: softmax(X) or softmax(X, axis=0)."""
    axis = params.get("axis")
    return f"{function}({args})" if axis is None else f"{function}({args}, axis={axis})"


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


def judge_keeps_input(record, params, seed, ref):
    x = inputs.input_matrix(seed)
    X = array_of(record["X"], "X")
    if X.shape != x.shape or not onp.array_equal(X, x):
        fail("keeps_input", name=params["name"])


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


# ---------------------------------------------------------------- lesson 2: the data

def judge_labels(record, params, seed, ref):
    indices = inputs.label_indices(params["labels"], seed)
    want = ref.labels(indices)
    got = record["result"]
    if got["type"] != "list":
        fail("labels.type", got=got["type"])
    items = got["items"] if isinstance(got.get("items"), list) else []
    if len(items) != len(want):
        fail("labels.count", want=len(want), got=len(items))
    for label, (kind, shown), w in zip(indices, items, want):
        if kind != "str" or shown != w:
            fail("labels.name", label=int(label), want=repr(w),
                 got=repr(shown) if kind == "str" else shown)


def judge_to_tensor(record, params, seed, ref):
    n = params["n"]
    height, width, channels = (params.get(k, v) for k, v in (("height", 28), ("width", 28),
                                                               ("channels", 1)))
    images = inputs.images(n, params["dtype"], seed, height, width, channels)
    expected = ref.to_tensor(images)
    name = say("to_tensor.call", shape=images.shape)
    out = record["out"]
    if shape_of(out, name) == images.shape and images.shape != expected.shape:
        fail("to_tensor.channels", name=name, expected=expected.shape, got=images.shape)
    assert_shape(out, expected.shape, name)
    assert_dtype(out, "float32", name)
    got = array_of(out)
    if got.size and (got.max() > 1 + 1e-6 or got.min() < 0):
        fail("to_tensor.range", name=name, low=num(got.min()), high=num(got.max()))
    if not onp.allclose(got, expected, atol=1e-6):
        if onp.allclose(got, images.reshape(expected.shape) / 255, atol=1e-6):
            fail("to_tensor.reshape", name=name)
        if onp.allclose(got, images.transpose(0, 3, 2, 1) / 255, atol=1e-6) or \
                onp.allclose(got.transpose(0, 1, 3, 2).reshape(-1),
                             expected.reshape(-1), atol=1e-6):
            fail("to_tensor.axes", name=name)
    assert_close(got, expected, name, atol=1e-6)


def judge_batch(record, params, seed, ref):
    batch_size, size = params["batch_size"], params["size"]
    X, y = record["X"], record["y"]
    assert_shape(X, (batch_size, 1, size, size), "X")
    assert_dtype(X, "float32", "X")
    assert_shape(y, (batch_size,), "y")
    assert_dtype(y, "int32", "y")
    x, labels = array_of(X, "X"), array_of(y, "y")
    if x.size and (x.min() < 0 or x.max() > 1):
        fail("batch.pixels", low=num(x.min()), high=num(x.max()))
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        fail("batch.labels", low=labels.min(), high=labels.max())


def judge_iterators(record, params, seed, ref):
    batch_size = params["batch_size"]
    for name, n in (("train_iter", 60000), ("test_iter", 10000)):
        want, got = math.ceil(n / batch_size), record[f"len_{name}"]
        if got != want:
            fail("iterators.count", name=name, want=want, batch_size=batch_size, n=n, got=got)
    got = array_of(record["test_first"], "y")[:5]
    want = ref.dataset_labels("test")[:5]
    if not onp.array_equal(got, want):
        fail("iterators.test_shuffled", want=want.tolist(), got=got.tolist())
    first = array_of(record["train_first"], "y")
    if onp.array_equal(first, ref.dataset_labels("train")[:len(first)]):
        fail("iterators.train_in_order", n=len(first))


# ---------------------------------------------------------------- lesson 3: from scratch

def judge_cross_entropy(record, params, seed, ref):
    y_hat, y = inputs.probabilities_and_labels(params["batch"], params["dtype"], seed)
    want = ref.cross_entropy(y_hat, y)
    name = "cross_entropy(y_hat, y)"
    assert_shape(record["out"], (len(y),), name, say("cross_entropy.hint"))
    got = array_of(record["out"], name)
    if onp.allclose(got, -want, rtol=1e-4):
        fail("cross_entropy.sign")
    assert_close(got, want, name, rtol=1e-4, atol=1e-5)


def judge_accuracy(record, params, seed, ref):
    scores, y = inputs.scores_and_labels(seed)
    n, q = scores.shape
    want = ref.correct_count(scores, y)
    value = record["count"]
    if isinstance(value, dict) and "__shape__" in value and \
            tuple(value["__shape__"]) not in ((), (1,)):
        fail("accuracy.shape", shape=tuple(value["__shape__"]))
    got = number_of(value, "accuracy.number")
    form = (say("accuracy.classes", n=n) if params["predicted_classes"]
            else say("accuracy.scores", n=n, q=q))
    if want != n and math.isclose(got, want / n):
        fail("accuracy.fraction", want=float(want), got=num(got))
    if not math.isclose(got, want):
        fail("accuracy.count", form=form, want=float(want), right=int(want), n=n, got=num(got))


def judge_sgd(record, params, seed, ref):
    lr, batch_size = params["lr"], params["batch_size"]
    W0, b0, gW, gb = inputs.sgd_parameters(seed)
    W, b = array_of(record["W"], "W"), array_of(record["b"], "b")
    unchanged = (W.shape == W0.shape and onp.array_equal(W, W0))
    if not record["returned_none"] and unchanged:
        fail("sgd.returned")
    if unchanged and b.shape == b0.shape and onp.array_equal(b, b0):
        fail("sgd.unchanged")
    for name, got, p0, g in (("W", W, W0, gW), ("b", b, b0, gb)):
        want = ref.sgd_step(p0, g, lr, batch_size)
        if got.shape == p0.shape and onp.allclose(got, p0 - lr * g, atol=1e-6) and \
                not onp.allclose(got, want):
            fail("sgd.no_division", name=name)
        assert_close(got, want, say("sgd.after", name=name, lr=lr, batch_size=batch_size),
                     atol=1e-6)


def judge_train_epoch(record, params, seed, ref):
    n = params["n"]
    batches, W0 = inputs.toy_problem(n, params["batch_size"], seed)
    result = record["result"]
    if result.get("values") is None:
        fail("train_epoch.result", got=result.get("repr"))
    W = array_of(record["W"], "W")
    if W.shape == W0.shape and onp.array_equal(W, W0):
        fail("train_epoch.unchanged")
    train_loss, train_acc = (number_of(v, "train_epoch.result")
                             for v in items_of(result["values"], 2, "train_epoch"))
    want_loss, want_acc, W_want = ref.train_epoch(batches, W0, lr=0.5)
    if not 0 <= train_acc <= 1:
        fail("train_epoch.fraction", got=num(train_acc))
    if not math.isclose(train_loss, want_loss, rel_tol=1e-3):
        fail("train_epoch.loss", want=num(want_loss), got=num(train_loss), n=n)
    if not math.isclose(train_acc, want_acc, abs_tol=1e-6):
        fail("train_epoch.accuracy", want=num(want_acc), got=num(train_acc))
    assert_close(W, W_want, say("train_epoch.weights"), rtol=1e-4, atol=1e-6)


def judge_accuracy_bar(record, params, seed, ref):
    bar, num_epochs = params["bar"], params["num_epochs"]
    if record["test_acc"] is None:
        fail("accuracy_bar.none")
    acc = number_of(record["test_acc"], "accuracy_bar.number")
    if not 0 <= acc <= 1:
        fail("accuracy_bar.fraction", got=num(acc))
    if params["model"]:
        W, b = record["W"], record["b"]
        if not (isinstance(W, onp.ndarray) and W.shape == (784, 10) and W.dtype.kind == "f"
                and isinstance(b, onp.ndarray) and b.shape == (10,) and b.dtype.kind == "f"):
            fail("accuracy_bar.model", what=record.get("expected_model", "a linear model"),
                 got=record.get("model_kind"))
        measured = ref.test_accuracy(W, b)
        if abs(acc - measured) > 0.002:
            fail("accuracy_bar.mismatch", got=acc, measured=measured)
        acc = measured
    if acc <= bar:
        fail("accuracy_bar.below", acc=acc, num_epochs=num_epochs, bar=bar)


# ---------------------------------------------------------------- lesson 4: concise

def judge_concise_net(record, params, seed, ref):
    num_inputs, num_outputs, sigma = params["num_inputs"], params["num_outputs"], params["sigma"]
    if record["uninitialized"]:
        fail("net.uninitialized")
    assert_shape(record["out"], (2, num_outputs), say("net.call"))
    weights = [v for k, v in record["params"].items() if str(k).endswith("weight")]
    if len(weights) != 1:
        fail("net.layers", found=len(weights))
    assert_shape(weights[0], (num_outputs, num_inputs), say("net.weight"))
    std = float(array_of(weights[0]).std())
    if not 0.5 * sigma <= std <= 2 * sigma:
        fail("net.sigma", sigma=sigma, std=num(std))


def judge_loss(record, params, seed, ref):
    batch, offset = params["batch"], params["offset"]
    x, y = inputs.logits_and_labels(batch, offset, seed)
    context = say("logits_around", offset=f"{offset:g}")
    out = record["out"]
    assert_shape(out, (batch,), "loss(logits, y)", say("cross_entropy.hint"))
    assert_finite(out, "loss(logits, y)", context)
    assert_close(out, ref.loss(x, y), f"loss(logits, y) {context} {say('loss.logits')}",
                 rtol=1e-4, atol=1e-4)


def judge_trainer(record, params, seed, ref):
    if not record["is_trainer"]:
        fail("trainer.type", got=record["type"])
    if record["optimizer"] != "SGD":
        fail("trainer.optimizer", got=record["optimizer"])
    lr = number_of(record["lr"], "trainer.lr", want=params["lr"])
    if not math.isclose(lr, params["lr"]):
        fail("trainer.lr", want=params["lr"], got=num(lr))
    if not record["same_params"]:
        fail("trainer.params")


# ---------------------------------------------------------------- lesson 5: devices

def _device_list(names):
    return "[" + ", ".join(names) + "]"


def judge_try_gpu(record, params, seed, ref):
    from helpers.checks.tasks import ASKED, FAKE_MACHINES
    machines = items_of(record["machines"], len(FAKE_MACHINES), "try_gpu")
    for n, machine in zip(FAKE_MACHINES, machines):
        if machine["gpus"] != n:
            fail("grading.bad_record", why="try_gpu")
        there = say("try_gpu.gpus", n=n, s="s" if n != 1 else "")
        asked = [i for i, _ in items_of(machine["try_gpu"], len(ASKED), "try_gpu(i)")]
        if asked != list(ASKED):
            fail("grading.bad_record", why="try_gpu")
        for i, got in machine["try_gpu"]:
            want = f"gpu({i})" if i < n else "cpu(0)"
            if got != want:
                fail("try_gpu", i=i, there=there, want=want, got=got)
        if machine["default"] != ("gpu(0)" if n else "cpu(0)"):
            fail("try_gpu.default", there=there, want="gpu(0)" if n else "cpu(0)",
                 got=machine["default"])
        want = [f"gpu({i})" for i in range(n)] or ["cpu(0)"]
        got = machine["all"]
        if got["type"] != "list" or got["items"] != want:
            fail("try_all_gpus", n=n, want=_device_list(want), got=got["repr"])


def _length(value, name):
    shape = shape_of(value, name)
    return shape[0] if shape else 0


def judge_split_batch(record, params, seed, ref):
    devices, batch_size = params["devices"], params["batch_size"]
    x, y = inputs.small_batch(batch_size, seed)
    if record["type"] != "tuple" or record["len"] != 2:
        fail("split.result", got=record["type"])
    for name, shards, full in (("X", record["X"], x), ("y", record["y"], y)):
        if not isinstance(shards, list) or len(shards) != len(devices):
            fail("split.count", want=len(devices), name=name, got=len(shards))
        sizes = [_length(s["data"], say("split.shard", name=name, k=k))
                 for k, s in enumerate(shards)]
        if sum(sizes) != batch_size or max(sizes) - min(sizes) > 1:
            fail("split.sizes", name=name, sizes=sizes, batch_size=batch_size,
                 devices=len(devices))
        for k, (s, d) in enumerate(zip(shards, devices)):
            if s["ctx"] != d:
                fail("split.device", name=name, k=k, got=s["ctx"], want=d)
            assert_shape(s["data"], (sizes[k],) + full.shape[1:], say("split.shard", name=name, k=k))
        joined = onp.concatenate([array_of(s["data"]) for s in shards])
        assert_close(joined, full, say("split.joined", name=name), atol=0)


def judge_replicas(record, params, seed, ref):
    devices = params["devices"]
    if not isinstance(record["params"], dict) or not any(
            str(k).endswith("weight") for k in record["params"]):
        fail("grading.short_record", what="net.collect_params()", want="a weight and a bias",
             got=len(record["params"]) if isinstance(record["params"], dict) else "none")
    for name, p in record["params"].items():
        if p["ctx"] != devices:
            fail("replicas.devices", name=name, got=_device_list(p["ctx"]),
                 want=_device_list(devices))
        items_of(p["copies"], len(devices), f"{name}: copies")
        copies = [array_of(c, name) for c in p["copies"]]
        for k, c in enumerate(copies[1:], 1):
            if c.shape != copies[0].shape or not onp.allclose(c, copies[0], atol=1e-6):
                fail("replicas.equal", name=name, other=p["ctx"][k], first=p["ctx"][0])



# ---------------------------------------------------------------- lesson 6: the gradient

def judge_softmax_ce_gradient(record, params, seed, ref):
    shape, dtype, offset = tuple(params["shape"]), params["dtype"], params["offset"]
    smoothing = params.get("smoothing", 0.0)
    x, y = inputs.logits_and_integer_labels(shape, dtype, offset, seed, params.get("mixed", False))
    Y = inputs.label_distributions(y, shape[1], smoothing, dtype).astype(onp.float64)
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
            fail("gradient.forgot_label", name=name)
        if onp.allclose(got, -want, rtol=1e-4, atol=1e-5):
            fail("gradient.sign", name=name)
        if len(y) > 1 and onp.allclose(got, want / len(y), rtol=1e-4, atol=1e-7):
            fail("gradient.mean", name=name)
        if smoothing and onp.allclose(got, probabilities - onp.eye(shape[1])[y], rtol=1e-4,
                                      atol=1e-5):
            fail("gradient.distribution", name=name)
    assert_close(got, want, f"{name} {context}", rtol=tol, atol=tol)


def judge_numerical_gradients(record, params, seed, ref):
    shapes, eps = [tuple(s) for s in params["shapes"]], params["eps"]
    f, parts, w = inputs.smooth_problem(shapes, seed)
    points = [x for _, _, x in parts]
    if record["grads"] is None:
        fail("numgrad.result", want=len(shapes), got=record["type"])
    grads = items_of(record["grads"], len(shapes), "numerical_gradients")
    for k, (x, value) in enumerate(zip(points, items_of(record["params"], len(shapes),
                                                         "params"))):
        X = array_of(value, "params")
        if X.shape != x.shape or not onp.array_equal(X, x):
            fail("numgrad.changed_x", k=k)
    want = ref.smooth_gradients(parts, w, points)
    for k, (value, shape) in enumerate(zip(grads, shapes)):
        name = say("numgrad.call", eps=eps, k=k, shape=shape)
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
                fail("numgrad.one_sided")
        assert_close(got, want[k], name, rtol=1e-5, atol=1e-5)


def _loss_parts(record, name):
    """(loss, dW, db) of a recorded (loss, dW, db), or fail saying what came instead."""
    if record["len"] != 3:
        fail("regloss.result", name=name, got=record["type"])
    return (number_of(record["loss"], "regloss.number", name=name),
            record["dW"], record["db"])


def judge_regularized_loss(record, params, seed, ref):
    n, d, q, reg, name = params["n"], params["d"], params["q"], params["reg"], params["name"]
    X, y, W, b = inputs.regression_problem(n, d, q, seed)
    X = X * params.get("scale", 1.0)
    loss, dW, db = _loss_parts(record, name)
    from helpers.checks.tasks import PROBES
    entries = inputs.probe_entries((d, q), PROBES, seed)
    probes = [[number_of(v, "regloss.number", name=name)
               for v in items_of(values, 2, "finite differences")]
              for values in items_of(record.get("probes"), len(entries), "finite differences")]
    want_loss, want_W, want_b = ref.regularized_loss(X, y, W, b, reg)
    if not math.isfinite(loss):
        fail("finite", kind="nan" if math.isnan(loss) else "inf", name=say("regloss.the_loss",
             name=name), context="", at="")
    if not math.isclose(loss, want_loss, rel_tol=1e-6, abs_tol=1e-9):
        penalty = reg / 2 * float((W ** 2).sum())
        data = want_loss - penalty
        def near(value):
            return math.isclose(loss, value, rel_tol=1e-6, abs_tol=1e-9)
        if near(data):
            fail("regloss.no_penalty", name=name)
        if near(data + 2 * penalty):
            fail("regloss.penalty_twice", name=name)
        if near(want_loss + reg / 2 * float((b ** 2).sum())):
            fail("regloss.bias_penalty", name=name)
        if near(n * data + penalty) or near(n * want_loss):
            fail("regloss.sum", name=name, n=n)
        fail("regloss.value", name=name, got=num(loss))
    for key, label, value, want in (("dW", say("regression.weights"), dW, want_W),
                                    ("db", say("regression.bias"), db, want_b)):
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
                fail("reggrad.no_penalty", name=name)
            if near(want + reg * W):
                fail("reggrad.penalty_twice", name=name)
            if near((want - reg * W) * n + reg * W) or near(want * n):
                fail("regression.sum", name=f"{name}: dW", n=n)
            for (i, j), (up, down) in zip(entries, probes):
                if not math.isclose((up - down) / 2e-6, got[i, j], rel_tol=1e-4, abs_tol=1e-6):
                    fail("reggrad.own_loss", name=name, i=i, j=j)
        else:
            if onp.allclose(got, want + reg * b, rtol=1e-6, atol=1e-8):
                fail("reggrad.bias_penalty", name=name)
            if onp.allclose(got, n * want, rtol=1e-6, atol=1e-8):
                fail("regression.sum", name=f"{name}: db", n=n)
        assert_close(got, want, label, rtol=1e-6, atol=1e-8, reveal=False)


VECTORISED_SPEEDUP = 10  # how many times faster the vectorised loss must be than the loops


def judge_vectorised(record, params, seed, ref):
    n = params["n"]
    naive, fast = record["naive"], record["vectorised"]
    names = {"naive": "softmax_loss_naive", "vectorised": "softmax_loss"}
    parts = {key: _loss_parts(record[key], names[key]) for key in names}
    (loss_a, dW_a, db_a), (loss_b, dW_b, db_b) = parts["naive"], parts["vectorised"]
    if not math.isclose(loss_a, loss_b, rel_tol=1e-6, abs_tol=1e-9):
        fail("vectorised.disagree", what=say("regloss.the_loss", name=""), n=n)
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


# ---------------------------------------------------------------- lesson 7: calibration

def judge_ece(record, params, seed, ref):
    num_bins = params["num_bins"]
    probabilities, y = inputs.predictions(params["n"], seed, params["edge"])
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


def judge_temperature_nll(record, params, seed, ref):
    n, offset = params["n"], params["offset"]
    logits, y = inputs.scaled_logits(n, 10, 2.0, offset, seed, params.get("mixed", False))
    context = logits_context(params)
    for T, value in zip((1.0, 0.5, 2.0), items_of(record["values"], 3, "nll(logits, y, T)")):
        got = number_of(value, "nll.number")
        want = ref.nll(logits, y, T)
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            continue
        if not math.isfinite(got):
            fail("finite", kind="nan" if math.isnan(got) else "inf",
                 name=f"nll(logits, y, T={T:g})", context=f" {context}", at="")
        if math.isclose(got, n * want, rel_tol=1e-6):
            fail("nll.sum", T=f"{T:g}", got=num(got), want=num(want))
        if T != 1.0 and math.isclose(got, ref.nll(logits, y, 1.0), rel_tol=1e-6):
            fail("nll.temperature", T=f"{T:g}", got=num(got), want=num(want))
        fail("nll.value", T=f"{T:g}", context=context, got=num(got), want=num(want))


def judge_fit_temperature(record, params, seed, ref):
    logits, y = inputs.scaled_logits(params["n"], 10, params["scale"], 0.0, seed)
    T = number_of(record["T"], "temperature.number")
    if not (math.isfinite(T) and T > 0):
        fail("temperature.number", got=num(T))
    best = ref.best_temperature(logits, y)
    nll_got, nll_best = ref.nll(logits, y, T), ref.nll(logits, y, best)
    if nll_got - nll_best > 1e-4:
        fail("temperature.worse", got=num(T), nll_got=num(nll_got), nll_best=num(nll_best),
             best=num(best))



def _top_label_ece(ref, logits, y, T):
    probabilities = ref.softmax(onp.asarray(logits) / T)
    return ref.ece(probabilities.max(axis=1), probabilities.argmax(axis=1) == y, 15)


def judge_calibration_report(record, params, seed, ref):
    n = params["n"]
    val_logits, val_y = inputs.scaled_logits(n, 10, 2.5, 0.0, seed)
    test_logits, test_y = inputs.scaled_logits(n, 10, 2.0, 0.0, seed + 1)
    if record["values"] is None:
        fail("report.result", got=record["type"])
    T, before, after = (number_of(v, "report.number")
                        for v in items_of(record["values"], 3, "calibrate"))
    if not (math.isfinite(T) and T > 0):
        fail("temperature.number", got=num(T))
    best_val, best_test = (ref.best_temperature(val_logits, val_y),
                           ref.best_temperature(test_logits, test_y))
    if ref.nll(val_logits, val_y, T) - ref.nll(val_logits, val_y, best_val) > 1e-4:
        if ref.nll(test_logits, test_y, T) - ref.nll(test_logits, test_y, best_test) <= 1e-4:
            fail("report.fitted_on_test", T=num(T))
        fail("report.temperature", T=num(T))
    for name, got, temperature in (("ece_before", before, 1.0), ("ece_after", after, T)):
        want = _top_label_ece(ref, test_logits, test_y, temperature)
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            continue
        on_val = _top_label_ece(ref, val_logits, val_y, temperature)
        if math.isclose(got, on_val, rel_tol=1e-6, abs_tol=1e-9):
            fail("report.on_validation", name=name)
        fail("report.ece", name=name, got=num(got))

# ---------------------------------------------------------------- lesson 8: tuning

def judge_stratified_folds(record, params, seed, ref):
    counts, k = params["counts"], params["num_folds"]
    y = inputs.class_labels(counts, seed)
    n = len(y)
    calls = []
    for call in items_of(record["calls"], 3, "stratified_folds"):
        if call["folds"] is None:
            fail("folds.result", want=k, got=call["type"])
        folds = []
        for value in items_of(call["folds"], k, "stratified_folds: folds"):
            a = array_of(value, "fold")
            if a.ndim != 1:
                assert_shape(a, (len(a.ravel()),), "fold")
            if a.dtype.kind not in "iu":
                fail("folds.integers", dtype=a.dtype)
            folds.append(a.astype(onp.int64))
        calls.append(folds)
    folds = calls[0]
    for a in range(k):
        for b in range(a + 1, k):
            shared = onp.intersect1d(folds[a], folds[b])
            if shared.size:
                fail("folds.overlap", a=a, b=b, count=shared.size, index=int(shared[0]))
    both = onp.concatenate(folds)
    inside = both[(both >= 0) & (both < n)]
    missing = n - onp.unique(inside).size
    extra = both.size - onp.unique(inside).size
    if missing or extra:
        fail("folds.cover", n=n, missing=missing, extra=extra)
    for label, count in enumerate(counts):
        per_fold = [int((y[f] == label).sum()) for f in folds]
        if max(per_fold) - min(per_fold) > 1:
            fail("folds.class_count", label=label, count=count, got=per_fold)
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
        fail("folds.not_random")
    same, other = calls[1], calls[2]
    if [sorted(f.tolist()) for f in same] != [sorted(f.tolist()) for f in folds]:
        fail("folds.not_repeatable")
    if [sorted(f.tolist()) for f in other] == [sorted(f.tolist()) for f in folds]:
        fail("folds.ignores_seed")


def judge_select_setting(record, params, seed, ref):
    results = inputs.tuning_results(seed, params["with_test"])
    if record["type"] != "dict" or record["lr"] is None:
        fail("select.type", got=record["type"])
    want = results[ref.best_setting(results)]
    chosen = (record["lr"], record["wd"])
    if chosen == (want["lr"], want["wd"]):
        return
    if params["with_test"]:
        by_test = max(results, key=lambda r: r["test_acc"])
        if chosen == (by_test["lr"], by_test["wd"]):
            fail("select.by_test", lr=chosen[0], wd=chosen[1])
    picked = [r for r in results if (r["lr"], r["wd"]) == chosen]
    if not picked:
        fail("select.type", got=say("select.not_listed"))
    fail("select.wrong", lr=chosen[0], wd=chosen[1], val=picked[0]["val_acc"])


def judge_tuning(record, params, seed, ref):
    candidates = params["candidates"]
    results = record["results"]
    if results is None:
        fail("tune.results", got=record["results_type"], candidates=candidates)
    items_of(results, len(candidates), "results")
    for entry in results:
        if entry["type"] != "dict" or entry["lr"] is None or entry["val_acc"] is None:
            fail("tune.results", got=entry["type"], candidates=candidates)
        if not {"lr", "val_acc"} <= set(entry["keys"]):
            fail("tune.results", got=entry["type"], candidates=candidates)
        tested = [k for k in entry["keys"] if "test" in k]
        if tested:
            fail("tune.test_in_results", entry=tested[0])
    lrs = sorted(number_of(e["lr"], "tune.number", what="lr") for e in results)
    if not all(math.isclose(a, b) for a, b in zip(lrs, sorted(candidates))):
        fail("tune.candidates", want=candidates, got=lrs)
    accs = [number_of(e["val_acc"], "tune.number", what="val_acc") for e in results]
    chosen = record["chosen"]
    if chosen["type"] != "dict" or chosen["lr"] is None or \
            not {"lr", "val_acc"} <= set(chosen["keys"]):
        fail("tune.chosen", got=chosen["type"])
    best = results[int(onp.argmax(accs))]
    if not math.isclose(number_of(chosen["lr"], "tune.number", what="lr"),
                        number_of(best["lr"], "tune.number", what="lr")):
        fail("tune.choice", lr=num(number_of(chosen["lr"], "tune.number", what="lr")))
    val_passes, test_passes = record["val_passes"], record["test_passes"]
    if not isinstance(val_passes, int) or val_passes < len(candidates):
        fail("tune.val_passes", got=val_passes, want=len(candidates))
    if test_passes != 1:
        fail("tune.test_passes", got=test_passes)


# ---------------------------------------------------------------- conceptual tasks of a4 and a5

def judge_dense_labels(record, params, seed, ref):
    batch, q = params["batch"], params["q"]
    x = inputs.logits((batch, q), "float32", 0.0, seed)
    y = inputs.rng(seed + 1).randint(0, q, size=batch).astype("int32")
    name = f"one_hot(y, {q})"
    assert_shape(record["Y"], (batch, q), name)
    assert_close(record["Y"], ref.one_hot(y, q), name, atol=0, reveal=False)
    assert_shape(record["loss"], (batch,), say("dense.call"), say("cross_entropy.hint"))
    assert_close(record["loss"], ref.loss(x, y), say("dense.call"), rtol=1e-4, atol=1e-4,
                 reveal=False)


def judge_step_argument(record, params, seed, ref):
    sizes_list = inputs.shard_sizes(seed)
    for sizes, value in zip(sizes_list, items_of(record["values"], len(sizes_list),
                                                 "step_argument")):
        got = number_of(value, "step.number")
        want = ref.step_argument(sizes)
        if math.isclose(got, want):
            continue
        if any(math.isclose(got, s) for s in sizes):
            fail("step.shard", sizes=sizes, got=num(got))
        if math.isclose(got, len(sizes)):
            fail("step.devices", sizes=sizes, got=num(got))
        fail("step.value", sizes=sizes, got=num(got))

JUDGES = {
    "shape": judge_shape, "dtype": judge_dtype, "finite": judge_finite,
    "probabilities": judge_probabilities, "close": judge_close,
    "softmax": judge_softmax, "keeps_input": judge_keeps_input, "logsumexp": judge_logsumexp,
    "labels": judge_labels, "to_tensor": judge_to_tensor, "batch": judge_batch,
    "iterators": judge_iterators, "cross_entropy": judge_cross_entropy,
    "accuracy": judge_accuracy, "sgd": judge_sgd, "train_epoch": judge_train_epoch,
    "accuracy_bar": judge_accuracy_bar, "concise_net": judge_concise_net, "loss": judge_loss,
    "trainer": judge_trainer, "try_gpu": judge_try_gpu, "split_batch": judge_split_batch,
    "replicas": judge_replicas, "softmax_ce_gradient": judge_softmax_ce_gradient,
    "numerical_gradients": judge_numerical_gradients,
    "regularized_loss": judge_regularized_loss, "vectorised": judge_vectorised, "ece": judge_ece,
    "temperature_nll": judge_temperature_nll, "fit_temperature": judge_fit_temperature,
    "calibration_report": judge_calibration_report,
    "stratified_folds": judge_stratified_folds, "select_setting": judge_select_setting,
    "tuning": judge_tuning,
    "dense_labels": judge_dense_labels, "step_argument": judge_step_argument,
}

# Checks whose verdict rests on values the student's kernel computed (the expected array of
# check_close): fine for a student's own use, never for a grade.
UNGRADABLE = {"close"}
