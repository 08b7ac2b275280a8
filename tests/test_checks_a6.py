"""The checks of grading/checks/a6_gradient.py: check_softmax_ce_gradient,
check_numerical_gradients, check_regularized_loss, check_vectorised.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import numpy as onp
import pytest

from mxnet import np, npx

from grading import checks
from tests.check_answers import naive_softmax, stable_softmax


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
