"""Answers several files of tests/test_checks*.py hand the checks: right ones and wrong ones."""
from mxnet import gluon, init, np


def stable_softmax(X, axis=-1):
    X_exp = np.exp(X - X.max(axis=axis, keepdims=True))
    return X_exp / X_exp.sum(axis=axis, keepdims=True)


def naive_softmax(X, axis=-1):
    X_exp = np.exp(X)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)



def concise_net(units=10, init_=init.Normal(sigma=0.01), layers=1):
    net = gluon.nn.Sequential()
    for _ in range(layers - 1):
        net.add(gluon.nn.Dense(32))
    net.add(gluon.nn.Dense(units))
    if init_ is not None:
        net.initialize(init_)
    return net
