"""The checks of grading/checks/a2_data.py: check_labels, check_to_tensor, check_batch,
check_iterators.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import pytest

from mxnet import gluon

from grading import checks


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
