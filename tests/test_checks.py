"""helpers/checks.py: each check passes a right answer and names the fault of a wrong one.

The wrong answers are the mistakes students make: the textbook softmax that overflows,
the transpose, the sum over the wrong axis, a mean instead of one loss per example, an
update that rebinds instead of writing in place, and so on. Each test asserts the message
a student would read, so a vaguer message fails it.
"""
import subprocess
import sys

import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, gluon, init, np, npx

from helpers import checks
from helpers import devices as ref_devices
from helpers import train as ref


@pytest.fixture(autouse=True)
def np_mode():
    """NumPy-style MXNet arrays (npx.set_np()), as in the notebooks; the mode before, after."""
    from mxnet import util
    before = (util.is_np_shape(), util.is_np_array())
    util.set_np(shape=True, array=True)
    yield
    util.set_np(*before)


def stable_softmax(X, axis=-1):
    X_exp = np.exp(X - X.max(axis=axis, keepdims=True))
    return X_exp / X_exp.sum(axis=axis, keepdims=True)


def naive_softmax(X, axis=-1):
    X_exp = np.exp(X)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)


def test_import_is_cheap():
    code = "import sys, helpers.checks; print('mxnet' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


# ---------------------------------------------------------------- generic checks

def test_check_shape():
    checks.check_shape(onp.zeros((256, 10)), (256, 10))
    with pytest.raises(AssertionError, match=r"^softmax\(X\): expected shape \(256, 10\), "
                                             r"got \(10, 256\) \(the transpose"):
        checks.check_shape(onp.zeros((10, 256)), (256, 10), "softmax(X)")
    with pytest.raises(AssertionError, match=r"got \(256,\) \(an axis is missing"):
        checks.check_shape(onp.zeros(256), (256, 1))
    with pytest.raises(AssertionError, match=r"got \(\) \(a single number.*; one loss per"):
        checks.check_shape(onp.float32(1), (2,), hint="one loss per example")
    with pytest.raises(AssertionError, match="is None: did you forget a return"):
        checks.check_shape(None, (2,))


def test_check_dtype():
    checks.check_dtype(np.zeros(2, dtype="float64"), "float64")
    with pytest.raises(AssertionError, match="^X: expected dtype float32, got float64$"):
        checks.check_dtype(onp.zeros(2), "float32", "X")


def test_check_finite_names_the_entry():
    checks.check_finite(onp.ones((2, 3)))
    a = onp.ones((4, 3))
    a[2, 1] = onp.nan
    with pytest.raises(AssertionError, match=r"^nan in output for logits around 1000 "
                                             r"\(row 2, column 1\)$"):
        checks.check_finite(a, "output", "for logits around 1000")
    with pytest.raises(AssertionError, match=r"^inf in y \(entry 1\)$"):
        checks.check_finite(onp.array([0.0, onp.inf]), "y")


def test_check_probabilities_names_the_row_and_its_sum():
    checks.check_probabilities(onp.full((5, 4), 0.25))
    P = onp.full((5, 2), 0.5)
    P[3] = [0.9, 0.8]
    with pytest.raises(AssertionError, match=r"^rows must sum to 1; row 3 sums to 1\.7$"):
        checks.check_probabilities(P)
    P = onp.full((3, 2), 0.5)
    P[1] = [1.3, -0.3]
    with pytest.raises(AssertionError, match=r"non-negative; row 1, column 1 is -0\.3$"):
        checks.check_probabilities(P)
    with pytest.raises(AssertionError, match=r"expected a 2-d array .* got shape \(4,\)"):
        checks.check_probabilities(onp.full(4, 0.25))


def test_check_close_names_the_row():
    checks.check_close(onp.ones((2, 2)), onp.ones((2, 2)))
    with pytest.raises(AssertionError, match=r"^f\(X\): row 1 is \[1, 2\], expected \[1, 1\]$"):
        checks.check_close(onp.array([[1, 1], [1, 2]]), onp.ones((2, 2)), "f(X)")


# ---------------------------------------------------------------- lesson 1

@pytest.mark.parametrize("kwargs", [{}, {"offset": 1000}, {"offset": -1000},
                                    {"shape": (1, 10)}, {"shape": (5, 1)},
                                    {"shape": (64, 2), "dtype": "float64", "offset": 1000},
                                    {"offset": 1000, "mixed": True},
                                    {"shape": (3, 5), "axis": 0},
                                    {"shape": (2, 7, 3), "axis": 1, "offset": 1000,
                                     "mixed": True}])
def test_check_softmax_passes_a_stable_softmax(kwargs):
    checks.check_softmax(stable_softmax, **kwargs)


def test_check_softmax_catches_a_batch_wide_maximum_and_a_fixed_axis():
    batch_max = lambda X, axis=-1: naive_softmax(X - X.max(), axis)  # noqa: E731
    checks.check_softmax(batch_max, offset=1000)  # every row around 1000: no harm done
    with pytest.raises(AssertionError, match=r"^nan in softmax\(X\) for logits around 1000 in "
                                             r"some rows and around -1000 in others"):
        checks.check_softmax(batch_max, offset=1000, mixed=True)
    with pytest.raises(AssertionError, match=r"^softmax\(X, axis=0\) works along the last "
                                             r"axis, not along axis 0"):
        checks.check_softmax(lambda X, axis=-1: stable_softmax(X), shape=(3, 5), axis=0)
    with pytest.raises(TypeError):
        checks.check_softmax(lambda X: stable_softmax(X), shape=(3, 5), axis=0)


def test_check_softmax_passes_the_textbook_softmax_on_small_logits():
    checks.check_softmax(naive_softmax)
    checks.check_softmax(ref.softmax, shape=(3, 5))


@pytest.mark.parametrize("offset", [1000, -1000])
def test_check_softmax_catches_overflow_and_underflow(offset):
    with pytest.raises(AssertionError, match=f"^nan in softmax\\(X\\) for logits around {offset} "):
        checks.check_softmax(naive_softmax, offset=offset)


def test_check_softmax_catches_wrong_shapes_and_axes():
    with pytest.raises(AssertionError, match=r"expected shape \(256, 10\), got \(10, 256\)"):
        checks.check_softmax(lambda X: stable_softmax(X).T)
    with pytest.raises(AssertionError, match=r"^rows must sum to 1; row 0 sums to "):
        checks.check_softmax(lambda X: np.exp(X) / np.exp(X).sum(axis=0, keepdims=True))
    with pytest.raises(AssertionError, match=r"got \(256,\) \(an axis is missing"):
        checks.check_softmax(lambda X: np.exp(X).sum(axis=1))
    with pytest.raises(AssertionError, match="did you forget a return"):
        checks.check_softmax(lambda X: None)


def test_check_softmax_catches_wrong_values_and_dtypes():
    with pytest.raises(AssertionError, match=r"^softmax\(X\) for logits around 0: row 0 is"):
        checks.check_softmax(lambda X: stable_softmax(2 * X))
    with pytest.raises(AssertionError, match="expected dtype float64, got float32; keep"):
        checks.check_softmax(lambda X: stable_softmax(X.astype("float32")), dtype="float64")


def test_check_keeps_input():
    checks.check_keeps_input(stable_softmax)

    def in_place(X):
        X -= X.max(axis=1, keepdims=True)
        return stable_softmax(X)
    with pytest.raises(AssertionError, match="changed its input X in place"):
        checks.check_keeps_input(in_place)


def stable_logsumexp(X, axis=-1):
    m = X.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(X - m).sum(axis=axis, keepdims=True))).squeeze(axis=axis)


def test_check_logsumexp():
    checks.check_logsumexp(stable_logsumexp)
    checks.check_logsumexp(stable_logsumexp, offset=-1000, shape=(1, 3), dtype="float64")
    checks.check_logsumexp(stable_logsumexp, shape=(2, 7, 3), axis=1, offset=1000, mixed=True)
    naive = lambda X: np.log(np.exp(X).sum(axis=1))  # noqa: E731
    checks.check_logsumexp(naive)
    with pytest.raises(AssertionError, match=r"^(nan|inf) in logsumexp\(X\) for logits around 1000"):
        checks.check_logsumexp(naive, offset=1000)
    batch_max = lambda X: X.max() + np.log(np.exp(X - X.max()).sum(axis=1))  # noqa: E731
    checks.check_logsumexp(batch_max, offset=1000)
    with pytest.raises(AssertionError, match=r"^inf in logsumexp\(X\) for logits around 1000 in "
                                             r"some rows"):
        checks.check_logsumexp(batch_max, offset=1000, mixed=True)
    with pytest.raises(AssertionError, match=r"expected shape \(256,\), got \(256, 1\) "
                                             r"\(one axis too many"):
        checks.check_logsumexp(lambda X: np.log(np.exp(X).sum(axis=1, keepdims=True)))


# ---------------------------------------------------------------- lesson 2

def test_check_labels():
    from helpers.data import get_fashion_mnist_labels
    checks.check_labels(get_fashion_mnist_labels)
    checks.check_labels(get_fashion_mnist_labels, [9, 0, 0, 3])
    capitalized = lambda labels: [n.capitalize() for n in get_fashion_mnist_labels(labels)]  # noqa: E731
    with pytest.raises(AssertionError, match=r"^label 0 should be 't-shirt', got 'T-shirt'$"):
        checks.check_labels(capitalized, [0, 1])
    with pytest.raises(AssertionError, match=r"^label \d should be '[a-z -]+', got '[A-Z]"):
        checks.check_labels(capitalized)  # all ten, in a seeded order
    with pytest.raises(AssertionError, match="should return a list, got tuple"):
        checks.check_labels(lambda labels: tuple(get_fashion_mnist_labels(labels)))
    with pytest.raises(AssertionError, match="should return 4 names for 4 labels, got 10"):
        checks.check_labels(lambda labels: get_fashion_mnist_labels(range(10)), [1, 2, 3, 4])


def good_to_tensor(images):
    return images.astype("float32").transpose(0, 3, 1, 2) / 255


def test_check_to_tensor():
    checks.check_to_tensor(good_to_tensor)
    checks.check_to_tensor(good_to_tensor, n=1, dtype="float32")
    checks.check_to_tensor(good_to_tensor, n=2, height=32, width=24, channels=3)
    reshaped = lambda im: (im.astype("float32") / 255).reshape(  # noqa: E731
        im.shape[0], im.shape[3], im.shape[1], im.shape[2])
    checks.check_to_tensor(reshaped)  # one channel: a reshape happens to be right
    with pytest.raises(AssertionError, match=r"the shape is right, the values are in the wrong "
                                             r"places: reshape keeps"):
        checks.check_to_tensor(reshaped, n=2, height=32, width=24, channels=3)
    with pytest.raises(AssertionError, match=r"expected shape \(2, 3, 32, 24\), got "
                                             r"\(2, 3, 24, 32\)"):
        checks.check_to_tensor(lambda im: im.astype("float32").transpose(0, 3, 2, 1) / 255,
                               n=2, height=32, width=24, channels=3)
    with pytest.raises(AssertionError, match=r"values must lie in \[0, 1\]; they range from "
                                             r"0 to 255 \(divide by 255\)"):
        checks.check_to_tensor(lambda im: im.astype("float32").transpose(0, 3, 1, 2))
    with pytest.raises(AssertionError, match=r"got \(4, 28, 28, 1\): the channel axis"):
        checks.check_to_tensor(lambda im: im.astype("float32") / 255)
    with pytest.raises(AssertionError, match="expected dtype float32, got float64"):
        checks.check_to_tensor(lambda im: good_to_tensor(im).astype("float64"))


@pytest.fixture(scope="module")
def iterators():
    from helpers.data import load_data_fashion_mnist
    return load_data_fashion_mnist(256, num_workers=0)


def test_check_batch(iterators):
    X, y = next(iter(iterators[0]))
    checks.check_batch(X, y, 256)
    with pytest.raises(AssertionError, match=r"^X: expected shape \(256, 1, 28, 28\), got "
                                             r"\(256, 28, 28, 1\)"):
        checks.check_batch(X.transpose(0, 2, 3, 1), y, 256)
    with pytest.raises(AssertionError, match=r"pixel values must lie in \[0, 1\]"):
        checks.check_batch(X * 255, y, 256)
    with pytest.raises(AssertionError, match="^y: expected dtype int32, got float32"):
        checks.check_batch(X, y.astype("float32"), 256)


def test_check_iterators(iterators):
    train_iter, test_iter = iterators
    checks.check_iterators(train_iter, test_iter, 256)
    train, test = train_iter._dataset, test_iter._dataset
    shuffled_test = gluon.data.DataLoader(test, 256, shuffle=True)
    with pytest.raises(AssertionError, match=r"test_iter must not be shuffled: its first "
                                             r"labels should be \[9, 2, 1, 1, 6\]"):
        checks.check_iterators(train_iter, shuffled_test, 256)
    in_order = gluon.data.DataLoader(train, 256, shuffle=False)
    with pytest.raises(AssertionError, match="train_iter should be shuffled"):
        checks.check_iterators(in_order, test_iter, 256)
    dropped = gluon.data.DataLoader(train, 256, shuffle=True, last_batch="discard")
    with pytest.raises(AssertionError, match="train_iter should have 235 batches .* got 234"):
        checks.check_iterators(dropped, test_iter, 256)


# ---------------------------------------------------------------- lesson 3

def test_check_cross_entropy():
    checks.check_cross_entropy(ref.cross_entropy)
    checks.check_cross_entropy(ref.cross_entropy, batch=7, dtype="float64")
    with pytest.raises(AssertionError, match=r"expected shape \(2,\), got \(2, 2\) .*one loss"):
        checks.check_cross_entropy(lambda y_hat, y: -np.log(y_hat[:, y]))
    with pytest.raises(AssertionError, match=r"expected shape \(2,\), got \(\)"):
        checks.check_cross_entropy(lambda y_hat, y: ref.cross_entropy(y_hat, y).mean())
    with pytest.raises(AssertionError, match="has the wrong sign"):
        checks.check_cross_entropy(lambda y_hat, y: -ref.cross_entropy(y_hat, y))
    first_class = lambda y_hat, y: -np.log(y_hat[:, 0])  # noqa: E731
    with pytest.raises(AssertionError, match=r"^cross_entropy\(y_hat, y\): entry \d is "
                                             r"[0-9.]+, expected [0-9.]+$"):
        checks.check_cross_entropy(first_class)


def test_check_accuracy():
    checks.check_accuracy(ref.accuracy)
    checks.check_accuracy(ref.accuracy, predicted_classes=True)
    with pytest.raises(AssertionError, match=r"expected (\d)\.0, got 0\.\d+ .*divide by len"):
        checks.check_accuracy(lambda y_hat, y: ref.accuracy(y_hat, y) / len(y))
    with pytest.raises(AssertionError, match=r"for y_hat as scores \(8, 3\) should be (\d)\.0 "
                                             r"\(\1 of 8 right\), got \d"):
        checks.check_accuracy(lambda y_hat, y: float((y_hat.argmin(axis=1).astype(y.dtype)
                                                      == y).sum()))


def test_check_sgd():
    checks.check_sgd(ref.sgd)
    checks.check_sgd(ref.sgd, lr=0.5, batch_size=1)

    def no_division(params, lr, batch_size):
        for p in params:
            p[:] = p - lr * p.grad

    def rebinding(params, lr, batch_size):
        for p in params:
            p = p - lr * p.grad / batch_size  # noqa: F841

    def returning(params, lr, batch_size):
        return [p - lr * p.grad / batch_size for p in params]

    with pytest.raises(AssertionError, match="divide the gradient by batch_size"):
        checks.check_sgd(no_division)
    with pytest.raises(AssertionError, match="left the parameters unchanged"):
        checks.check_sgd(rebinding)
    with pytest.raises(AssertionError, match="in place .* returned something"):
        checks.check_sgd(returning)


def _train_epoch(net, train_iter, loss, updater, fixed_batch=None, mean=True, fraction=True,
                 update=True):
    """helpers.train.train_epoch's loop, with one of the mistakes switched on."""
    if isinstance(updater, gluon.Trainer):
        updater = updater.step
    total, correct, n = 0.0, 0.0, 0
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        if update:
            updater(fixed_batch or X.shape[0])
        total += float(l.sum())
        correct += ref.accuracy(y_hat, y)
        n += y.size
    return total / (n if mean else 1), correct / (n if fraction else 1)


def test_check_train_epoch():
    checks.check_train_epoch(ref.train_epoch)
    checks.check_train_epoch(ref.train_epoch, use_trainer=True)
    checks.check_train_epoch(_train_epoch)
    with pytest.raises(AssertionError, match="the mean loss over the epoch should be"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, mean=False))
    with pytest.raises(AssertionError, match=r"accuracy should be a fraction in \[0, 1\]"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, fraction=False))
    with pytest.raises(AssertionError, match=r"the weights after one epoch .*X\.shape\[0\]"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, fixed_batch=32))
    with pytest.raises(AssertionError, match=r"left the parameters unchanged: call "
                                             r"updater\(X.shape\[0\]\)"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, update=False))
    with pytest.raises(AssertionError, match=r"should return a tuple \(mean loss, accuracy\)"):
        checks.check_train_epoch(lambda *a: list(_train_epoch(*a)))


def test_check_accuracy_bar():
    checks.check_accuracy_bar(0.81, 0.78, 3)
    with pytest.raises(AssertionError, match=r"^test accuracy 0\.700 after 3 epochs is not "
                                             r"above the bar 0\.78"):
        checks.check_accuracy_bar(0.7, 0.78, 3)
    with pytest.raises(AssertionError, match="a fraction in"):
        checks.check_accuracy_bar(7980, 0.78, 3)


# ---------------------------------------------------------------- lesson 4

def concise_net(units=10, init_=init.Normal(sigma=0.01), layers=1):
    net = gluon.nn.Sequential()
    for _ in range(layers - 1):
        net.add(gluon.nn.Dense(32))
    net.add(gluon.nn.Dense(units))
    if init_ is not None:
        net.initialize(init_)
    return net


def test_check_concise_net():
    checks.check_concise_net(concise_net())
    with pytest.raises(AssertionError, match=r"expected shape \(2, 10\), got \(2, 256\)"):
        checks.check_concise_net(concise_net(units=256))
    with pytest.raises(AssertionError, match="exactly one layer with weights .* found 2"):
        checks.check_concise_net(concise_net(layers=2))
    # 7,840 draws with sigma 0.1: the measured deviation lands either side of 0.1
    mx.random.seed(0)
    with pytest.raises(AssertionError, match=r"standard deviation is 0\.(09|10)[0-9]* "
                                             r"\(init.Normal\(sigma=0.01\)"):
        checks.check_concise_net(concise_net(init_=init.Normal(sigma=0.1)))
    with pytest.raises(AssertionError, match=r"net is not initialized: call net.initialize"):
        checks.check_concise_net(concise_net(init_=None))


def test_check_loss():
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    checks.check_loss(loss)
    checks.check_loss(loss, offset=1000)
    checks.check_loss(loss, batch=1)
    on_probabilities = lambda o, y: ref.cross_entropy(naive_softmax(o), y)  # noqa: E731
    checks.check_loss(on_probabilities)
    with pytest.raises(AssertionError, match=r"in loss\(logits, y\) for logits around 1000"):
        checks.check_loss(on_probabilities, offset=1000)
    with pytest.raises(AssertionError, match=r"it takes logits, not probabilities"):
        checks.check_loss(lambda o, y: ref.cross_entropy(np.abs(o) / 10, y))


def test_check_trainer():
    net = concise_net()
    checks.check_trainer(gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}),
                         net)
    with pytest.raises(AssertionError, match="use the 'sgd' optimizer, got 'Adam'"):
        checks.check_trainer(gluon.Trainer(net.collect_params(), "adam"), net)
    with pytest.raises(AssertionError, match="learning rate should be 0.1, got 0.01"):
        checks.check_trainer(gluon.Trainer(net.collect_params(), "sgd",
                                           {"learning_rate": 0.01}), net)
    other = concise_net()
    with pytest.raises(AssertionError, match="exactly the parameters of net"):
        checks.check_trainer(gluon.Trainer(other.collect_params(), "sgd",
                                           {"learning_rate": 0.1}), net)
    with pytest.raises(AssertionError, match="should be a gluon.Trainer, got dict"):
        checks.check_trainer({}, net)


# ---------------------------------------------------------------- lesson 5

def test_check_try_gpu():
    real = npx.num_gpus()
    checks.check_try_gpu(ref_devices.try_gpu, ref_devices.try_all_gpus)
    with pytest.raises(AssertionError, match=r"try_all_gpus\(\) .* should be the list"):
        checks.check_try_gpu(ref_devices.try_gpu, lambda: tuple(ref_devices.try_all_gpus()))
    with pytest.raises(AssertionError, match=r"^try_gpu\(0\) on a machine with 0 GPUs "
                                             r"should be cpu\(0\), got gpu\(0\)$"):
        checks.check_try_gpu(lambda i=0: mx.gpu(i), ref_devices.try_all_gpus)
    with pytest.raises(AssertionError, match=r"^try_gpu\(0\) on a machine with 1 GPU "
                                             r"should be gpu\(0\), got cpu\(0\)$"):
        checks.check_try_gpu(lambda i=0: mx.cpu(), ref_devices.try_all_gpus)
    with pytest.raises(AssertionError, match=r"^try_all_gpus\(\) on a machine with 1 GPUs "
                                             r"should be the list \[gpu\(0\)\]"):
        checks.check_try_gpu(ref_devices.try_gpu, lambda: [mx.cpu()])
    cell = {"mx": mx}  # a notebook that imports the counter under a name of its own
    exec("from mxnet.context import num_gpus\n"
         "def by_import(i=0):\n"
         "    return mx.gpu(i) if num_gpus() > i else mx.cpu()\n", cell)
    checks.check_try_gpu(cell["by_import"], ref_devices.try_all_gpus)
    assert npx.num_gpus() == real and mx.context.num_gpus() == real  # nothing left patched


def split_batch(X, y, devices, even_split=False):
    return (gluon.utils.split_and_load(X, devices, even_split=even_split),
            gluon.utils.split_and_load(y, devices, even_split=even_split))


def test_check_split_batch():
    two = [mx.cpu(0), mx.cpu(1)]
    checks.check_split_batch(split_batch, two, batch_size=256)
    checks.check_split_batch(split_batch, two, batch_size=255)
    checks.check_split_batch(split_batch, [mx.cpu(0), mx.cpu(1), mx.cpu(2)], batch_size=10)
    checks.check_split_batch(split_batch, [mx.cpu(0)], batch_size=16)
    with pytest.raises(AssertionError, match=r"X shard 1 is on cpu\(0\), expected cpu\(1\)"):
        checks.check_split_batch(lambda X, y, d: split_batch(X, y, [d[0], d[0]]), two)
    with pytest.raises(AssertionError, match=r"X shards of sizes \[128\] for a batch of 256"):
        checks.check_split_batch(lambda X, y, d: split_batch(X[:128], y[:128], d[:1]), [two[0]])
    with pytest.raises(AssertionError, match="the X shards put back together"):
        checks.check_split_batch(lambda X, y, d: split_batch(X[::-1], y, d), two)
    with pytest.raises(AssertionError, match=r"expected 2 y shards, one per device, got 1"):
        checks.check_split_batch(lambda X, y, d: (split_batch(X, y, d)[0], [y]), two)


def test_check_replicas():
    two = [mx.cpu(0), mx.cpu(1)]
    net = gluon.nn.Dense(10)
    net.initialize(init.Normal(sigma=0.01), ctx=two)
    net(np.zeros((2, 784), ctx=two[0]))
    checks.check_replicas(net, two)
    single = gluon.nn.Dense(10)
    single.initialize(init.Normal(sigma=0.01))
    single(np.zeros((2, 784)))
    with pytest.raises(AssertionError, match=r"lives on \[cpu\(0\)\], expected one copy on "
                                             r"each of \[cpu\(0\), cpu\(1\)\]"):
        checks.check_replicas(single, two)
    net.weight.list_data()[1][:] += 1
    with pytest.raises(AssertionError, match=r"the copy on cpu\(1\) differs from the one"):
        checks.check_replicas(net, two)




def test_check_dense_labels():
    def one_hot(y, q):
        return np.eye(q, dtype="float32")[y]
    dense = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    checks.check_dense_labels(one_hot, dense)
    checks.check_dense_labels(one_hot, dense, batch=1, q=3)
    with pytest.raises(AssertionError, match=r"^one_hot\(y, 10\): row 0 is"):
        checks.check_dense_labels(lambda y, q: 1 - one_hot(y, q), dense)
    with pytest.raises(AssertionError, match=r"expected shape \(8, 10\), got \(10, 8\)"):
        checks.check_dense_labels(lambda y, q: one_hot(y, q).T, dense)
    with pytest.raises(AssertionError, match=r"^dense_loss\(logits, one_hot\(y, q\)\): "):
        checks.check_dense_labels(one_hot, lambda o, Y: dense(o, Y) / 2)


def test_check_step_argument():
    checks.check_step_argument(sum)
    with pytest.raises(AssertionError, match=r"one shard's size: which gradient does the sum "
                                             r"of all the shards' gradients equal\?$"):
        checks.check_step_argument(lambda sizes: sizes[0])
    with pytest.raises(AssertionError, match=r"the number of devices"):
        checks.check_step_argument(lambda sizes: len(sizes))
    with pytest.raises(AssertionError, match=r"^step_argument\(\[\d+, \d+\]\) is 1: with it, "):
        checks.check_step_argument(lambda sizes: 1)

# ---------------------------------------------------------------- lesson 6

def ce_grad(O, Y):
    return stable_softmax(O) - Y


def test_check_softmax_ce_gradient():
    checks.check_softmax_ce_gradient(ce_grad)
    checks.check_softmax_ce_gradient(ce_grad, offset=1000)
    checks.check_softmax_ce_gradient(ce_grad, shape=(1, 10), dtype="float64", offset=-1000)
    checks.check_softmax_ce_gradient(ce_grad, offset=1000, mixed=True, smoothing=0.2)
    with pytest.raises(AssertionError, match="is softmax\\(O\\) alone: subtract the one-hot"):
        checks.check_softmax_ce_gradient(lambda O, Y: stable_softmax(O))
    with pytest.raises(AssertionError, match="has the wrong sign"):
        checks.check_softmax_ce_gradient(lambda O, Y: -ce_grad(O, Y))
    with pytest.raises(AssertionError, match="divided by the batch size"):
        checks.check_softmax_ce_gradient(lambda O, Y: ce_grad(O, Y) / len(Y))
    one_hot = lambda O, Y: stable_softmax(O) - npx.one_hot(Y.argmax(axis=1), O.shape[1])  # noqa: E731
    checks.check_softmax_ce_gradient(one_hot)  # right for one-hot labels
    with pytest.raises(AssertionError, match="turns Y into one-hot labels"):
        checks.check_softmax_ce_gradient(one_hot, smoothing=0.1)
    naive = lambda O, Y: naive_softmax(O) - Y  # noqa: E731
    checks.check_softmax_ce_gradient(naive)
    with pytest.raises(AssertionError, match=r"^nan in cross_entropy_grad\(O, Y\) for logits "
                                             r"around 1000"):
        checks.check_softmax_ce_gradient(naive, offset=1000)
    batch_max = lambda O, Y: naive_softmax(O - O.max()) - Y  # noqa: E731
    checks.check_softmax_ce_gradient(batch_max, offset=1000)
    with pytest.raises(AssertionError, match="in some rows and around -1000 in others"):
        checks.check_softmax_ce_gradient(batch_max, offset=1000, mixed=True)


def central(f, params, eps=1e-6):
    grads = []
    for p in params:
        grad = onp.zeros_like(p)
        for i in onp.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = f(*params)
            p[i] = old - eps
            down = f(*params)
            p[i] = old
            grad[i] = (up - down) / (2 * eps)
        grads.append(grad)
    return grads


def one_sided(f, params, eps=1e-6):
    grads, here = [], f(*params)
    for k, p in enumerate(params):
        grad = onp.zeros_like(p)
        for i in onp.ndindex(p.shape):
            step = [q.copy() for q in params]
            step[k][i] += eps
            grad[i] = (f(*step) - here) / eps
        grads.append(grad)
    return grads


def test_check_numerical_gradients():
    checks.check_numerical_gradients(central)
    checks.check_numerical_gradients(central, shapes=((7,),), eps=1e-3)
    checks.check_numerical_gradients(central, shapes=((2, 3, 2), (3,), (1,)))
    checks.check_numerical_gradients(one_sided)  # at eps = 1e-6 its error hides
    with pytest.raises(AssertionError, match="looks one-sided"):
        checks.check_numerical_gradients(one_sided, shapes=((7,),), eps=1e-3)

    def nudges(f, params, eps=1e-6):
        params[1] += eps
        return central(f, [p.copy() for p in params], eps)
    with pytest.raises(AssertionError, match=r"changed params\[1\]"):
        checks.check_numerical_gradients(nudges)

    def first_only(f, params, eps=1e-6):  # the gradient of the first array, for every array
        return [central(f, params, eps)[0]] * len(params)
    with pytest.raises(AssertionError, match=r"the gradient of params\[1\], of shape \(4,\): "
                                             r"expected shape \(4,\), got \(3, 4\)"):
        checks.check_numerical_gradients(first_only)
    with pytest.raises(AssertionError, match="should return a list of 2 gradients"):
        checks.check_numerical_gradients(lambda f, params, eps: 0.0)


def softmax_loss(X, y, W, b, reg, mistake=None):
    """The vectorised regularized loss (loss, dW, db), with one of the mistakes switched on."""
    n = X.shape[0]
    O = np.dot(X, W) + b
    O = O - (O.max() if mistake == "batch_max" else O.max(axis=1, keepdims=True))
    data = (np.log(np.exp(O).sum(axis=1)) - O[np.arange(n), y]).mean()
    penalty = reg / 2 * (W ** 2).sum()
    G = (np.exp(O) / np.exp(O).sum(axis=1, keepdims=True) - npx.one_hot(y, W.shape[1])) / n
    dW, db = np.dot(X.T, G), G.sum(axis=0)
    if mistake == "sum":
        data, dW, db = n * data, n * dW, n * db
    if mistake == "no_penalty":
        penalty = 0
    return (float(data + penalty), dW + {"no_penalty": 0, "twice": 2, "no_penalty_grad": 0}
            .get(mistake, 1) * reg * W, db + (reg * b if mistake == "bias" else 0))


def loss_with(mistake):
    return lambda *a: softmax_loss(*a, mistake=mistake)


def test_check_regularized_loss():
    checks.check_regularized_loss(softmax_loss)
    checks.check_regularized_loss(softmax_loss, n=1, d=4, q=2, reg=0.0)
    checks.check_regularized_loss(softmax_loss, scale=1000)
    for mistake, message in (("no_penalty", "the loss leaves out the penalty"),
                             ("no_penalty_grad", "dW leaves out the gradient of the penalty"),
                             ("twice", "dW's penalty part is twice"),
                             ("bias", "db holds a penalty term"),
                             ("sum", "the loss is summed over the 8 examples")):
        with pytest.raises(AssertionError, match=message):
            checks.check_regularized_loss(loss_with(mistake))
    checks.check_regularized_loss(loss_with("batch_max"))  # small logits: no harm done
    with pytest.raises(AssertionError, match="^(nan|inf) in softmax_loss the loss"):
        checks.check_regularized_loss(loss_with("batch_max"), scale=1000)

    def off_dW(*a):
        loss, dW, db = softmax_loss(*a)
        return loss, dW * 1.1, db
    with pytest.raises(AssertionError, match=r"dW\[\d, \d\] does not match finite differences "
                                             r"of your own loss"):
        checks.check_regularized_loss(off_dW)
    with pytest.raises(AssertionError, match=r"should return a tuple \(loss, dW, db\), got tuple"):
        checks.check_regularized_loss(lambda *a: softmax_loss(*a)[1:])


def loss_loops(X, y, W, b, reg):
    n, q = X.shape[0], W.shape[1]
    loss, dW, db = 0.0, np.zeros_like(W), np.zeros_like(b)
    for i in range(n):
        o = np.dot(X[i], W) + b
        o = o - o.max()
        e = np.exp(o)
        loss += float(np.log(e.sum()) - o[int(y[i])])
        for j in range(q):
            delta = e[j] / e.sum() - (1.0 if j == int(y[i]) else 0.0)
            dW[:, j] += delta * X[i]
            db[j] += delta
    return loss / n + reg / 2 * float((W ** 2).sum()), dW / n + reg * W, db / n


def test_check_vectorised():
    checks.check_regularized_loss(loss_loops, name="softmax_loss_naive")
    checks.check_vectorised(loss_loops, softmax_loss)
    with pytest.raises(AssertionError, match=r"softmax_loss took [0-9.]+ ms and "
                                             r"softmax_loss_naive [0-9.]+ ms on 50 examples"):
        checks.check_vectorised(softmax_loss, softmax_loss)
    with pytest.raises(AssertionError, match="disagree on dW for the same 50 examples"):
        checks.check_vectorised(loss_loops, loss_with("twice"))


# ---------------------------------------------------------------- lesson 7

def ece(probabilities, y, num_bins=15, clip=True):
    """A student's ECE, written otherwise than the reference: per bin, (n_k / n) times the
    gap of the means is |sum of correct - sum of confidence| / n. clip=False drops 1.0."""
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == y).astype(float)
    which = (confidence * num_bins).astype(int)
    if clip:
        which = onp.minimum(which, num_bins - 1)
    keep = which < num_bins
    gaps = (onp.bincount(which[keep], weights=correct[keep], minlength=num_bins)
            - onp.bincount(which[keep], weights=confidence[keep], minlength=num_bins))
    return float(onp.abs(gaps).sum() / len(confidence))


def test_check_ece():
    checks.check_ece(ece)
    checks.check_ece(ece, num_bins=5, edge=True)
    with pytest.raises(AssertionError, match=r"with 15 bins is 0\.\d+, expected 0\.\d+ "
                                             r"\(equal-width bins"):
        checks.check_ece(lambda c, r, b: ece(c, r, b, clip=False), edge=True)  # drops 1.0

    def unweighted(probabilities, y, num_bins):
        confidence, correct = probabilities.max(axis=1), probabilities.argmax(axis=1) == y
        which = onp.minimum((confidence * num_bins).astype(int), num_bins - 1)
        return onp.mean([abs(correct[which == k].mean() - confidence[which == k].mean())
                         for k in range(num_bins) if (which == k).any()])
    with pytest.raises(AssertionError, match="weigh each bin's gap by its share"):
        checks.check_ece(unweighted)
    from helpers.metrics import expected_calibration_error  # the lesson's: confidences
    with pytest.raises(Exception):
        checks.check_ece(expected_calibration_error)


def temperature_nll(logits, y, T):
    z = logits / T
    m = z.max(axis=1, keepdims=True)
    return float((m[:, 0] + onp.log(onp.exp(z - m).sum(axis=1)) - z[onp.arange(len(y)), y]).mean())


def fit_by_grid(logits, y):
    grid = onp.exp(onp.linspace(onp.log(0.05), onp.log(20), 2000))
    return float(min(grid, key=lambda T: temperature_nll(logits, y, T)))


def test_check_temperature_nll():
    checks.check_temperature_nll(temperature_nll)
    checks.check_temperature_nll(temperature_nll, offset=-1000, n=1)

    def naive(logits, y, T):
        with onp.errstate(all="ignore"):  # the overflow is the point
            P = onp.exp(logits / T)
            P /= P.sum(axis=1, keepdims=True)
            return float(-onp.log(P[onp.arange(len(y)), y]).mean())
    checks.check_temperature_nll(naive)
    with pytest.raises(AssertionError, match=r"^nan in nll\(logits, y, T=1\) for logits around 1000"):
        checks.check_temperature_nll(naive, offset=1000)

    def batch_max(logits, y, T):
        z = logits / T
        with onp.errstate(all="ignore"):
            return float((z.max() + onp.log(onp.exp(z - z.max()).sum(axis=1))
                          - z[onp.arange(len(y)), y]).mean())
    checks.check_temperature_nll(batch_max, offset=1000)
    with pytest.raises(AssertionError, match=r"^inf in nll\(logits, y, T=1\) for logits around "
                                             r"1000 in some rows and around -1000 in others"):
        checks.check_temperature_nll(batch_max, offset=1000, mixed=True)
    checks.check_temperature_nll(temperature_nll, offset=1000, mixed=True)
    with pytest.raises(AssertionError, match="the sum over the examples; it should be the mean"):
        checks.check_temperature_nll(lambda l, y, T: len(y) * temperature_nll(l, y, T))
    with pytest.raises(AssertionError, match="T=0.5.*divide the logits by T"):
        checks.check_temperature_nll(lambda l, y, T: temperature_nll(l, y, 1.0))


def test_check_fit_temperature():
    checks.check_fit_temperature(fit_by_grid)
    checks.check_fit_temperature(fit_by_grid, scale=0.5)
    with pytest.raises(AssertionError, match=r"returned T = 1, whose NLL .* above the best"):
        checks.check_fit_temperature(lambda logits, y: 1.0)
    with pytest.raises(AssertionError, match="should return a positive number, got -2"):
        checks.check_fit_temperature(lambda logits, y: -2.0)


def report(val_logits, val_y, test_logits, test_y, fit_on="val", measure_on="test"):
    T = fit_by_grid(*((val_logits, val_y) if fit_on == "val" else (test_logits, test_y)))
    logits, y = (test_logits, test_y) if measure_on == "test" else (val_logits, val_y)
    eces = []
    for temperature in (1.0, T):
        from helpers.checks.reference import softmax
        P = softmax(logits / temperature)
        eces.append(ece(P, y))
    return (T, *eces)


def test_check_calibration_report():
    checks.check_calibration_report(report)
    with pytest.raises(AssertionError, match=r"minimizes the NLL of the \*test\* set"):
        checks.check_calibration_report(lambda *a: report(*a, fit_on="test"))
    with pytest.raises(AssertionError, match="^ece_before is the ECE of the validation split"):
        checks.check_calibration_report(lambda *a: report(*a, measure_on="val"))
    with pytest.raises(AssertionError, match=r"should return a tuple \(T, ece_before, ece_after\)"):
        checks.check_calibration_report(lambda *a: report(*a)[:2])


# ---------------------------------------------------------------- lesson 8

def folds(y, num_folds, seed, shuffle=True):
    rng = onp.random.RandomState(seed)
    out, start = [[] for _ in range(num_folds)], 0
    for label in onp.unique(y):
        positions = onp.flatnonzero(y == label)
        if shuffle:
            rng.shuffle(positions)
        for i, position in enumerate(positions):
            out[(start + i) % num_folds].append(position)
        start += len(positions)
    return [onp.array(f, dtype=onp.int64) for f in out]


def test_check_stratified_folds():
    checks.check_stratified_folds(folds)
    checks.check_stratified_folds(folds, counts=[30, 90, 13, 7, 50], num_folds=3)
    with pytest.raises(AssertionError, match="each class is cut into folds in the order"):
        checks.check_stratified_folds(lambda y, k, s: folds(y, k, s, shuffle=False))
    with pytest.raises(AssertionError, match=r"class \d \(60 examples\) is spread over the folds "
                                             r"as \[\d+, \d+"):
        checks.check_stratified_folds(lambda y, k, s: [onp.sort(f) for f in onp.array_split(
            onp.random.RandomState(s).permutation(len(y)), k)])
    with pytest.raises(AssertionError, match="seeds 7 and 8 gave the same folds"):
        checks.check_stratified_folds(lambda y, k, s: folds(y, k, 0))
    with pytest.raises(AssertionError, match="the same seed gave two different sets of folds"):
        checks.check_stratified_folds(lambda y, k, s: folds(y, k, onp.random.randint(10**6)))
    with pytest.raises(AssertionError, match="folds 0 and 1 share 1 positions, e.g. "):
        checks.check_stratified_folds(lambda y, k, s: (lambda f: [f[0], onp.append(f[1], f[0][0])]
                                                        + f[2:])(folds(y, k, s)))
    with pytest.raises(AssertionError, match="5 values recorded where the test asks for 3"):
        checks.check_stratified_folds(folds, num_folds=3, counts=None) if False else \
            checks.check_stratified_folds(lambda y, k, s: folds(y, 5, s), num_folds=3)
    from helpers.metrics import stratified_split  # the lesson's: one split, not folds
    with pytest.raises(Exception):
        checks.check_stratified_folds(stratified_split)


def test_check_select_setting():
    by_val = lambda results: max(results, key=lambda r: r["val_acc"])  # noqa: E731
    checks.check_select_setting(by_val)
    checks.check_select_setting(by_val, with_test=False)
    with pytest.raises(AssertionError, match=r"the best \*test\* accuracy: the test set must "
                                             r"choose nothing"):
        checks.check_select_setting(lambda results: max(results, key=lambda r: r["test_acc"]))
    def neither(results):  # neither the best validation accuracy nor the best test accuracy
        best = {id(max(results, key=lambda r: r[k])) for k in ("val_acc", "test_acc")}
        return next(r for r in results if id(r) not in best)
    with pytest.raises(AssertionError, match=r"whose validation accuracy 0\.\d+ is not the best"):
        checks.check_select_setting(neither)
    with pytest.raises(AssertionError, match="should return one of the dicts in results, got int"):
        checks.check_select_setting(lambda results: 3)


class Passes:
    """An iterator's pass count, as the a8 notebook's Counted keeps it."""

    def __init__(self, passes):
        self.passes = passes


def test_check_tuning():
    candidates = (0.01, 0.1)
    results = [{"lr": 0.01, "val_acc": 0.79}, {"lr": 0.1, "val_acc": 0.82}]
    checks.check_tuning(results, results[1], candidates, Passes(2), Passes(1))
    for args, message in (
            ((results, results[0], candidates, Passes(2), Passes(1)),
             "chosen has lr=0.01: not the candidate that validation recommends"),
            ((results, results[1], candidates, Passes(2), Passes(3)),
             "test_iter was read 3 times: read the test set once"),
            (([dict(r, test_acc=0.8) for r in results], results[1], candidates, Passes(2),
              Passes(3)), r"results holds a test accuracy \(test_acc\)"),
            ((results[1:], results[1], candidates, Passes(1), Passes(1)),
             "results: 1 values recorded where the test asks for 2"),
            (([], None, candidates, Passes(0), Passes(1)),
             "results: 0 values recorded where the test asks for 2"),
            ((results, results[1], candidates, Passes(0), Passes(1)),
             "val_iter was read 0 times for 2 candidates")):
        with pytest.raises(AssertionError, match=message):
            checks.check_tuning(*args)

# ---------------------------------------------------------------- plain data and grading mode

from helpers.checks import records, session  # noqa: E402
from helpers.checks.judge import JUDGES  # noqa: E402
from helpers.checks import reference as student_reference  # noqa: E402
from grading import reference as grader_reference  # noqa: E402


def test_records_round_trip_plain_data():
    header = {"check": "softmax", "params": {"shape": [2, 3], "seed": 0}}
    record = {"P": onp.arange(6, dtype="float32").reshape(2, 3), "none": None, "text": "t",
              "items": [1, 2.5, True, "x"], "nested": {"names": onp.array(["a", "b"])},
              "object": object()}
    got_header, got = records.round_trip(header, record)
    assert got_header == header
    assert got["P"].dtype == onp.float32 and onp.array_equal(got["P"], record["P"])
    assert got["none"] is None and got["text"] == "t" and got["items"] == [1, 2.5, True, "x"]
    assert got["nested"]["names"].tolist() == ["a", "b"]
    assert got["object"] == {"__repr__": "object"}  # never the object itself


def _npz(**members):
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _npy(array):
    import io
    buffer = io.BytesIO()
    onp.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_records_refuse_what_is_not_plain():
    meta = _npy(onp.array('{"header": {"check": "x"}, "record": {}}'))
    assert records.read(_npz(**{"meta.npy": meta}))[0] == ({"check": "x"}, {})
    bad = {
        "not a zip": b"hello",
        "a pickled object": _npz(**{"meta.npy": meta,
                                    "a0.npy": _npy(onp.array([{"x": 1}], dtype=object))}),
        "an unknown member": _npz(**{"meta.npy": meta, "evil.py": b"print(1)"}),
        "no header": _npz(**{"a0.npy": _npy(onp.zeros(3))}),
        "a header that is not JSON": _npz(**{"meta.npy": _npy(onp.array("{nope"))}),
    }
    import io
    huge = io.BytesIO()  # a header that claims 10**12 values: refused before any is read
    onp.lib.format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False,
                                                 "shape": (10**12,)})
    bad["a huge array"] = _npz(**{"meta.npy": meta, "a0.npy": huge.getvalue()})
    for what, data in bad.items():
        with pytest.raises(records.RecordError):
            records.read(data)
            pytest.fail(f"read {what}")


def test_checks_record_when_graded_and_the_grader_judges(tmp_path, monkeypatch):
    """Graded, a check only writes what the student's code returned; the grader's judge decides."""
    monkeypatch.setenv(session.GRADING_DIR, str(tmp_path))
    monkeypatch.setenv(session.GRADING_SEED, "s3cret")
    session.begin("test_softmax")
    try:
        checks.check_softmax(naive_softmax, offset=1000)  # raises nothing when graded
        checks.check_softmax(stable_softmax, shape=(3, 5))
    finally:
        session.begin(None)
    checks.check_softmax(lambda X: None)  # outside a test cell: nothing is written
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["test_softmax.0.npz", "test_softmax.1.npz"]
    (header, record), _ = records.read((tmp_path / names[0]).read_bytes())
    assert header == {"check": "softmax", "params": {"shape": [256, 10], "dtype": "float32",
                                                     "offset": 1000, "seed": 0}}
    seed = session.derive_seed("s3cret", "test_softmax", 0, 0)
    assert seed != 0
    with pytest.raises(AssertionError, match=r"^nan in softmax\(X\) for logits around 1000"):
        JUDGES["softmax"](record, header["params"], seed, grader_reference)
    (header, record), _ = records.read((tmp_path / names[1]).read_bytes())
    JUDGES["softmax"](record, header["params"], session.derive_seed("s3cret", "test_softmax",
                                                                     1, 0), grader_reference)
    with pytest.raises(AssertionError, match="row 0 is"):  # other inputs: the answer is wrong
        JUDGES["softmax"](record, header["params"], 12345, grader_reference)


def test_the_two_references_agree():
    """The student's checks and the grader compare with two separate references: the same answers."""
    rng = onp.random.RandomState(3)
    x = rng.normal(0, 50, size=(7, 10))
    y = rng.randint(0, 10, size=7)
    p = student_reference.softmax(x)
    x3 = onp.random.RandomState(4).normal(0, 50, size=(2, 7, 3))
    for axis in (0, 1, -1):
        for name in ("softmax", "logsumexp"):
            a = getattr(student_reference, name)(x3, axis)
            b = getattr(grader_reference, name)(x3, axis)
            assert a.shape == b.shape and onp.allclose(a, b, rtol=1e-10, atol=1e-12), name
    for name, args in (("softmax", (x,)), ("logsumexp", (x,)), ("cross_entropy", (p, y)),
                       ("correct_count", (x, y)), ("loss", (x, y)),
                       ("sgd_step", (x, p, 0.1, 4)),
                       ("to_tensor", (rng.randint(0, 256, (3, 28, 28, 1)).astype("uint8"),)),
                       ("to_tensor", (onp.random.RandomState(6).randint(0, 256, (2, 32, 24, 3))
                                      .astype("uint8"),))):
        a, b = getattr(student_reference, name)(*args), getattr(grader_reference, name)(*args)
        assert onp.allclose(a, b, rtol=1e-10, atol=1e-12), name
        assert onp.asarray(a).dtype == onp.asarray(b).dtype, name
    assert student_reference.labels([9, 0, 3]) == grader_reference.labels([9, 0, 3])
    batches = [(rng.normal(size=(5, 4)), rng.randint(0, 3, 5)) for _ in range(3)]
    W0 = rng.normal(0, 0.01, (4, 3))
    for a, b in zip(student_reference.train_epoch(batches, W0, 0.5),
                    grader_reference.train_epoch(batches, W0, 0.5)):
        assert onp.allclose(a, b, rtol=1e-10)
    W, b = rng.normal(0, 0.01, (784, 10)), rng.normal(0, 0.01, 10)
    assert student_reference.test_accuracy(W, b) == grader_reference.test_accuracy(W, b)
    X, W, b = rng.normal(size=(7, 4)), rng.normal(size=(4, 10)), rng.normal(size=10)
    Y = 0.9 * onp.eye(10)[y] + 0.01
    assert onp.allclose(student_reference.softmax_ce_gradient(x, Y),
                        grader_reference.softmax_ce_gradient(x, Y), rtol=1e-10, atol=1e-12)
    from helpers.checks import inputs
    f, parts, w = inputs.smooth_problem([(3, 4), (4,)], 5)
    points = [a for _, _, a in parts]
    for a, b_ in zip(student_reference.smooth_gradients(parts, w, points),
                     grader_reference.smooth_gradients(parts, w, points)):
        assert a.shape == b_.shape and onp.allclose(a, b_, rtol=1e-10, atol=1e-12)
    # The student's copy measures the regularized loss's gradients by finite differences,
    # the grader's states them: they agree to the differences' error.
    for reg in (0.0, 0.3):
        (la, *ga), (lb, *gb) = (student_reference.regularized_loss(X, y, W, b, reg),
                                grader_reference.regularized_loss(X, y, W, b, reg))
        assert onp.isclose(la, lb, rtol=1e-12)
        for a, b_ in zip(ga, gb):
            assert a.shape == b_.shape and onp.allclose(a, b_, rtol=1e-7, atol=1e-9)
    confidence = onp.concatenate([rng.uniform(0.1, 1, 500), onp.ones(20)])
    correct = rng.uniform(size=520) < 0.7
    for bins in (5, 15, 50):
        assert onp.isclose(student_reference.ece(confidence, correct, bins),
                           grader_reference.ece(confidence, correct, bins), rtol=1e-12)
    for T in (0.3, 1.0, 4.0):
        assert onp.isclose(student_reference.nll(x, y, T), grader_reference.nll(x, y, T),
                           rtol=1e-12)
    logits, labels = 2.5 * rng.normal(size=(300, 10)), rng.randint(0, 10, 300)
    T1, T2 = student_reference.best_temperature(logits, labels), grader_reference.best_temperature(logits, labels)
    assert abs(student_reference.nll(logits, labels, T1) - student_reference.nll(logits, labels, T2)) < 1e-9
    for count, fraction in ((60, 0.2), (13, 0.3), (7, 1 / 6)):
        assert student_reference.validation_count(count, fraction) == \
            grader_reference.validation_count(count, fraction)
    assert onp.array_equal(student_reference.one_hot(y, 10), grader_reference.one_hot(y, 10))
    assert student_reference.step_argument([86, 85, 85]) == grader_reference.step_argument([86, 85, 85]) == 256
    results = [{"val_acc": v} for v in (0.8, 0.85, 0.85, 0.82)]
    assert student_reference.best_setting(results) == grader_reference.best_setting(results) == 1
    assert onp.array_equal(student_reference.dataset_labels("test"),
                           grader_reference.dataset_labels("test"))


def test_check_accuracy_bar_measures_the_model():
    W, b = onp.zeros((784, 10), "float32"), onp.eye(10, dtype="float32")[3]  # always class 3
    checks.check_accuracy_bar(0.1, 0.05, 3, (np.array(W), np.array(b)))
    with pytest.raises(AssertionError, match=r"^test_acc is 0\.850, but the trained model's "
                                             r"accuracy on the test set is 0\.100"):
        checks.check_accuracy_bar(0.85, 0.78, 3, (np.array(W), np.array(b)))
    with pytest.raises(AssertionError, match=r"^test accuracy 0\.100 after 3 epochs is not "
                                             r"above the bar 0\.78"):
        checks.check_accuracy_bar(0.1, 0.78, 3, (W, b))
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(10))
    net.initialize(init.Zero())
    net(np.zeros((1, 784)))
    net[0].bias.set_data(np.array(b))
    checks.check_accuracy_bar(0.1, 0.05, 3, net)
    with pytest.raises(AssertionError, match="the model to evaluate should be"):
        checks.check_accuracy_bar(0.1, 0.05, 3, concise_net(layers=2))


def test_every_message_key_exists_and_a_translation_falls_back():
    import re
    from pathlib import Path
    from helpers.checks import messages
    root = Path(checks.__file__).resolve().parents[2]
    used = set()
    for path in list((root / "helpers" / "checks").glob("*.py")) + list((root / "grading").glob("*.py")):
        text = path.read_text()
        used |= set(re.findall(r'(?:say|fail)\(\s*["\']([a-z_.]+)["\']', text))
        used |= set(re.findall(r'number_of\([^,()]+,\s*"([a-z_.]+)"', text))
    assert used == set(messages.ENGLISH), (f"unknown: {used - set(messages.ENGLISH)}, "
                                           f"unused: {set(messages.ENGLISH) - used}")
    messages.LANGUAGES["xx"] = {"none": "{name} ist None"}
    try:
        messages.LANGUAGE = "xx"
        assert messages.say("none", name="P") == "P ist None"
        assert messages.say("dtype", name="P", expected="a", got="b").startswith("P: expected")
    finally:
        messages.LANGUAGE = "en"
        del messages.LANGUAGES["xx"]
