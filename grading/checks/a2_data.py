"""Assignment 2, the data (course/source/a2_data/): Fashion-MNIST's text labels, ToTensor,
a minibatch, the iterators.

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import math

import numpy as onp

from grading.checks import convert, inputs
from grading.checks.common import (array_of, assert_close, assert_dtype, assert_shape, fail, num,
                                   shape_of)
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start


# ---------------------------------------------------------------- check_labels

def label_indices(labels, seed):
    """The class indices check_labels passes: `labels` as given, or all ten in a seeded order."""
    if labels is not None:
        return onp.asarray(labels, dtype="int32").ravel()
    return inputs.rng(seed).permutation(10).astype("int32")


def labels(indices):
    """Fashion-MNIST's text labels of class indices."""
    from helpers.data import get_fashion_mnist_labels
    return get_fashion_mnist_labels(indices)


def check_labels(get_labels, labels=None):
    """Assert that get_labels(labels) gives Fashion-MNIST's text labels, in order.

    labels: a list of class indices; default all ten, in some order, as an mxnet.np int32 array.
    """
    __tracebackhide__ = True  # noqa: F841
    given = None if labels is None else [int(i) for i in convert.array(labels).ravel()]
    run = start("labels", {"labels": given, "seed": None})
    indices = label_indices(given, run.seed)
    got = run.call(get_labels, convert.mx_array(indices) if labels is None else labels)
    items = [convert.text(g) for g in got[:10_000]] if isinstance(got, (list, tuple)) else []
    run.finish({"result": {"type": convert.type_name(got), "items": items}})


@judge
def judge_labels(record, params, seed, ref):
    indices = label_indices(params["labels"], seed)
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


# ---------------------------------------------------------------- check_to_tensor

def channels_last_images(n, dtype, seed, height=28, width=28, channels=1):
    """Images (n, height, width, channels) of `dtype` with values 0..255: channels last."""
    return inputs.rng(seed).randint(0, 256, size=(n, height, width, channels)).astype(dtype)


def to_tensor(images):
    """Images (n, 28, 28, 1), values 0..255 -> float32 (n, 1, 28, 28) in [0, 1]."""
    return (onp.asarray(images).astype(onp.float32) / 255).transpose(0, 3, 1, 2)


def check_to_tensor(to_tensor, n=4, dtype="uint8", seed=0, height=28, width=28, channels=1):
    """Assert that to_tensor turns images (n, height, width, channels) into floats
    (n, channels, height, width) in [0, 1], every value where it belongs.

    The images are an mxnet.np array of `dtype` with values 0..255.
    """
    __tracebackhide__ = True  # noqa: F841
    size = {} if (height, width, channels) == (28, 28, 1) else \
        {"height": height, "width": width, "channels": channels}
    run = start("to_tensor", dict({"n": n, "dtype": dtype, "seed": seed}, **size))
    images = channels_last_images(n, dtype, run.seed, height, width, channels)
    run.finish({"out": convert.array(run.call(to_tensor, convert.mx_array(images)))})


@judge
def judge_to_tensor(record, params, seed, ref):
    n = params["n"]
    height, width, channels = (params.get(k, v) for k, v in (("height", 28), ("width", 28),
                                                               ("channels", 1)))
    images = channels_last_images(n, params["dtype"], seed, height, width, channels)
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


# ---------------------------------------------------------------- check_batch

def check_batch(X, y, batch_size, size=28):
    """Assert that a minibatch is X (batch_size, 1, size, size) float32 in [0, 1], y (batch_size,) int32."""
    __tracebackhide__ = True  # noqa: F841
    run = start("batch", {"batch_size": batch_size, "size": size})
    run.finish({"X": convert.array(X), "y": convert.array(y)})


@judge
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


# ---------------------------------------------------------------- check_iterators

def dataset_labels(split):
    """The labels of Fashion-MNIST's "train" or "test" split, in stored order."""
    from helpers.data import load_arrays
    return load_arrays()[f"{split}_labels"]


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


@judge
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
