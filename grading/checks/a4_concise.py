"""Assignment 4, the concise implementation (course/source/a4_concise/): the Dense net, Gluon's
loss, the Trainer, and losses of one-hot labels.

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import math

import numpy as onp

from grading.checks import convert, inputs
from grading.checks.a1_softmax import logsumexp
from grading.checks.common import (array_of, assert_close, assert_finite, assert_shape, fail, num,
                                   number_of)
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start


# ---------------------------------------------------------------- check_concise_net

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


@judge
def judge_concise_net(record, params, seed, ref):
    num_inputs, num_outputs, sigma = params["num_inputs"], params["num_outputs"], params["sigma"]
    if record["uninitialized"]:
        fail("concise_net.uninitialized")
    assert_shape(record["out"], (2, num_outputs), say("concise_net.call"))
    weights = [v for k, v in record["params"].items() if str(k).endswith("weight")]
    if len(weights) != 1:
        fail("concise_net.layers", found=len(weights))
    assert_shape(weights[0], (num_outputs, num_inputs), say("concise_net.weight"))
    std = float(array_of(weights[0]).std())
    if not 0.5 * sigma <= std <= 2 * sigma:
        fail("concise_net.sigma", sigma=sigma, std=num(std))


# ---------------------------------------------------------------- check_loss

def loss(x, y):
    """Softmax cross-entropy of logits x (batch, q) and labels y: logsumexp - true logit."""
    return logsumexp(x) - onp.asarray(x, onp.float64)[onp.arange(len(y)), y]


def check_loss(loss, offset=0.0, batch=8, seed=0):
    """Assert loss(logits, y) is the softmax cross-entropy of logits: (batch, 10), (batch,) -> (batch,)."""
    __tracebackhide__ = True  # noqa: F841
    run = start("loss", {"offset": offset, "batch": batch, "seed": seed})
    x, y = inputs.logits_and_labels((batch, 10), "float32", offset, run.seed)
    run.finish({"out": convert.array(run.call(loss, convert.mx_array(x), convert.mx_array(y)))})


@judge
def judge_loss(record, params, seed, ref):
    batch, offset = params["batch"], params["offset"]
    x, y = inputs.logits_and_labels((batch, 10), "float32", offset, seed)
    context = say("logits_around", offset=f"{offset:g}")
    out = record["out"]
    assert_shape(out, (batch,), "loss(logits, y)", say("one_loss_per_example"))
    assert_finite(out, "loss(logits, y)", context)
    assert_close(out, ref.loss(x, y), f"loss(logits, y) {context} {say('loss.logits')}",
                 rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- check_trainer

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


@judge
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


# ---------------------------------------------------------------- check_dense_labels

def one_hot(y, q):
    """One-hot rows (n, q) of labels y (n,)."""
    out = onp.zeros((len(y), q))
    out[onp.arange(len(y)), onp.asarray(y)] = 1
    return out


def check_dense_labels(one_hot, dense_loss, batch=8, q=10, seed=0):
    """Assert one_hot(y, q) turns labels (batch,) into one-hot rows (batch, q) and
    dense_loss(logits, one_hot(y, q)) is the softmax cross-entropy of each example (batch,).
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("dense_labels", {"batch": batch, "q": q, "seed": seed})
    x, y = inputs.logits_and_labels((batch, q), "float32", 0.0, run.seed)
    Y = run.call(one_hot, convert.mx_array(y), q)
    record = {"Y": convert.array(Y), "loss": None}
    if record["Y"] is not None and hasattr(Y, "shape"):
        record["loss"] = convert.array(run.call(dense_loss, convert.mx_array(x), Y))
    run.finish(record)


@judge
def judge_dense_labels(record, params, seed, ref):
    batch, q = params["batch"], params["q"]
    x, y = inputs.logits_and_labels((batch, q), "float32", 0.0, seed)
    name = f"one_hot(y, {q})"
    assert_shape(record["Y"], (batch, q), name)
    assert_close(record["Y"], ref.one_hot(y, q), name, atol=0, reveal=False)
    assert_shape(record["loss"], (batch,), say("dense_labels.call"), say("one_loss_per_example"))
    assert_close(record["loss"], ref.loss(x, y), say("dense_labels.call"), rtol=1e-4, atol=1e-4,
                 reveal=False)
