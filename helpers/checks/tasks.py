"""The checks the test cells of course/source/*/ call, one per task, and a few generic ones.

Each check draws its inputs (helpers.checks.inputs), runs the student's code on them,
and hands what came back, as plain data (helpers.checks.convert), to its session Run:
judged at once in a student's notebook, written for the grader when work is graded.
A right answer passes silently; otherwise the student reads an AssertionError that says
what is wrong and where, e.g. "softmax(X): expected shape (256, 10), got (10, 256)".
"""
from helpers.checks import convert, inputs
from helpers.checks.session import start


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

def check_softmax(softmax, shape=(256, 10), dtype="float32", offset=0.0, seed=0):
    """Run softmax on random logits around `offset`; assert shape, dtype, no nan, rows summing to 1, values.

    softmax: maps X (batch, q) to (batch, q). shape: (batch, q) of the test logits.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("softmax", {"shape": list(shape), "dtype": dtype, "offset": offset,
                            "seed": seed})
    x = inputs.logits(shape, dtype, offset, run.seed)
    run.finish({"P": convert.array(softmax(convert.mx_array(x)))})


def check_keeps_input(fn, name="softmax"):
    """Assert that fn(X) leaves its argument unchanged. fn: maps X (2, 3) to anything."""
    __tracebackhide__ = True  # noqa: F841
    run = start("keeps_input", {"name": name, "seed": None})
    X = convert.mx_array(inputs.input_matrix(run.seed))
    fn(X)
    run.finish({"X": convert.array(X)})


def check_logsumexp(logsumexp, shape=(256, 10), dtype="float32", offset=0.0, seed=1):
    """Run logsumexp on random logits around `offset`; assert shape (batch,), dtype, no inf/nan, values.

    logsumexp: maps X (batch, q) to (batch,), log(sum(exp(X))) of each row.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("logsumexp", {"shape": list(shape), "dtype": dtype, "offset": offset,
                              "seed": seed})
    x = inputs.logits(shape, dtype, offset, run.seed)
    run.finish({"out": convert.array(logsumexp(convert.mx_array(x)))})


# ---------------------------------------------------------------- lesson 2: the data

def check_labels(get_labels, labels=None):
    """Assert that get_labels(labels) gives Fashion-MNIST's text labels, in order.

    labels: a list of class indices; default all ten, in some order, as an mxnet.np int32 array.
    """
    __tracebackhide__ = True  # noqa: F841
    given = None if labels is None else [int(i) for i in convert.array(labels).ravel()]
    run = start("labels", {"labels": given, "seed": None})
    indices = inputs.label_indices(given, run.seed)
    got = get_labels(convert.mx_array(indices) if labels is None else labels)
    items = [convert.text(g) for g in got[:10_000]] if isinstance(got, (list, tuple)) else []
    run.finish({"result": {"type": convert.type_name(got), "items": items}})


def check_to_tensor(to_tensor, n=4, dtype="uint8", seed=0):
    """Assert that to_tensor turns images (n, 28, 28, 1) into floats (n, 1, 28, 28) in [0, 1].

    The images are an mxnet.np array of `dtype` with values 0..255.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("to_tensor", {"n": n, "dtype": dtype, "seed": seed})
    images = inputs.images(n, dtype, run.seed)
    run.finish({"out": convert.array(to_tensor(convert.mx_array(images)))})


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
    out = cross_entropy(convert.mx_array(y_hat), convert.mx_array(y))
    run.finish({"out": convert.array(out)})


def check_accuracy(accuracy, predicted_classes=False, seed=0):
    """Assert that accuracy(y_hat, y) counts the correct predictions (a float, not a fraction).

    y_hat: (8, 3) scores, or (8,) predicted classes with `predicted_classes`; y: (8,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("accuracy", {"predicted_classes": bool(predicted_classes), "seed": seed})
    scores, y = inputs.scores_and_labels(run.seed)
    y_hat = scores.argmax(axis=1).astype("float32") if predicted_classes else scores
    got = accuracy(convert.mx_array(y_hat), convert.mx_array(y))
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
    out = sgd([W, b], lr, batch_size)
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
    result = train_epoch(net, data, loss, updater)
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
        out = net(np.zeros((2, 1, 28, 28)))
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
    run.finish({"out": convert.array(loss(convert.mx_array(x), convert.mx_array(y)))})


def check_trainer(trainer, net, lr=0.1):
    """Assert that trainer is a gluon.Trainer running plain SGD with learning rate `lr` over net's parameters."""
    __tracebackhide__ = True  # noqa: F841
    from mxnet import gluon
    run = start("trainer", {"lr": lr})
    record = {"is_trainer": isinstance(trainer, gluon.Trainer),
              "type": convert.type_name(trainer), "optimizer": None, "lr": None,
              "same_params": False}
    if record["is_trainer"]:
        record["optimizer"] = convert.type_name(trainer._optimizer)
        record["lr"] = convert.number(trainer.learning_rate)
        record["same_params"] = ({id(p) for p in net.collect_params().values()}
                                 == {id(p) for p in trainer._params})
    run.finish(record)


# ---------------------------------------------------------------- lesson 5: devices

def check_try_gpu(try_gpu, try_all_gpus):
    """Assert that try_gpu(i) gives gpu(i) if it exists, else cpu(), and try_all_gpus() every GPU or [cpu()]."""
    __tracebackhide__ = True  # noqa: F841
    from mxnet import npx
    run = start("try_gpu", {})
    n = npx.num_gpus()
    got = try_all_gpus()
    listed = [convert.device(d) for d in got] if isinstance(got, (list, tuple)) else []
    run.finish({"num_gpus": n,
                "try_gpu": [[i, convert.device(try_gpu(i))] for i in (0, 1, n, 100)],
                "all": {"type": convert.type_name(got), "items": listed,
                        "repr": convert.text(got)[1]}})


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
    result = split_batch(convert.mx_array(x), convert.mx_array(y), devices)
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
