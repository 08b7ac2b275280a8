"""The checks the test cells of course/source/*/ call, one per task, and a few generic ones.

Each check draws its inputs (helpers.checks.inputs), runs the student's code on them,
and hands what came back, as plain data (helpers.checks.convert), to its session Run:
judged at once in a student's notebook, written for the grader when work is graded.
A right answer passes silently; otherwise the student reads an AssertionError that says
what is wrong and where, e.g. "softmax(X): expected shape (256, 10), got (10, 256)".
"""
from helpers.checks import convert, inputs
from helpers.checks.session import start


def _with(params, **optional):
    """`params` and those of `optional` that are set (neither None nor False): a check's
    parameters name only what a test cell chose, so that older calls record as before."""
    return dict(params, **{k: v for k, v in optional.items() if v is not None and v is not False})


# ---------------------------------------------------------------- generic checks

def check_shape(a, expected, name="output", hint=""):
    """Assert that `a` has shape `expected`, e.g. (256, 10); the message shows both shapes.

    hint: a phrase added to the message, e.g. "one loss per example".
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("shape", {"expected": [int(s) for s in expected], "name": name, "hint": hint})
    run.finish({"a": convert.describe(a)})


def check_dtype(a, expected, name="output", hint=""):
    """Assert that array `a` has dtype `expected` (a name such as "float32"); hint as in check_shape."""
    __tracebackhide__ = True  # noqa: F841
    run = start("dtype", {"expected": str(expected), "name": name, "hint": hint})
    run.finish({"a": convert.describe(a)})


def check_finite(a, name="output", context=""):
    """Assert that array `a` holds no nan or inf; the message names the first bad entry.

    context: a phrase appended after `name`, e.g. "for logits around 1000".
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("finite", {"name": name, "context": context})
    run.finish({"a": convert.array(a)})


def check_probabilities(P, name="output", atol=1e-4):
    """Assert that each row of P (batch, q) is a probability distribution: non-negative, summing to 1."""
    __tracebackhide__ = True  # noqa: F841
    run = start("probabilities", {"name": name, "atol": atol})
    run.finish({"P": convert.array(P)})


def check_close(got, expected, name="output", rtol=1e-5, atol=1e-6):
    """Assert that array `got` equals array `expected` (same shape) within tolerances.

    For a student's own use: the grader never grades with it, since `expected` would come
    from the student's kernel.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("close", {"name": name, "rtol": rtol, "atol": atol})
    run.finish({"got": convert.array(got), "expected": convert.array(expected)})


# ---------------------------------------------------------------- lesson 1: softmax

def check_softmax(softmax, shape=(256, 10), dtype="float32", offset=0.0, seed=0, axis=None,
                  mixed=False):
    """Run softmax on random logits around `offset`; assert shape, dtype, no nan, rows summing to 1, values.

    softmax: maps X of `shape` to the same shape, softmax(X) (along the last axis) or, with
    `axis`, softmax(X, axis=axis). mixed: some rows around +offset, others around -offset.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("softmax", _with({"shape": list(shape), "dtype": dtype, "offset": offset,
                                  "seed": seed}, axis=axis, mixed=mixed))
    x = convert.mx_array(inputs.logits(shape, dtype, offset, run.seed, mixed,
                                       -1 if axis is None else axis))
    P = run.call(softmax, x) if axis is None else run.call(softmax, x, axis=axis)
    run.finish({"P": convert.array(P)})


def check_keeps_input(fn, name="softmax"):
    """Assert that fn(X) leaves its argument unchanged. fn: maps X (2, 3) to anything."""
    __tracebackhide__ = True  # noqa: F841
    run = start("keeps_input", {"name": name, "seed": None})
    X = convert.mx_array(inputs.input_matrix(run.seed))
    run.call(fn, X)
    run.finish({"X": convert.array(X)})


def check_logsumexp(logsumexp, shape=(256, 10), dtype="float32", offset=0.0, seed=1, axis=None,
                    mixed=False):
    """Run logsumexp on random logits around `offset`; assert shape, dtype, no inf/nan, values.

    logsumexp: maps X of `shape` to log(sum(exp(X))) along the last axis (with `axis`,
    logsumexp(X, axis=axis), along that one), which is gone from the result's shape.
    mixed: some rows around +offset, others around -offset.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("logsumexp", _with({"shape": list(shape), "dtype": dtype, "offset": offset,
                                    "seed": seed}, axis=axis, mixed=mixed))
    x = convert.mx_array(inputs.logits(shape, dtype, offset, run.seed, mixed,
                                       -1 if axis is None else axis))
    out = run.call(logsumexp, x) if axis is None else run.call(logsumexp, x, axis=axis)
    run.finish({"out": convert.array(out)})


# ---------------------------------------------------------------- lesson 2: the data

def check_labels(get_labels, labels=None):
    """Assert that get_labels(labels) gives Fashion-MNIST's text labels, in order.

    labels: a list of class indices; default all ten, in some order, as an mxnet.np int32 array.
    """
    __tracebackhide__ = True  # noqa: F841
    given = None if labels is None else [int(i) for i in convert.array(labels).ravel()]
    run = start("labels", {"labels": given, "seed": None})
    indices = inputs.label_indices(given, run.seed)
    got = run.call(get_labels, convert.mx_array(indices) if labels is None else labels)
    items = [convert.text(g) for g in got[:10_000]] if isinstance(got, (list, tuple)) else []
    run.finish({"result": {"type": convert.type_name(got), "items": items}})


def check_to_tensor(to_tensor, n=4, dtype="uint8", seed=0, height=28, width=28, channels=1):
    """Assert that to_tensor turns images (n, height, width, channels) into floats
    (n, channels, height, width) in [0, 1], every value where it belongs.

    The images are an mxnet.np array of `dtype` with values 0..255.
    """
    __tracebackhide__ = True  # noqa: F841
    size = {} if (height, width, channels) == (28, 28, 1) else \
        {"height": height, "width": width, "channels": channels}
    run = start("to_tensor", dict({"n": n, "dtype": dtype, "seed": seed}, **size))
    images = inputs.images(n, dtype, run.seed, height, width, channels)
    run.finish({"out": convert.array(run.call(to_tensor, convert.mx_array(images)))})


def check_batch(X, y, batch_size, size=28):
    """Assert that a minibatch is X (batch_size, 1, size, size) float32 in [0, 1], y (batch_size,) int32."""
    __tracebackhide__ = True  # noqa: F841
    run = start("batch", {"batch_size": batch_size, "size": size})
    run.finish({"X": convert.array(X), "y": convert.array(y)})


def check_iterators(train_iter, test_iter, batch_size):
    """Assert the batch counts of Fashion-MNIST's iterators, that train is shuffled and test is not."""
    __tracebackhide__ = True  # noqa: F841
    run = start("iterators", {"batch_size": batch_size})
    record = {"len_train_iter": len(train_iter), "len_test_iter": len(test_iter)}
    _, y = next(iter(test_iter))
    record["test_first"] = convert.array(y)
    _, y = next(iter(train_iter))
    record["train_first"] = convert.array(y)
    run.finish(record)


# ---------------------------------------------------------------- lesson 3: from scratch

def check_cross_entropy(cross_entropy, batch=None, dtype="float32", seed=0):
    """Assert cross_entropy(y_hat, y) = -log y_hat[i, y[i]] per example.

    y_hat: (batch, q) probabilities; y: (batch,) int32 labels; the result is (batch,).
    Default: a batch of 2 examples with 3 classes.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("cross_entropy", {"batch": batch, "dtype": dtype, "seed": seed})
    y_hat, y = inputs.probabilities_and_labels(batch, dtype, run.seed)
    out = run.call(cross_entropy, convert.mx_array(y_hat), convert.mx_array(y))
    run.finish({"out": convert.array(out)})


def check_accuracy(accuracy, predicted_classes=False, seed=0):
    """Assert that accuracy(y_hat, y) counts the correct predictions (a float, not a fraction).

    y_hat: (8, 3) scores, or (8,) predicted classes with `predicted_classes`; y: (8,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("accuracy", {"predicted_classes": bool(predicted_classes), "seed": seed})
    scores, y = inputs.scores_and_labels(run.seed)
    y_hat = scores.argmax(axis=1).astype("float32") if predicted_classes else scores
    got = run.call(accuracy, convert.mx_array(y_hat), convert.mx_array(y))
    run.finish({"count": convert.number(got)})


def check_sgd(sgd, lr=0.1, batch_size=4, seed=0):
    """Assert that sgd(params, lr, batch_size) does param[:] = param - lr * grad / batch_size in place.

    params: [W (3, 2), b (2,)] with known gradients.
    """
    __tracebackhide__ = True  # noqa: F841
    from mxnet import autograd
    run = start("sgd", {"lr": lr, "batch_size": batch_size, "seed": seed})
    W0, b0, gW, gb = inputs.sgd_parameters(run.seed)
    W, b = convert.mx_array(W0), convert.mx_array(b0)
    W.attach_grad()
    b.attach_grad()
    with autograd.record():
        l = (W * convert.mx_array(gW)).sum() + (b * convert.mx_array(gb)).sum()
    l.backward()
    out = run.call(sgd, [W, b], lr, batch_size)
    run.finish({"returned_none": out is None, "W": convert.array(W), "b": convert.array(b)})


def _toy_model(W0, use_trainer):
    """(net, loss, updater, weights) of softmax regression on 4 features, 3 classes, lr 0.5.

    weights() returns the weight matrix (4, 3) as NumPy. Built from the kit's own pieces
    (helpers.train), or from Gluon with `use_trainer`.
    """
    from mxnet import gluon, np
    from helpers import train
    if use_trainer:
        net = gluon.nn.Dense(3, in_units=4)
        net.initialize()
        net.weight.set_data(convert.mx_array(W0.T.copy()))
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
        loss = gluon.loss.SoftmaxCrossEntropyLoss()
        return net, loss, trainer, lambda: net.weight.data().asnumpy().T
    W, b = convert.mx_array(W0), np.zeros(3, dtype="float32")
    W.attach_grad()
    b.attach_grad()

    def net(X):
        return train.softmax(np.dot(X, W) + b)

    def updater(batch_size):
        train.sgd([W, b], 0.5, batch_size)
    return net, train.cross_entropy, updater, lambda: W.asnumpy()


def check_train_epoch(train_epoch, use_trainer=False, n=70, batch_size=32, seed=0):
    """Assert that train_epoch(net, train_iter, loss, updater) trains one epoch and returns (mean loss, accuracy).

    Runs it on a toy problem (n examples of 4 features, 3 classes; the last batch smaller)
    with a linear softmax model, whose updater is a function of the batch size, or a
    gluon.Trainer with `use_trainer`.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("train_epoch", {"use_trainer": bool(use_trainer), "n": n,
                                "batch_size": batch_size, "seed": seed})
    batches, W0 = inputs.toy_problem(n, batch_size, run.seed)
    data = [(convert.mx_array(X), convert.mx_array(y)) for X, y in batches]
    net, loss, updater, weights = _toy_model(W0, use_trainer)
    result = run.call(train_epoch, net, data, loss, updater)
    if isinstance(result, tuple) and len(result) == 2:
        summary = {"values": [convert.number(v) for v in result]}
    else:
        summary = {"values": None, "repr": convert.text(result)[1]}
    run.finish({"result": summary, "W": convert.array(weights())})


def _linear_weights(model):
    """W (784, 10) and b (10,) as NumPy of a linear model: (W, b) arrays or a Gluon block."""
    if isinstance(model, (tuple, list)) and len(model) == 2:
        return convert.array(model[0]), convert.array(model[1])
    try:
        params = dict(model.collect_params().items())
    except Exception:  # noqa: BLE001 (not a Gluon block)
        return None, None
    weights = [p for name, p in params.items() if name.endswith("weight")]
    biases = [p for name, p in params.items() if name.endswith("bias")]
    if len(weights) != 1 or len(biases) != 1:
        return None, None
    W = convert.array(weights[0].list_data()[0])
    return (W.T if hasattr(W, "T") else W), convert.array(biases[0].list_data()[0])


def check_accuracy_bar(test_acc, bar, num_epochs, model=None):
    """Assert that a training run reached test accuracy `test_acc` > `bar` after `num_epochs`.

    model: the trained linear model, (W, b) with W (784, 10), or a Gluon net with one Dense
    layer; given, the accuracy is measured on the test set too, and must match test_acc.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("accuracy_bar", {"bar": bar, "num_epochs": num_epochs,
                                 "model": model is not None})
    record = {"test_acc": convert.number(test_acc)}
    if model is not None:
        record["W"], record["b"] = _linear_weights(model)
        record["model_kind"] = convert.type_name(model)
        record["expected_model"] = "(W, b) or a net with one Dense layer"
    run.finish(record)


# ---------------------------------------------------------------- lesson 4: concise

def check_concise_net(net, num_inputs=784, num_outputs=10, sigma=0.01):
    """Assert that net is one Dense layer 784 -> 10, initialized with N(0, sigma^2) weights.

    Calls net(X) on X (2, 1, 28, 28) zeros, which also completes deferred initialization.
    """
    __tracebackhide__ = True  # noqa: F841
    from mxnet import np
    from mxnet.gluon.parameter import DeferredInitializationError
    run = start("concise_net", {"num_inputs": num_inputs, "num_outputs": num_outputs,
                                "sigma": sigma})
    try:
        out = run.call(net, np.zeros((2, 1, 28, 28)))
    except (RuntimeError, DeferredInitializationError) as e:
        if "initialize" in str(e) or "not been initialized" in str(e):
            run.finish({"uninitialized": True})
            return
        raise
    params = {name: convert.array(p.data()) for name, p in net.collect_params().items()}
    run.finish({"uninitialized": False, "out": convert.describe(out), "params": params})


def check_loss(loss, offset=0.0, batch=8, seed=0):
    """Assert loss(logits, y) is the softmax cross-entropy of logits: (batch, 10), (batch,) -> (batch,)."""
    __tracebackhide__ = True  # noqa: F841
    run = start("loss", {"offset": offset, "batch": batch, "seed": seed})
    x, y = inputs.logits_and_labels(batch, offset, run.seed)
    run.finish({"out": convert.array(run.call(loss, convert.mx_array(x), convert.mx_array(y)))})


def check_trainer(trainer, net, lr=0.1):
    """Assert that trainer is a gluon.Trainer running plain SGD with learning rate `lr` over net's parameters."""
    __tracebackhide__ = True  # noqa: F841
    from mxnet import gluon
    run = start("trainer", {"lr": lr})
    record = {"is_trainer": isinstance(trainer, gluon.Trainer),
              "type": convert.type_name(trainer), "optimizer": None, "lr": None,
              "same_params": False}
    if record["is_trainer"]:
        record["optimizer"] = convert.type_name(trainer.optimizer)
        record["lr"] = convert.number(trainer.learning_rate)
        # MXNet 1.9.1's Trainer has no public accessor for the parameters it updates.
        record["same_params"] = ({id(p) for p in net.collect_params().values()}
                                 == {id(p) for p in trainer._params})
    run.finish(record)


# ---------------------------------------------------------------- lesson 5: devices

# What a function may ask to count the GPUs: MXNet's counters, each by its module and name.
GPU_COUNTERS = (("mxnet.context", "num_gpus"), ("mxnet.numpy_extension", "num_gpus"),
                ("mxnet.util", "get_gpu_count"), ("mxnet.test_utils", "list_gpus"))
FAKE_MACHINES = (0, 1, 3)   # GPUs on the machines try_gpu and try_all_gpus are run on
ASKED = (0, 1, 2, 3)         # the i of each try_gpu(i)


class FakeGPUs:
    """`with FakeGPUs(3, fn, ...)`: while inside, MXNet's GPU counters (GPU_COUNTERS) say 3,
    also where a function of `fns` holds one of them under a name of its own (a global).

    Creating mx.gpu(i) needs no GPU, so try_gpu and try_all_gpus can be run on a machine of
    any size, a machine without GPUs included: a function that never asks gets it wrong.
    """

    def __init__(self, count, *fns):
        self.count, self.fns, self.saved = count, fns, []

    def __enter__(self):
        import sys
        fakes = {}
        for module_name, name in GPU_COUNTERS:
            space = vars(sys.modules[module_name]) if module_name in sys.modules else {}
            if name in space:
                count = self.count
                fake = (lambda: list(range(count))) if name == "list_gpus" else (lambda: count)
                fakes[id(space[name])] = fake
                self.saved.append((space, name, space[name]))
                space[name] = fake
        for fn in self.fns:
            space = getattr(fn, "__globals__", None)
            if isinstance(space, dict):
                for name, value in list(space.items()):
                    if id(value) in fakes:
                        self.saved.append((space, name, value))
                        space[name] = fakes[id(value)]
        return self

    def __exit__(self, *exc):
        for space, name, value in reversed(self.saved):
            space[name] = value
        self.saved = []
        return False


def check_try_gpu(try_gpu, try_all_gpus):
    """Assert that try_gpu(i) gives gpu(i) if the machine has it, else cpu(), and try_all_gpus()
    every GPU, or [cpu()] if there is none: on machines with 0, 1 and 3 GPUs, made by
    answering MXNet's GPU count (npx.num_gpus()) for the time of the call."""
    __tracebackhide__ = True  # noqa: F841
    run = start("try_gpu", {})
    machines = []
    for count in FAKE_MACHINES:
        with FakeGPUs(count, try_gpu, try_all_gpus):
            got = run.call(try_all_gpus)
            asked = [[i, convert.device(run.call(try_gpu, i))] for i in ASKED]
            default = convert.device(run.call(try_gpu))
        listed = [convert.device(d) for d in got] if isinstance(got, (list, tuple)) else []
        machines.append({"gpus": count, "try_gpu": asked, "default": default,
                         "all": {"type": convert.type_name(got), "items": listed,
                                 "repr": convert.text(got)[1]}})
    run.finish({"machines": machines})


def check_split_batch(split_batch, devices=None, batch_size=256, seed=0):
    """Assert split_batch(X, y, devices) puts one shard of X (batch, 1, 28, 28) and y (batch,) on each device.

    Shards keep the order, cover the batch and differ in size by at most one.
    devices: default [cpu(0), cpu(1)], CPU contexts standing in for GPUs.
    """
    __tracebackhide__ = True  # noqa: F841
    import mxnet as mx
    devices = devices or [mx.cpu(0), mx.cpu(1)]
    run = start("split_batch", {"devices": [convert.device(d) for d in devices],
                                "batch_size": batch_size, "seed": seed})
    x, y = inputs.small_batch(batch_size, run.seed)
    result = run.call(split_batch, convert.mx_array(x), convert.mx_array(y), devices)
    record = {"type": convert.type_name(result), "len": None, "X": [], "y": []}
    if isinstance(result, tuple):
        record["len"] = len(result)
    if isinstance(result, tuple) and len(result) == 2:
        for name, shards in zip(("X", "y"), result):
            record[name] = [{"ctx": convert.device(getattr(s, "ctx", None)),
                             "data": convert.array(s)} for s in shards]
    run.finish(record)


def check_replicas(net, devices):
    """Assert that every parameter of net has one copy per device in `devices`, all copies equal."""
    __tracebackhide__ = True  # noqa: F841
    run = start("replicas", {"devices": [convert.device(d) for d in devices]})
    params = {name: {"ctx": [convert.device(c) for c in p.list_ctx()],
                     "copies": [convert.array(d) for d in p.list_data()]}
              for name, p in net.collect_params().items()}
    run.finish({"params": params})


# ---------------------------------------------------------------- lesson 6: the gradient

def check_softmax_ce_gradient(gradient, shape=(256, 10), dtype="float32", offset=0.0, seed=0,
                              mixed=False, smoothing=0.0):
    """Assert gradient(O, Y) is the gradient of the summed cross-entropy with respect to the
    logits O: softmax(O) - Y, one row per example, finite for logits of any size.

    O: (batch, q) logits around `offset` (mixed: some rows around +offset, others around
    -offset); Y: (batch, q) labels as distributions of O's dtype, one-hot rows or, with
    `smoothing`, label-smoothed ones.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("softmax_ce_gradient", _with({"shape": list(shape), "dtype": dtype,
                                              "offset": offset, "seed": seed},
                                             mixed=mixed, smoothing=smoothing or None))
    x, y = inputs.logits_and_integer_labels(shape, dtype, offset, run.seed, mixed)
    Y = inputs.label_distributions(y, shape[1], smoothing, dtype)
    run.finish({"G": convert.array(run.call(gradient, convert.mx_array(x), convert.mx_array(Y)))})


def check_numerical_gradients(numerical_gradients, shapes=((3, 4), (4,)), eps=1e-6, seed=0):
    """Assert numerical_gradients(f, params, eps) gives, for each array of the list `params`,
    the gradient of f(*params) with respect to it by central differences.

    f: a smooth function of float64 NumPy arrays of `shapes`, returning a float; every array
    of params must come back unchanged.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("numerical_gradients", {"shapes": [list(s) for s in shapes], "eps": eps,
                                        "seed": seed})
    f, parts, _ = inputs.smooth_problem(shapes, run.seed)
    params = [x.copy() for _, _, x in parts]
    out = run.call(numerical_gradients, f, params, eps)
    grads = [convert.array(g) for g in out[:100]] if isinstance(out, (list, tuple)) else None
    run.finish({"type": convert.type_name(out), "grads": grads,
                "params": [convert.array(p) for p in params]})


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
    run = start("regularized_loss", _with({"n": n, "d": d, "q": q, "reg": reg, "seed": seed,
                                           "name": name}, scale=None if scale == 1 else scale))
    X, y, W, b = inputs.regression_problem(n, d, q, run.seed)
    X = X * scale
    args = [convert.mx_array(a) for a in (X, y, W, b)]
    record = _loss_result(run.call(softmax_loss, *args, reg))
    eps, probes = 1e-6, []
    for i, j in inputs.probe_entries((d, q), PROBES, run.seed):
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
    X, y, W, b = inputs.regression_problem(n, d, q, run.seed)
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


# ---------------------------------------------------------------- lesson 7: calibration

def check_ece(expected_calibration_error, n=1000, num_bins=15, edge=False, seed=0):
    """Assert expected_calibration_error(probabilities, y, num_bins) is the ECE of the
    top-label confidence over `num_bins` equal-width bins of [0, 1] (a confidence of
    exactly 1 in the last bin).

    probabilities: (n, 10) float64 NumPy array, rows summing to 1, top-label confidences in
    [0.2, 1]; y: (n,) int32 labels; with `edge`, some confidences are exactly 1.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("ece", {"n": n, "num_bins": num_bins, "edge": bool(edge), "seed": seed})
    probabilities, y = inputs.predictions(n, run.seed, edge)
    got = run.call(expected_calibration_error, probabilities.copy(), y.copy(), num_bins)
    run.finish({"ece": convert.number(got)})


def check_temperature_nll(nll, n=500, offset=0.0, seed=0, mixed=False):
    """Assert nll(logits, y, T) is the mean negative log-likelihood of softmax(logits / T),
    for T = 1, 0.5 and 2; finite for logits of any size.

    logits: (n, 10) float64 NumPy array around `offset` (mixed: some rows around +offset,
    others around -offset); y: (n,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("temperature_nll", _with({"n": n, "offset": offset, "seed": seed},
                                         mixed=mixed))
    logits, y = inputs.scaled_logits(n, 10, 2.0, offset, run.seed, mixed)
    run.finish({"values": [convert.number(run.call(nll, logits.copy(), y.copy(), T))
                           for T in (1.0, 0.5, 2.0)]})


def check_fit_temperature(fit_temperature, n=2000, scale=3.0, seed=0):
    """Assert fit_temperature(logits, y) returns the T > 0 that (nearly) minimizes the mean
    NLL of softmax(logits / T) on (logits, y).

    logits: (n, 10) float64 NumPy array of a model overconfident by `scale` (below 1:
    underconfident); y: (n,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("fit_temperature", {"n": n, "scale": scale, "seed": seed})
    logits, y = inputs.scaled_logits(n, 10, scale, 0.0, run.seed)
    run.finish({"T": convert.number(run.call(fit_temperature, logits.copy(), y.copy()))})


# ---------------------------------------------------------------- lesson 8: tuning

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
    y = inputs.class_labels(counts, run.seed)
    calls = []
    for split_seed in (7, 7, 8):
        result = run.call(stratified_folds, y.copy(), num_folds, split_seed)
        entry = {"type": convert.type_name(result), "folds": None}
        if isinstance(result, (tuple, list)):
            entry["folds"] = [convert.array(f) for f in result[:1000]]
        calls.append(entry)
    run.finish({"calls": calls})


def check_select_setting(select_setting, with_test=True, seed=0):
    """Assert select_setting(results) returns the entry of `results` with the best
    validation accuracy (the first of equals), whatever the test accuracies say.

    results: a list of dicts {"lr", "wd", "val_acc", "test_acc"} (without "test_acc" when
    with_test is False).
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("select_setting", {"with_test": bool(with_test), "seed": seed})
    results = inputs.tuning_results(run.seed, with_test)
    chosen = run.call(select_setting, [dict(r) for r in results])
    record = {"type": convert.type_name(chosen), "lr": None, "wd": None}
    if isinstance(chosen, dict):
        record["lr"], record["wd"] = (convert.number(chosen.get(k)) for k in ("lr", "wd"))
    run.finish(record)


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


def check_calibration_report(calibrate, n=2000, seed=0):
    """Assert calibrate(val_logits, val_y, test_logits, test_y) returns (T, ece_before,
    ece_after): T fitted on the validation split, and the test set's ECE (15 bins) of the
    top-label confidence before and after dividing the logits by T.

    The logits are (n, 10) float64 NumPy arrays of an overconfident model; labels (n,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("calibration_report", {"n": n, "seed": seed})
    val_logits, val_y = inputs.scaled_logits(n, 10, 2.5, 0.0, run.seed)
    test_logits, test_y = inputs.scaled_logits(n, 10, 2.0, 0.0, run.seed + 1)
    result = run.call(calibrate, val_logits.copy(), val_y.copy(), test_logits.copy(),
                      test_y.copy())
    record = {"type": convert.type_name(result), "values": None}
    if isinstance(result, (tuple, list)) and len(result) == 3:
        record["values"] = [convert.number(v) for v in result]
    run.finish(record)


# ---------------------------------------------------------------- conceptual tasks of a4 and a5

def check_dense_labels(one_hot, dense_loss, batch=8, q=10, seed=0):
    """Assert one_hot(y, q) turns labels (batch,) into one-hot rows (batch, q) and
    dense_loss(logits, one_hot(y, q)) is the softmax cross-entropy of each example (batch,).
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("dense_labels", {"batch": batch, "q": q, "seed": seed})
    x = inputs.logits((batch, q), "float32", 0.0, run.seed)
    y = inputs.rng(run.seed + 1).randint(0, q, size=batch).astype("int32")
    Y = run.call(one_hot, convert.mx_array(y), q)
    record = {"Y": convert.array(Y), "loss": None}
    if record["Y"] is not None and hasattr(Y, "shape"):
        record["loss"] = convert.array(run.call(dense_loss, convert.mx_array(x), Y))
    run.finish(record)


def check_step_argument(step_argument, seed=0):
    """Assert step_argument(shard_sizes) is the number to pass to trainer.step when a batch
    is split into shards of those sizes, one per device."""
    __tracebackhide__ = True  # noqa: F841
    run = start("step_argument", {"seed": seed})
    calls = [run.call(step_argument, list(sizes)) for sizes in inputs.shard_sizes(run.seed)]
    run.finish({"values": [convert.number(v) for v in calls]})
