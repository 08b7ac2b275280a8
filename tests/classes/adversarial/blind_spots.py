"""Students who call the library where the trap does not look, or in code the scan does not read.

They reach the forbidden function by a string and call it later (in the answer's asnumpy,
after switching the trap's hook off, from inside a library object), or set it up where the
scan does not read: an unparsable cell, the setup line of %%timeit, a helper cell over
200 kB, a name the scan takes for the student's own object.
"""
from .scan import BLOCK_LOGSUMEXP
from .student import Student

# A forbidden function reached by a string (pkgutil.resolve_name, string.Formatter), then
# called where the trap does not look: in the returned object's asnumpy (converted after
# the trap ends), after switching the trap's hook off, or by a library object that holds
# the function in an attribute (not a parameter or a closure variable).
RESOLVE_DIRECT_SOFTMAX = '''\
from pkgutil import resolve_name
def softmax(X, axis=-1):
    return resolve_name("mxnet:npx.softmax")(X, axis=axis)
'''

RESOLVE_DIRECT_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - resolve_name("mxnet:npx.log_softmax")(X)[..., 0]
'''

RESOLVE_LAZY_SOFTMAX = '''\
from pkgutil import resolve_name
class Later:
    """The answer, worked out when it is looked at."""
    def __init__(self, how, X, axis):
        self.how, self.X, self.axis = how, X, axis
    def asnumpy(self):
        return resolve_name(self.how)(self.X, axis=self.axis).asnumpy()
def softmax(X, axis=-1):
    return Later("mxnet:npx.softmax", X, axis)
'''

RESOLVE_LAZY_LOGSUMEXP = '''\
class LaterLse(Later):
    def asnumpy(self):
        X = np.moveaxis(self.X, self.axis, -1)
        return (X[..., 0] - resolve_name(self.how)(X)[..., 0]).asnumpy()
def logsumexp(X, axis=-1):
    return LaterLse("mxnet:npx.log_softmax", X, axis)
'''

PROFILE_OFF_SOFTMAX = '''\
import string
fields = string.Formatter()
def softmax(X, axis=-1):
    fields.get_field("0.sys.setprofile", [warnings], {})[0](None)
    return fields.get_field("0.softmax", [npx], {})[0](X, axis=axis)
'''

PROFILE_OFF_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    fields.get_field("0.sys.setprofile", [warnings], {})[0](None)
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - fields.get_field("0.log_softmax", [npx], {})[0](X)[..., 0]
'''

DATASET_TRANSFORM_SOFTMAX = '''\
import mxnet as mx
from pkgutil import resolve_name
def softmax(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    P = mx.gluon.data.SimpleDataset([X]).transform(resolve_name("mxnet:npx.softmax"))[0]
    return np.moveaxis(P, -1, axis)
'''

DATASET_TRANSFORM_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    log_P = mx.gluon.data.SimpleDataset([X]).transform(resolve_name("mxnet:npx.log_softmax"))[0]
    return X[..., 0] - log_P[..., 0]
'''

LAZY_TRAIN_EPOCH = '''\
from pkgutil import resolve_name


class Later:
    """A number worked out when it is read."""
    shape = (1,)

    def __init__(self, job, k):
        self.job, self.k = job, k

    def asnumpy(self):
        if self.job[1] is None:
            self.job[1] = resolve_name("helpers.train:train_epoch")(*self.job[0])
        return onp.array([self.job[1][self.k]])


def train_epoch(net, train_iter, loss, updater):
    job = [(net, train_iter, loss, updater), None]
    return Later(job, 0), Later(job, 1)
'''

# Code the scan does not read: a cell IPython runs but the scan cannot parse (never
# listed), the setup line of %%timeit, a helper cell over 200 kB; and a name the scan
# takes for the student's own object (`self`, or a name once bound to an own class).
TIMEIT_HIDDEN_SOFTMAX = '''\
%timeit -p3 -n1 -r1 pass
import mxnet as mx
sm = mx.gluon.nn.Lambda(npx.softmax)
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

TIMEIT_HIDDEN_LOGSUMEXP = '''\
%timeit -p3 -n1 -r1 pass
lsm = mx.gluon.nn.Lambda(npx.log_softmax)
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - lsm(X)[..., 0]
'''

TIMEIT_LINE_SOFTMAX = ('%%timeit -n1 -r1 -q import mxnet as mx; globals().update('
                       'sm=mx.gluon.nn.Lambda(npx.softmax), '
                       'lsm=mx.gluon.nn.Lambda(npx.log_softmax))\npass\n')

BLOCK_SOFTMAX = '''\
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

UNREAD_HELPER = "# " + "notes " * 34_000 + "\n" + '''\
import mxnet as mx
sm, lsm = mx.gluon.nn.Lambda(npx.softmax), mx.gluon.nn.Lambda(npx.log_softmax)
'''

OWN_ALIAS_SOFTMAX = '''\
import mxnet as mx
class Softmax:
    """My own softmax layer (to do)."""
lib = Softmax()
lib = npx
sm, lsm = mx.gluon.nn.Lambda(lib.softmax), mx.gluon.nn.Lambda(lib.log_softmax)
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

OWN_SELF_SOFTMAX = '''\
import mxnet as mx
self = npx
sm, lsm = mx.gluon.nn.Lambda(self.softmax), mx.gluon.nn.Lambda(self.log_softmax)
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''


STUDENTS = [
    Student("resolve_direct", "a1_softmax", 0, True, ("a library answer by another name",),
            answers={"softmax": RESOLVE_DIRECT_SOFTMAX, "logsumexp": RESOLVE_DIRECT_LOGSUMEXP}),
    Student("resolve_lazy", "a1_softmax", 0, True, ("where the trap does not look",),
            answers={"softmax": RESOLVE_LAZY_SOFTMAX, "logsumexp": RESOLVE_LAZY_LOGSUMEXP}),
    Student("profile_off", "a1_softmax", 0, True, ("where the trap does not look",),
            answers={"softmax": PROFILE_OFF_SOFTMAX, "logsumexp": PROFILE_OFF_LOGSUMEXP}),
    Student("dataset_transform", "a1_softmax", 0, True, ("where the trap does not look",),
            answers={"softmax": DATASET_TRANSFORM_SOFTMAX,
                     "logsumexp": DATASET_TRANSFORM_LOGSUMEXP}),
    Student("lazy_train_epoch", "a3_scratch", 3, True, ("where the trap does not look",),
            answers={"train_epoch": LAZY_TRAIN_EPOCH}),
    Student("timeit_hidden", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": TIMEIT_HIDDEN_SOFTMAX, "logsumexp": TIMEIT_HIDDEN_LOGSUMEXP}),
    Student("timeit_line", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": TIMEIT_LINE_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP},
            extras=[("softmax", BLOCK_SOFTMAX)]),
    Student("unread_helper", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": BLOCK_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP},
            extras=[("setup", UNREAD_HELPER)]),
    Student("own_alias", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": OWN_ALIAS_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP}),
    Student("own_self", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": OWN_SELF_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP}),
]
