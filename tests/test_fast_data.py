"""The in-memory data path gives what the classic DataLoader gives, faster."""
import numpy as onp
import pytest
import mxnet as mx
from mxnet import gluon, init, np
from mxnet.gluon import nn

from helpers.data import load_data_fashion_mnist
from helpers.fast_data import ArrayLoader, load_data_in_memory, to_tensor
from helpers.train import train



def indexed_images(n):
    """n uint8 images (n, 28, 28, 1) whose first two pixels spell their index."""
    images = onp.random.RandomState(0).randint(0, 256, (n, 28, 28, 1)).astype("uint8")
    images[:, 0, 0, 0] = onp.arange(n) // 256
    images[:, 0, 1, 0] = onp.arange(n) % 256
    return images


def indices_of(X):
    """Recover the indices spelled by indexed_images from ToTensor'd batches."""
    pixels = onp.rint(X.asnumpy()[:, 0, 0, :2] * 255).astype(int)
    return pixels[:, 0] * 256 + pixels[:, 1]


def classic_loader(images, labels, batch_size, shuffle):
    dataset = gluon.data.ArrayDataset(np.array(images, dtype="uint8"), labels)
    return gluon.data.DataLoader(
        dataset.transform_first(gluon.data.vision.transforms.ToTensor()), batch_size,
        shuffle=shuffle, num_workers=0)


@pytest.mark.parametrize("shuffle", [False, True])
def test_both_paths_yield_every_example_once_per_epoch(shuffle):
    n, batch_size = 1000, 64
    images, labels = indexed_images(n), onp.arange(n, dtype="int32") % 10
    fast = ArrayLoader(to_tensor(images), labels, batch_size, shuffle=shuffle)
    classic = classic_loader(images, labels, batch_size, shuffle)
    for loader in (fast, classic):
        for _ in range(2):  # two epochs, each complete
            seen = onp.concatenate([indices_of(X) for X, _ in loader])
            assert sorted(seen) == list(range(n))
            labels_seen = onp.concatenate([y.asnumpy() for _, y in loader])
            assert len(labels_seen) == n
    assert len(fast) == len(classic) == 16


def test_same_shapes_and_dtypes_and_shuffled_epochs_differ():
    images, labels = indexed_images(600), onp.arange(600, dtype="int32") % 10
    fast = ArrayLoader(to_tensor(images), labels, 256, shuffle=True)
    classic = classic_loader(images, labels, 256, shuffle=True)
    (Xf, yf), (Xc, yc) = next(iter(fast)), next(iter(classic))
    assert (Xf.shape, Xf.dtype, yf.shape, yf.dtype) == (Xc.shape, Xc.dtype, yc.shape, yc.dtype)
    assert Xf.shape == (256, 1, 28, 28) and Xf.dtype == onp.float32 and yf.dtype == onp.int32
    first, second = (indices_of(next(iter(fast))[0]) for _ in range(2))
    assert list(first) != list(second)


def test_the_same_seed_gives_the_same_order():
    images, labels = indexed_images(500), onp.arange(500, dtype="int32") % 10
    orders = []
    for _ in range(2):
        loader = ArrayLoader(to_tensor(images), labels, 100, shuffle=True,
                             rng=onp.random.RandomState(7))
        orders.append(onp.concatenate([indices_of(X) for X, _ in loader]))
    assert (orders[0] == orders[1]).all()


def test_without_shuffle_batches_are_bit_identical_on_the_real_test_set(fashion_mnist_dir):
    _, fast_test = load_data_in_memory(256, root=fashion_mnist_dir)
    _, classic_test = load_data_fashion_mnist(256, root=fashion_mnist_dir, num_workers=0)
    count = 0
    for (Xf, yf), (Xc, yc) in zip(fast_test, classic_test):
        assert Xf.shape == Xc.shape and Xf.dtype == Xc.dtype
        assert onp.array_equal(Xf.asnumpy(), Xc.asnumpy())
        assert onp.array_equal(yf.asnumpy(), yc.asnumpy())
        count += len(yf)
    assert count == 10000


def test_data_can_live_on_another_device():
    images, labels = indexed_images(100), onp.arange(100, dtype="int32") % 10
    loader = ArrayLoader(to_tensor(images), labels, 32, shuffle=True, device=mx.cpu(1))
    X, y = next(iter(loader))
    assert X.ctx == mx.cpu(1) and y.ctx == mx.cpu(1)


def train_concise(train_iter, test_iter, num_epochs=1):
    onp.random.seed(0)
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    history = train(net, train_iter, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(),
                    num_epochs, trainer)
    return net, history


def test_both_paths_train_the_same_model_from_the_same_batches(fashion_mnist_dir):
    """Unshuffled, both paths feed bit-identical batches: one epoch gives the same weights
    and the same accuracy on either path (the lessons' bars are checked by the lessons)."""
    from helpers.data import load_arrays
    a = load_arrays(fashion_mnist_dir)
    fast = (ArrayLoader(to_tensor(a["train_images"]), a["train_labels"], 256),
            ArrayLoader(to_tensor(a["test_images"]), a["test_labels"], 256))
    classic = (classic_loader(a["train_images"], a["train_labels"], 256, shuffle=False),
               classic_loader(a["test_images"], a["test_labels"], 256, shuffle=False))
    net_fast, h_fast = train_concise(*fast)
    net_classic, h_classic = train_concise(*classic)
    for p_fast, p_classic in zip(net_fast.collect_params().values(),
                                 net_classic.collect_params().values()):
        assert onp.allclose(p_fast.data().asnumpy(), p_classic.data().asnumpy(),
                            rtol=0, atol=1e-6)
    assert h_fast["test_acc"] == h_classic["test_acc"]
    assert 0.75 < h_fast["test_acc"][-1] <= 1  # one epoch already learns
