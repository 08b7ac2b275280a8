"""Checks for the graded exercises in course/: friendly AssertionErrors for students.

Every ``check_*`` function passes silently on a right answer and otherwise raises
AssertionError with a message that says what is wrong and where: the row that does not
sum to 1 and its sum, the shape expected and the shape got, the logits that gave nan.
The test cells of course/source/*/ call them; students may call them while they work.
Importing this module is cheap: MXNet is imported inside the checks that build arrays.
"""
import math

import numpy as onp

from helpers.data import get_fashion_mnist_labels
from helpers.metrics import scaled_softmax

TEXT_LABELS = get_fashion_mnist_labels(range(10))


# ---------------------------------------------------------------- small helpers

def _numpy(a, name="output"):
    """Return `a` (an mxnet.np array, a NumPy array or a nested list) as a NumPy array."""
    if a is None:
        raise AssertionError(f"{name} is None: did you forget a return statement?")
    if hasattr(a, "asnumpy"):
        return a.asnumpy()
    return onp.asarray(a)


def _shape(a):
    return tuple(a.shape) if hasattr(a, "shape") else onp.shape(a)


def _num(x):
    """A number as a short string: 1.7, 0.0001235, 1000."""
    return f"{float(x):.4g}"


def _vec(v, n=6):
    """The first `n` entries of a 1-d array as a short string: [0.09, 0.2447, 0.6652]."""
    v = onp.asarray(v).ravel()
    items = ", ".join(_num(x) for x in v[:n])
    return f"[{items}{', ...' if v.size > n else ''}]"


def _mx_array(x, dtype=None, ctx=None):
    from mxnet import np
    return np.array(x, dtype=dtype or x.dtype, ctx=ctx)


# ---------------------------------------------------------------- generic checks

def check_shape(a, expected, name="output", hint=""):
    """Assert that `a` has shape `expected`, e.g. (256, 10); the message shows both shapes.

    hint: a phrase added to the message, e.g. "one loss per example".
    """
    if a is None:
        raise AssertionError(f"{name} is None: did you forget a return statement?")
    got, expected = _shape(a), tuple(expected)
    if got == expected:
        return
    auto = ""
    if len(got) > 1 and got == expected[::-1]:
        auto = " (the transpose: are the axes swapped?)"
    elif len(got) == 0:
        auto = " (a single number: did you sum or average over the whole batch?)"
    elif len(got) == len(expected) - 1:
        auto = " (an axis is missing: summed without keepdims=True?)"
    elif len(got) == len(expected) + 1:
        auto = " (one axis too many)"
    raise AssertionError(f"{name}: expected shape {expected}, got {got}{auto}"
                         + (f"; {hint}" if hint else ""))


def check_dtype(a, expected, name="output", hint=""):
    """Assert that array `a` has dtype `expected` (a name such as "float32"); hint as in check_shape."""
    got = str(getattr(a, "dtype", type(a).__name__))
    if got != str(expected):
        raise AssertionError(f"{name}: expected dtype {expected}, got {got}"
                             + (f"; {hint}" if hint else ""))


def check_finite(a, name="output", context=""):
    """Assert that array `a` holds no nan or inf; the message names the first bad entry.

    a: any shape. context: a phrase appended after `name`, e.g. "for logits around 1000".
    """
    a = _numpy(a, name)
    bad = ~onp.isfinite(a)
    if not bad.any():
        return
    where = tuple(int(i) for i in onp.argwhere(bad)[0])
    value = a[where]
    kind = "nan" if onp.isnan(value) else "inf"
    at = (f" (row {where[0]}, column {where[1]})" if len(where) == 2 else
          f" (entry {where[0]})" if len(where) == 1 else "")
    ctx = f" {context}" if context else ""
    raise AssertionError(f"{kind} in {name}{ctx}{at}")


def check_probabilities(P, name="output", atol=1e-4):
    """Assert that each row of P is a probability distribution: non-negative, summing to 1.

    P: (batch, q). The message names the first bad row, e.g. "row 3 sums to 1.7".
    """
    P = _numpy(P, name)
    if P.ndim != 2:
        raise AssertionError(f"{name}: expected a 2-d array (batch, classes), "
                             f"got shape {P.shape}")
    check_finite(P, name)
    if (P < -atol).any():
        i, j = (int(k) for k in onp.argwhere(P < -atol)[0])
        raise AssertionError(f"probabilities must be non-negative; "
                             f"row {i}, column {j} is {_num(P[i, j])}")
    sums = P.astype(onp.float64).sum(axis=1)
    bad = onp.flatnonzero(onp.abs(sums - 1) > atol)
    if bad.size:
        i = int(bad[0])
        raise AssertionError(f"rows must sum to 1; row {i} sums to {_num(sums[i])}")


def check_close(got, expected, name="output", rtol=1e-5, atol=1e-6):
    """Assert that array `got` equals array `expected` (same shape) within tolerances.

    The message names the first row (or entry) that differs, with both values.
    """
    check_shape(got, _shape(expected), name)
    g = _numpy(got, name).astype(onp.float64)
    e = onp.asarray(expected, dtype=onp.float64)
    ok = onp.isclose(g, e, rtol=rtol, atol=atol)
    if ok.all():
        return
    if e.ndim == 0:
        raise AssertionError(f"{name} is {_num(g)}, expected {_num(e)}")
    i = int(onp.argwhere(~ok)[0][0])
    what = "row" if e.ndim > 1 else "entry"
    show = _vec if e.ndim > 1 else _num
    raise AssertionError(f"{name}: {what} {i} is {show(g[i])}, expected {show(e[i])}")


# ---------------------------------------------------------------- lesson 1: softmax

def logsumexp_reference(x):
    """log(sum(exp(x))) of each row in NumPy float64, computed stably. x: (batch, q) -> (batch,)."""
    x = onp.asarray(x, dtype=onp.float64)
    m = x.max(axis=1)
    return m + onp.log(onp.exp(x - m[:, None]).sum(axis=1))


def _logits(shape, dtype, offset, seed):
    """Random logits (NumPy) of `shape` around `offset`, rounded to `dtype` as the student sees them."""
    rng = onp.random.RandomState(seed)
    return (offset + rng.normal(0, 3, size=shape)).astype(dtype)


def check_softmax(softmax, shape=(256, 10), dtype="float32", offset=0.0, seed=0):
    """Run softmax on random logits around `offset`; assert shape, dtype, no nan, rows summing to 1, values.

    softmax: maps X (batch, q) to (batch, q). shape: (batch, q) of the test logits.
    """
    x = _logits(shape, dtype, offset, seed)
    X = _mx_array(x)
    context = f"for logits around {offset:g}"
    P = softmax(X)
    check_shape(P, shape, "softmax(X)")
    check_dtype(P, dtype, "softmax(X)", "keep the dtype of X")
    P = _numpy(P, "softmax(X)")
    check_finite(P, "output", context)
    check_probabilities(P, "softmax(X)")
    tol = 1e-5 if dtype in ("float32", "float16") else 1e-10
    check_close(P, scaled_softmax(x), f"softmax(X) {context}", rtol=tol, atol=tol)


def check_keeps_input(fn, name="softmax"):
    """Assert that fn(X) leaves its argument unchanged. fn: maps X (2, 3) to anything."""
    x = onp.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]], dtype="float32")
    X = _mx_array(x)
    fn(X)
    if not onp.array_equal(X.asnumpy(), x):
        raise AssertionError(f"{name} changed its input X in place (X -= ... rewrites the "
                             "caller's array); compute a new array instead, e.g. X - m")


def check_logsumexp(logsumexp, shape=(256, 10), dtype="float32", offset=0.0, seed=1):
    """Run logsumexp on random logits around `offset`; assert shape (batch,), dtype, no inf/nan, values.

    logsumexp: maps X (batch, q) to (batch,), log(sum(exp(X))) of each row.
    """
    x = _logits(shape, dtype, offset, seed)
    out = logsumexp(_mx_array(x))
    check_shape(out, shape[:1], "logsumexp(X)")
    check_dtype(out, dtype, "logsumexp(X)", "keep the dtype of X")
    check_finite(out, "output", f"for logits around {offset:g}")
    tol = 1e-5 if dtype in ("float32", "float16") else 1e-10
    check_close(out, logsumexp_reference(x), f"logsumexp(X) for logits around {offset:g}",
                rtol=tol, atol=10 * tol)


# ---------------------------------------------------------------- lesson 2: the data

def check_labels(get_labels, labels=None):
    """Assert that get_labels(labels) gives Fashion-MNIST's text labels, in order.

    labels: (n,) class indices, default all ten as an mxnet.np int32 array.
    """
    if labels is None:
        labels = _mx_array(onp.arange(10, dtype="int32"))
    want = [TEXT_LABELS[int(i)] for i in _numpy(labels, "labels").ravel()]
    got = get_labels(labels)
    if not isinstance(got, list):
        raise AssertionError(f"get_fashion_mnist_labels should return a list, "
                             f"got {type(got).__name__}")
    if len(got) != len(want):
        raise AssertionError(f"get_fashion_mnist_labels should return {len(want)} names for "
                             f"{len(want)} labels, got {len(got)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            raise AssertionError(f"label {int(_numpy(labels).ravel()[i])} should be {w!r}, "
                                 f"got {g!r}")


def check_to_tensor(to_tensor, n=4, dtype="uint8", seed=0):
    """Assert that to_tensor turns images (n, 28, 28, 1) into floats (n, 1, 28, 28) in [0, 1].

    The images are an mxnet.np array of `dtype` with values 0..255.
    """
    rng = onp.random.RandomState(seed)
    images = rng.randint(0, 256, size=(n, 28, 28, 1)).astype(dtype)
    out = to_tensor(_mx_array(images))
    expected = (images.astype(onp.float32) / 255).transpose(0, 3, 1, 2)
    if _shape(out) == (n, 28, 28, 1):
        raise AssertionError(f"to_tensor(images): expected shape {expected.shape}, got "
                             f"{_shape(out)}: the channel axis must come first, after the "
                             "batch axis")
    check_shape(out, expected.shape, "to_tensor(images)")
    check_dtype(out, "float32", "to_tensor(images)")
    got = _numpy(out)
    if got.max() > 1 + 1e-6 or got.min() < 0:
        raise AssertionError(f"to_tensor(images): values must lie in [0, 1]; they range from "
                             f"{_num(got.min())} to {_num(got.max())} (divide by 255)")
    check_close(got, expected, "to_tensor(images)", atol=1e-6)


def check_batch(X, y, batch_size, size=28):
    """Assert that a minibatch is X (batch_size, 1, size, size) float32 in [0, 1], y (batch_size,) int32."""
    check_shape(X, (batch_size, 1, size, size), "X")
    check_dtype(X, "float32", "X")
    check_shape(y, (batch_size,), "y")
    check_dtype(y, "int32", "y")
    x = _numpy(X, "X")
    if x.min() < 0 or x.max() > 1:
        raise AssertionError(f"X: pixel values must lie in [0, 1], they range from "
                             f"{_num(x.min())} to {_num(x.max())} (ToTensor scales them)")
    labels = _numpy(y, "y")
    if labels.min() < 0 or labels.max() > 9:
        raise AssertionError(f"y: labels must be classes 0..9, got values from "
                             f"{labels.min()} to {labels.max()}")


def check_iterators(train_iter, test_iter, batch_size):
    """Assert the batch counts of Fashion-MNIST's iterators, that train is shuffled and test is not."""
    from helpers.data import load_arrays
    a = load_arrays()
    for name, it, n in (("train_iter", train_iter, 60000), ("test_iter", test_iter, 10000)):
        want = math.ceil(n / batch_size)
        if len(it) != want:
            raise AssertionError(f"{name} should have {want} batches of up to {batch_size} "
                                 f"({n} examples, the last batch smaller), got {len(it)}")
    _, y = next(iter(test_iter))
    got, want = _numpy(y, "y")[:5], a["test_labels"][:5]
    if not onp.array_equal(got, want):
        raise AssertionError(f"test_iter must not be shuffled: its first labels should be "
                             f"{want.tolist()}, got {got.tolist()}")
    _, y = next(iter(train_iter))
    if onp.array_equal(_numpy(y, "y"), a["train_labels"][:len(y)]):
        raise AssertionError(f"train_iter should be shuffled: its first batch holds the first "
                             f"{len(y)} training examples in order (shuffle=True)")


# ---------------------------------------------------------------- lesson 3: from scratch

def check_cross_entropy(cross_entropy, batch=None, dtype="float32", seed=0):
    """Assert cross_entropy(y_hat, y) = -log y_hat[i, y[i]] per example.

    y_hat: (batch, q) probabilities; y: (batch,) int32 labels; the result is (batch,).
    Default: d2l's example y_hat = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], y = [0, 2].
    """
    if batch is None:
        p = onp.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], dtype=dtype)
        labels = onp.array([0, 2], dtype="int32")
    else:
        rng = onp.random.RandomState(seed)
        p = scaled_softmax(rng.normal(0, 2, size=(batch, 10))).astype(dtype)
        labels = rng.randint(0, 10, size=batch).astype("int32")
    out = cross_entropy(_mx_array(p), _mx_array(labels))
    n = len(labels)
    check_shape(out, (n,), "cross_entropy(y_hat, y)", "one loss per example")
    want = -onp.log(p.astype(onp.float64)[onp.arange(n), labels])
    got = _numpy(out)
    if onp.allclose(got, -want, rtol=1e-4):
        raise AssertionError("cross_entropy(y_hat, y) has the wrong sign: it is -log of the "
                             "probability of the true class, a positive number")
    check_close(got, want, "cross_entropy(y_hat, y)", rtol=1e-4, atol=1e-5)


def check_accuracy(accuracy, predicted_classes=False):
    """Assert that accuracy(y_hat, y) counts the correct predictions (a float, not a fraction).

    y_hat: (4, 3) scores, or (4,) predicted classes with `predicted_classes`; y: (4,) int32.
    """
    scores = onp.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5], [0.8, 0.1, 0.1], [0.2, 0.7, 0.1]],
                       dtype="float32")
    labels = onp.array([2, 0, 0, 2], dtype="int32")  # 2 of 4 right
    y_hat = scores.argmax(axis=1).astype("float32") if predicted_classes else scores
    got = accuracy(_mx_array(y_hat), _mx_array(labels))
    if hasattr(got, "shape") and _shape(got) not in ((), (1,)):
        raise AssertionError(f"accuracy(y_hat, y) should be one number, got an array of shape "
                             f"{_shape(got)}")
    got = float(_numpy(got).ravel()[0]) if hasattr(got, "shape") else float(got)
    form = "predicted classes (4,)" if predicted_classes else "scores (4, 3)"
    if math.isclose(got, 0.5):
        raise AssertionError("accuracy(y_hat, y) should count the correct predictions: expected "
                             "2.0, got 0.5 (a fraction: don't divide by len(y), the caller does)")
    if not math.isclose(got, 2.0):
        raise AssertionError(f"accuracy(y_hat, y) for y_hat as {form} should be 2.0 (2 of 4 "
                             f"right), got {_num(got)}")


def check_sgd(sgd, lr=0.1, batch_size=4):
    """Assert that sgd(params, lr, batch_size) does param[:] = param - lr * grad / batch_size in place.

    params: [W (3, 2), b (2,)] with known gradients.
    """
    from mxnet import autograd, np
    W, b = np.ones((3, 2)), np.zeros(2)
    gW, gb = onp.arange(6, dtype="float32").reshape(3, 2), onp.array([1.0, -2.0], "float32")
    W.attach_grad()
    b.attach_grad()
    with autograd.record():
        l = (W * np.array(gW)).sum() + (b * np.array(gb)).sum()
    l.backward()
    W0, b0 = W.asnumpy(), b.asnumpy()
    out = sgd([W, b], lr, batch_size)
    if out is not None and onp.array_equal(W.asnumpy(), W0):
        raise AssertionError("sgd must update the parameters in place (param[:] = ...); it "
                             "returned something and left W unchanged")
    if onp.array_equal(W.asnumpy(), W0) and onp.array_equal(b.asnumpy(), b0):
        raise AssertionError("sgd left the parameters unchanged: update them in place with "
                             "param[:] = param - lr * param.grad / batch_size")
    for name, p, p0, g in (("W", W, W0, gW), ("b", b, b0, gb)):
        want = p0 - lr * g / batch_size
        got = p.asnumpy()
        if onp.allclose(got, p0 - lr * g, atol=1e-6) and not onp.allclose(got, want):
            raise AssertionError(f"sgd: {name} moved by lr * grad; divide the gradient by "
                                 "batch_size (the loss is summed over the batch)")
        check_close(got, want, f"{name} after sgd(params, lr={lr}, batch_size={batch_size})",
                    atol=1e-6)


def _toy_data(n, batch_size, seed=0):
    """A small separable 3-class problem as a list of (X (batch, 4), y (batch,)) batches."""
    from mxnet import np
    rng = onp.random.RandomState(seed)
    x = rng.normal(0, 1, size=(n, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0.5).astype("int32")
    return [(np.array(x[i:i + batch_size]), np.array(y[i:i + batch_size], dtype="int32"))
            for i in range(0, n, batch_size)]


def check_train_epoch(train_epoch, use_trainer=False, n=70, batch_size=32):
    """Assert that train_epoch(net, train_iter, loss, updater) trains one epoch and returns (mean loss, accuracy).

    Runs it on a toy problem (n examples of 4 features, 3 classes; the last batch smaller)
    with a linear softmax model, beside the kit's helpers.train.train_epoch as reference.
    updater: a function of the batch size, or a gluon.Trainer with `use_trainer`.
    """
    from mxnet import gluon, np
    from helpers import train as ref
    data = _toy_data(n, batch_size)

    def model():
        W = np.array(onp.random.RandomState(1).normal(0, 0.01, size=(4, 3)).astype("float32"))
        b = np.zeros(3)
        W.attach_grad()
        b.attach_grad()
        return W, b

    def setup():
        if use_trainer:
            net = gluon.nn.Dense(3, in_units=4)
            net.initialize()
            net.weight.set_data(np.array(onp.random.RandomState(1).normal(0, 0.01, (3, 4))
                                         .astype("float32")))
            trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
            loss = gluon.loss.SoftmaxCrossEntropyLoss()
            return net, loss, trainer, lambda: net.weight.data().asnumpy()
        W, b = model()
        def net(X):
            return ref.softmax(np.dot(X, W) + b)
        def updater(batch_size):
            ref.sgd([W, b], 0.5, batch_size)
        return net, ref.cross_entropy, updater, lambda: W.asnumpy()

    net, loss, updater, weights = setup()
    w0 = weights()
    result = train_epoch(net, data, loss, updater)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError(f"train_epoch should return a tuple (mean loss, accuracy), got "
                             f"{result!r}")
    train_loss, train_acc = (float(v) for v in result)
    if onp.array_equal(weights(), w0):
        raise AssertionError("train_epoch left the parameters unchanged: call "
                             "updater(X.shape[0]) after l.backward()")
    w_got = weights()
    net, loss, updater, weights = setup()
    want_loss, want_acc = ref.train_epoch(net, data, loss, updater)
    if not 0 <= train_acc <= 1:
        raise AssertionError(f"train_epoch: the accuracy should be a fraction in [0, 1], got "
                             f"{_num(train_acc)} (divide the correct count by the number of "
                             "examples)")
    if not math.isclose(train_loss, want_loss, rel_tol=1e-3):
        raise AssertionError(f"train_epoch: the mean loss over the epoch should be "
                             f"{_num(want_loss)}, got {_num(train_loss)} (sum the loss over "
                             f"every example, then divide by the number of examples, {n})")
    if not math.isclose(train_acc, want_acc, abs_tol=1e-6):
        raise AssertionError(f"train_epoch: the accuracy over the epoch should be "
                             f"{_num(want_acc)}, got {_num(train_acc)}")
    check_close(w_got, weights(), "the weights after one epoch (is the update done once per "
                "batch, with the batch's own size X.shape[0]?)", rtol=1e-4, atol=1e-6)


def check_accuracy_bar(test_acc, bar, num_epochs):
    """Assert that a training run reached test accuracy `test_acc` > `bar` after `num_epochs`."""
    if test_acc is None:
        raise AssertionError("test_acc is None: assign the test accuracy to test_acc")
    test_acc = float(test_acc)
    if not 0 <= test_acc <= 1:
        raise AssertionError(f"test_acc should be a fraction in [0, 1], got {_num(test_acc)}")
    if test_acc <= bar:
        raise AssertionError(f"test accuracy {test_acc:.3f} after {num_epochs} epochs is not "
                             f"above the bar {bar}: check the learning rate and train_epoch")


# ---------------------------------------------------------------- lesson 4: concise

def check_concise_net(net, num_inputs=784, num_outputs=10, sigma=0.01):
    """Assert that net is one Dense layer 784 -> 10, initialized with N(0, sigma^2) weights.

    Calls net(X) on X (2, 1, 28, 28) zeros, which also completes deferred initialization.
    """
    from mxnet import np
    from mxnet.gluon.parameter import DeferredInitializationError
    X = np.zeros((2, 1, 28, 28))
    try:
        out = net(X)
    except (RuntimeError, DeferredInitializationError) as e:
        if "initialize" in str(e) or "not been initialized" in str(e):
            raise AssertionError("net is not initialized: call net.initialize(...) "
                                 "before using it") from None
        raise
    check_shape(out, (2, num_outputs), "net(X) for X of shape (2, 1, 28, 28)")
    params = {name: p.data().asnumpy() for name, p in net.collect_params().items()}
    weights = [v for k, v in params.items() if k.endswith("weight")]
    if len(weights) != 1:
        raise AssertionError(f"net should have exactly one layer with weights (a Dense layer), "
                             f"found {len(weights)}")
    check_shape(weights[0], (num_outputs, num_inputs), "the Dense layer's weight")
    std = float(weights[0].std())
    if not 0.5 * sigma <= std <= 2 * sigma:
        raise AssertionError(f"the weights should be drawn from a normal distribution with "
                             f"sigma={sigma}: their standard deviation is {_num(std)} "
                             f"(init.Normal(sigma={sigma}); training changes the weights, so "
                             "re-run the cell that builds net before this one)")


def check_loss(loss, offset=0.0, batch=8, seed=0):
    """Assert loss(logits, y) is the softmax cross-entropy of logits: (batch, 10), (batch,) -> (batch,)."""
    x = _logits((batch, 10), "float32", offset, seed)
    labels = onp.random.RandomState(seed + 1).randint(0, 10, size=batch).astype("int32")
    out = loss(_mx_array(x), _mx_array(labels))
    check_shape(out, (batch,), "loss(logits, y)", "one loss per example")
    check_finite(out, "output", f"for logits around {offset:g}")
    want = logsumexp_reference(x) - x.astype(onp.float64)[onp.arange(batch), labels]
    check_close(out, want, f"loss(logits, y) for logits around {offset:g} (it takes logits, "
                "not probabilities)", rtol=1e-4, atol=1e-4)


def check_trainer(trainer, net, lr=0.1):
    """Assert that trainer is a gluon.Trainer running plain SGD with learning rate `lr` over net's parameters."""
    from mxnet import gluon
    if not isinstance(trainer, gluon.Trainer):
        raise AssertionError(f"trainer should be a gluon.Trainer, got {type(trainer).__name__}")
    name = type(trainer._optimizer).__name__
    if name != "SGD":
        raise AssertionError(f"trainer should use the 'sgd' optimizer, got {name!r}")
    if not math.isclose(trainer.learning_rate, lr):
        raise AssertionError(f"trainer's learning rate should be {lr}, got "
                             f"{trainer.learning_rate}")
    want = {id(p) for p in net.collect_params().values()}
    got = {id(p) for p in trainer._params}
    if got != want:
        raise AssertionError("trainer should update exactly the parameters of net: "
                             "pass net.collect_params()")


# ---------------------------------------------------------------- lesson 5: devices

def check_try_gpu(try_gpu, try_all_gpus):
    """Assert that try_gpu(i) gives gpu(i) if it exists, else cpu(), and try_all_gpus() every GPU or [cpu()]."""
    import mxnet as mx
    from mxnet import npx
    n = npx.num_gpus()
    for i in (0, 1, n, 100):
        want = mx.gpu(i) if i < n else mx.cpu()
        got = try_gpu(i)
        if got != want:
            there = f"{n} GPU{'s' if n != 1 else ''}"
            raise AssertionError(f"try_gpu({i}) on a machine with {there} should be {want}, "
                                 f"got {got}")
    want = [mx.gpu(i) for i in range(n)] or [mx.cpu()]
    got = try_all_gpus()
    if not isinstance(got, list) or got != want:
        raise AssertionError(f"try_all_gpus() on a machine with {n} GPUs should be the list "
                             f"{want}, got {got!r}")


def check_split_batch(split_batch, devices=None, batch_size=256):
    """Assert split_batch(X, y, devices) puts one shard of X (batch, 1, 28, 28) and y (batch,) on each device.

    Shards keep the order, cover the batch and differ in size by at most one.
    devices: default [cpu(0), cpu(1)], CPU contexts standing in for GPUs.
    """
    import mxnet as mx
    devices = devices or [mx.cpu(0), mx.cpu(1)]
    x = onp.arange(batch_size * 784, dtype="float32").reshape(batch_size, 1, 28, 28)
    labels = (onp.arange(batch_size) % 10).astype("int32")
    result = split_batch(_mx_array(x), _mx_array(labels), devices)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError(f"split_batch should return (X_shards, y_shards), got "
                             f"{type(result).__name__}")
    for name, shards, full in (("X", result[0], x), ("y", result[1], labels)):
        if len(shards) != len(devices):
            raise AssertionError(f"split_batch: expected {len(devices)} {name} shards, one per "
                                 f"device, got {len(shards)}")
        sizes = [_shape(s)[0] for s in shards]
        if sum(sizes) != batch_size or max(sizes) - min(sizes) > 1:
            raise AssertionError(f"split_batch: {name} shards of sizes {sizes} for a batch of "
                                 f"{batch_size} on {len(devices)} devices; they should cover "
                                 "the batch, sizes differing by at most one")
        for k, (s, d) in enumerate(zip(shards, devices)):
            if s.ctx != d:
                raise AssertionError(f"split_batch: {name} shard {k} is on {s.ctx}, expected "
                                     f"{d}")
            check_shape(s, (sizes[k],) + full.shape[1:], f"{name} shard {k}")
        check_close(onp.concatenate([_numpy(s) for s in shards]), full,
                    f"split_batch: the {name} shards put back together", atol=0)


def check_replicas(net, devices):
    """Assert that every parameter of net has one copy per device in `devices`, all copies equal."""
    for name, p in net.collect_params().items():
        ctxs = p.list_ctx()
        if list(ctxs) != list(devices):
            raise AssertionError(f"parameter {name} lives on {ctxs}, expected one copy on each "
                                 f"of {devices} (net.initialize(..., ctx=devices))")
        copies = [d.asnumpy() for d in p.list_data()]
        for k, c in enumerate(copies[1:], 1):
            if not onp.allclose(c, copies[0], atol=1e-6):
                raise AssertionError(f"parameter {name}: the copy on {ctxs[k]} differs from "
                                     f"the one on {ctxs[0]}; one Trainer must update all copies")
