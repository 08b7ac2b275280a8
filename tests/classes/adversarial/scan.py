"""Students who hand in a library answer by another name or route.

The scan and the checks' trap refuse the library's softmax and log_softmax as an answer;
these students reach them through the kit's own reference, getattr or operator.attrgetter
on a name built from pieces, a string timeit runs, another module's reference to them, a
star import under a false module name, a wrapper, a thread, numpy's logaddexp, an operator
named by a string (Gluon's Lambda and HybridLambda, a graph saved as JSON), or an
equivalent operator (softmin, the legacy Softmax, a loss).
"""
from .student import Student

KIT_SOFTMAX = '''\
from helpers.numerics import stable_softmax
def softmax(X):
    return stable_softmax(X)
'''

KIT_LOGSUMEXP = '''\
from helpers.numerics import log_softmax
def logsumexp(X):
    return (X - log_softmax(X))[:, 0]
'''

GETATTR_ALIAS = '''\
g = getattr
def softmax(X):
    return g(npx, "soft" + "max")(X)
'''

ATTRGETTER = '''\
import operator
def softmax(X):
    return operator.attrgetter("soft" "max")(npx)(X)
'''

TIMEIT_STRING = '''\
import timeit
def softmax(X):
    box = {}
    timeit.timeit("box['P'] = lib.softmax(X)", number=1,
                  globals={"box": box, "lib": npx, "X": X})
    return box["P"]
'''

LOGGING_SYS = '''\
import logging
def softmax(X):
    return logging.sys.modules["mxnet.numpy_extension"].softmax(X)
'''

SOFTMIN = '''\
import mxnet as mx
def softmax(X):
    return mx.nd.softmin(-X.as_nd_ndarray()).as_np_ndarray()
'''

LOSS_CLASS = '''\
from mxnet import gluon
def logsumexp(X):
    j = np.zeros(X.shape[0], dtype="int32")
    return X[:, 0] + gluon.loss.SoftmaxCrossEntropyLoss()(X, j).astype(X.dtype)
'''

LEGACY_ALIAS_SOFTMAX = '''\
import mxnet as mx
def softmax(X):
    label = mx.nd.zeros(X.shape[0], dtype=X.dtype)
    return mx.nd.Softmax(X.as_nd_ndarray(), label).as_np_ndarray()
'''

LEGACY_ALIAS_LOGSUMEXP = '''\
def logsumexp(X):
    return X.max(axis=1) - np.log(softmax(X).max(axis=1))
'''

RENAMED_MODULE_SOFTMAX = '''\
__name__ = "numpy"
from mxnet.ndarray.numpy_extension import *
def softmax(X):
    return np.exp(log_softmax(X))
'''

RENAMED_MODULE_LOGSUMEXP = '''\
def logsumexp(X):
    return X[:, 0] - log_softmax(X)[:, 0]
'''

WRAPPED_SOFTMAX = '''\
from mxnet.ndarray.numpy_extension import *
from mxnet.util import use_np
log_softmax_ = use_np(log_softmax)
def softmax(X):
    return np.exp(log_softmax_(X))
'''

WRAPPED_LOGSUMEXP = '''\
def logsumexp(X):
    return X[:, 0] - log_softmax_(X)[:, 0]
'''

THREAD_SOFTMAX = '''\
from mxnet.ndarray.numpy_extension import *
import queue
def softmax(X):
    box = queue.Queue()
    worker = queue.threading.Thread(target=lambda: box.put(np.exp(log_softmax(X))))
    worker.start()
    worker.join()
    return box.get()
'''

APPLY_LOGSUMEXP = '''\
from numpy import *
import numpy as onp
def logsumexp(X):
    return np.array(onp.apply_along_axis(logaddexp.reduce, 1, X.asnumpy()), dtype=X.dtype)
'''

# A library route named by a string: Gluon's Lambda and HybridLambda take an operator's
# name; a graph saved as JSON names its operators too. Neither witness reads strings.
LAMBDA_BLOCK_SOFTMAX = '''\
import mxnet as mx
with mx.util.np_array(False):
    sm, lsm = mx.gluon.nn.Lambda("softmax"), mx.gluon.nn.Lambda("log_softmax")
def softmax(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    with mx.util.np_array(False):
        P = sm(X.as_nd_ndarray()).as_np_ndarray()
    return np.moveaxis(P, -1, axis)
'''

LAMBDA_BLOCK_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    with mx.util.np_array(False):
        log_P = lsm(X.as_nd_ndarray()).as_np_ndarray()
    return X[..., 0] - log_P[..., 0]
'''

JSON_SYMBOL_SOFTMAX = '''\
import json
import mxnet as mx
def graph(op):
    nodes = [{"op": "null", "name": "X", "inputs": []},
             {"op": op, "name": "out", "attrs": {"axis": "-1"}, "inputs": [[0, 0, 0]]}]
    text = json.dumps({"nodes": nodes, "arg_nodes": [0], "node_row_ptr": [0, 1, 2],
                       "heads": [[1, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}})
    return mx.gluon.SymbolBlock(mx.sym.load_json(text).as_np_ndarray(),
                                mx.sym.var("X").as_np_ndarray())
sm, lsm = graph("softmax"), graph("log_softmax")
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

BLOCK_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - lsm(X)[..., 0]
'''

HYBRID_LAMBDA_SOFTMAX = '''\
import mxnet as mx
with mx.util.np_array(False):
    sm, lsm = mx.gluon.nn.HybridLambda("softmax"), mx.gluon.nn.HybridLambda("log_softmax")
    for block in (sm, lsm):
        block.hybridize()
        block(mx.nd.zeros((2, 3)))  # traced now: later calls run the compiled graph
def softmax(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    with mx.util.np_array(False):
        P = sm(X.as_nd_ndarray()).as_np_ndarray()
    return np.moveaxis(P, -1, axis)
'''


STUDENTS = [
    Student("kit_reference", "a1_softmax", 0, False, ("calls the kit's reference",),
            answers={"softmax": KIT_SOFTMAX, "logsumexp": KIT_LOGSUMEXP}),
    Student("getattr_alias", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": GETATTR_ALIAS}),
    Student("attrgetter", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": ATTRGETTER}),
    Student("timeit_string", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": TIMEIT_STRING}),
    Student("logging_sys", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": LOGGING_SYS}),
    Student("softmin", "a1_softmax", 2, False, ("an equivalent library route",),
            answers={"softmax": SOFTMIN}),
    Student("loss_class", "a1_softmax", 4, False, ("an equivalent library route",),
            answers={"logsumexp": LOSS_CLASS}),
    Student("legacy_alias", "a1_softmax", 0, False, ("an equivalent library route",),
            answers={"softmax": LEGACY_ALIAS_SOFTMAX, "logsumexp": LEGACY_ALIAS_LOGSUMEXP}),
    Student("renamed_module", "a1_softmax", 0, True, ("a library answer by another name",),
            answers={"softmax": RENAMED_MODULE_SOFTMAX, "logsumexp": RENAMED_MODULE_LOGSUMEXP}),
    Student("wrapped_library", "a1_softmax", 0, True, ("a library answer by another name",),
            answers={"softmax": WRAPPED_SOFTMAX, "logsumexp": WRAPPED_LOGSUMEXP}),
    Student("thread_library", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": THREAD_SOFTMAX}),
    Student("apply_along_axis", "a1_softmax", 4, True, ("a library answer by another name",),
            answers={"logsumexp": APPLY_LOGSUMEXP}),
    Student("lambda_block", "a1_softmax", 0, True, ("a library route named by a string",),
            answers={"softmax": LAMBDA_BLOCK_SOFTMAX, "logsumexp": LAMBDA_BLOCK_LOGSUMEXP}),
    Student("json_symbol", "a1_softmax", 0, True, ("a library route named by a string",),
            answers={"softmax": JSON_SYMBOL_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP}),
    Student("hybrid_lambda", "a1_softmax", 0, True, ("a library route named by a string",),
            answers={"softmax": HYBRID_LAMBDA_SOFTMAX, "logsumexp": LAMBDA_BLOCK_LOGSUMEXP}),
]
