"""The inputs each check gives the student's code: NumPy arrays drawn from a seed.

The same seed gives the same inputs in the student's kernel and in the grader, which
regenerates them instead of trusting what a kernel says it received. When work is graded,
every seed is drawn fresh, so no answer can be looked up in advance.
"""
import numpy as onp

from helpers.checks import reference


def rng(seed):
    """A NumPy RandomState for `seed` (any int; reduced to 32 bits)."""
    return onp.random.RandomState(int(seed) % 2**32)


def logits(shape, dtype, offset, seed, mixed=False, axis=-1):
    """Random logits of `shape` around `offset`, rounded to `dtype` as the student sees them.

    mixed: each row (each slice along `axis`) lies around +offset or -offset, both kinds in
    one batch: a softmax that subtracts the whole batch's maximum, not each row's, fails.
    """
    shape = tuple(shape)
    x = rng(seed).normal(0, 3, size=shape)
    return (x + row_offsets(shape, offset, seed, axis) if mixed else x + offset).astype(dtype)


def row_offsets(shape, offset, seed, axis=-1):
    """+offset or -offset for each row of an array of `shape` (each slice along `axis`),
    broadcastable to it; the first row +offset, the second -offset, the others at random."""
    rows = list(shape)
    rows[axis] = 1
    signs = rng(seed + 7).choice([-1.0, 1.0], size=rows).ravel()
    signs[:2] = [1.0, -1.0][:signs.size]
    return offset * signs.reshape(rows)


def label_indices(labels, seed):
    """The class indices check_labels passes: `labels` as given, or all ten in a seeded order."""
    if labels is not None:
        return onp.asarray(labels, dtype="int32").ravel()
    return rng(seed).permutation(10).astype("int32")


def images(n, dtype, seed, height=28, width=28, channels=1):
    """Images (n, height, width, channels) of `dtype` with values 0..255: channels last."""
    return rng(seed).randint(0, 256, size=(n, height, width, channels)).astype(dtype)


def probabilities_and_labels(batch, dtype, seed):
    """y_hat (batch, q) rows of probabilities and y (batch,) int32 labels; batch None: (2, 3)."""
    r = rng(seed)
    n, q = (2, 3) if batch is None else (batch, 10)
    z = r.normal(0, 2, size=(n, q))
    y_hat = reference.softmax(z).astype(dtype)
    return y_hat, r.randint(0, q, size=n).astype("int32")


def scores_and_labels(seed, n=8, q=3):
    """Scores (n, q) float32 without ties and labels (n,) int32, about half of them right."""
    r = rng(seed)
    scores = r.permutation(n * q).reshape(n, q).astype("float32") / (n * q)
    labels = scores.argmax(axis=1).astype("int32")
    wrong = r.permutation(n)[: n // 2]
    labels[wrong] = (labels[wrong] + 1 + r.randint(0, q - 1, size=wrong.size)) % q
    return scores, labels


def sgd_parameters(seed):
    """W (3, 2), b (2,) and their gradients gW, gb, all float32."""
    r = rng(seed)
    return tuple(r.normal(0, 1, size=s).astype("float32") for s in ((3, 2), (2,), (3, 2), (2,)))


def toy_problem(n, batch_size, seed):
    """A 3-class problem with 4 features as a list of (X (batch, 4), y (batch,)) NumPy batches,
    the last one smaller, and initial weights W (4, 3) ~ N(0, 0.01)."""
    r = rng(seed)
    x = r.normal(0, 1, size=(n, 4)).astype("float32")
    y = ((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0.5).astype("int32")).astype("int32")
    batches = [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, n, batch_size)]
    W = r.normal(0, 0.01, size=(4, 3)).astype("float32")
    return batches, W


def logits_and_labels(batch, offset, seed):
    """Logits (batch, 10) float32 around `offset` and labels (batch,) int32."""
    x = logits((batch, 10), "float32", offset, seed)
    return x, rng(seed + 1).randint(0, 10, size=batch).astype("int32")


def small_batch(batch_size, seed):
    """A minibatch X (batch_size, 1, 28, 28) float32 and y (batch_size,) int32 to split."""
    r = rng(seed)
    x = r.normal(0, 1, size=(batch_size, 1, 28, 28)).astype("float32")
    return x, r.randint(0, 10, size=batch_size).astype("int32")


def input_matrix(seed):
    """Logits X (2, 3) float32 for check_keeps_input."""
    return rng(seed).normal(0, 3, size=(2, 3)).astype("float32")


# ---------------------------------------------------------------- lessons 6 to 8

def logits_and_integer_labels(shape, dtype, offset, seed, mixed=False):
    """Logits of `shape` (batch, q) around `offset` as `dtype` (mixed: as in `logits`), and
    labels (batch,) int32."""
    x = logits(shape, dtype, offset, seed, mixed)
    return x, rng(seed + 1).randint(0, shape[1], size=shape[0]).astype("int32")


def label_distributions(y, q, smoothing, dtype):
    """Labels y (batch,) as rows (batch, q) of `dtype`: one-hot, or with `smoothing` > 0 the
    one-hot row mixed with the uniform one, (1 - smoothing) * one_hot + smoothing / q."""
    Y = onp.eye(q)[onp.asarray(y)]
    return ((1 - smoothing) * Y + smoothing / q).astype(dtype)


def smooth_function(shape, seed):
    """(c, d, x): f(x) = sum(c * sin(x)) + sum(d * x**2) / 2, whose gradient is c cos x + d x,
    and a point x of `shape`, all float64."""
    r = rng(seed)
    c, d = r.normal(0, 1, size=shape), r.uniform(0.5, 2, size=shape)
    return c, d, r.uniform(-2, 2, size=shape)


def smooth_problem(shapes, seed):
    """(f, parts, w): f(*arrays) = sum_k [sum(c_k sin a_k) + sum(d_k a_k^2) / 2]
    + (sum_k w_k sum(a_k))^2 / 2, parts[k] = (c_k, d_k, a point a_k) as in smooth_function,
    and the weights w (one per array): a smooth function of several float64 arrays."""
    parts = [smooth_function(tuple(s), seed + k) for k, s in enumerate(shapes)]
    w = rng(seed + 99).uniform(0.2, 0.6, size=len(shapes))

    def f(*arrays):
        arrays = [onp.asarray(a, dtype=onp.float64) for a in arrays]
        total = sum(wk * a.sum() for wk, a in zip(w, arrays))
        return float(sum((c * onp.sin(a)).sum() + (d * a ** 2).sum() / 2
                         for (c, d, _), a in zip(parts, arrays)) + total * total / 2)
    return f, parts, w


def regression_problem(n, d, q, seed):
    """X (n, d), y (n,) int32, W (d, q), b (q,): a softmax regression's data and parameters, float64."""
    r = rng(seed)
    return (r.normal(0, 1, size=(n, d)), r.randint(0, q, size=n).astype("int32"),
            r.normal(0, 0.5, size=(d, q)), r.normal(0, 0.5, size=q))


def confidences(n, seed, edge=False):
    """(confidence (n,) float64 in [0.1, 1], correct (n,) bool): an overconfident model's
    top-label confidences; with `edge`, one in twenty is exactly 1 (and not always right)."""
    r = rng(seed)
    confidence = r.uniform(0.1, 1.0, size=n)
    if edge:
        confidence[r.permutation(n)[: n // 20]] = 1.0
    correct = r.uniform(0, 1, size=n) < onp.minimum(confidence, 0.95) ** 1.5
    return confidence, correct


def predictions(n, seed, edge=False, q=10):
    """(probabilities (n, q) float64, y (n,) int32) of an overconfident model: each row's
    largest entry is its confidence, in [0.2, 1] (with `edge`, one in twenty exactly 1),
    the rest of the row spread over the other classes; y is that class when the prediction
    is right, another class when not."""
    r = rng(seed)
    confidence = r.uniform(0.2, 1.0, size=n)
    if edge:
        confidence[r.permutation(n)[: n // 20]] = 1.0
    correct = r.uniform(0, 1, size=n) < onp.minimum(confidence, 0.95) ** 1.5
    top = r.randint(0, q, size=n)
    rest = r.uniform(0.5, 1.5, size=(n, q))
    rest[onp.arange(n), top] = 0
    rest *= ((1 - confidence) / rest.sum(axis=1))[:, None]  # each below 1.5 * 0.8 / 9 < 0.2
    probabilities = rest
    probabilities[onp.arange(n), top] = confidence
    y = onp.where(correct, top, (top + r.randint(1, q, size=n)) % q).astype("int32")
    return probabilities, y


def probe_entries(shape, k, seed):
    """k distinct entries (i, j) of a matrix of `shape`, drawn from `seed`."""
    flat = rng(seed + 5).permutation(shape[0] * shape[1])[:k]
    return [(int(i // shape[1]), int(i % shape[1])) for i in flat]


def scaled_logits(n, q, scale, offset, seed, mixed=False):
    """Logits (n, q) float64 and labels (n,) int32 of a model whose confidence is off by
    `scale` (above 1: overconfident, below 1: underconfident), shifted by `offset` (mixed:
    each row by +offset or -offset, as in `logits`)."""
    r = rng(seed)
    y = r.randint(0, q, size=n).astype("int32")
    z = r.normal(0, 1, size=(n, q))
    z[onp.arange(n), y] += 1.5
    return scale * z + (row_offsets((n, q), offset, seed) if mixed else offset), y


def class_labels(counts, seed):
    """Labels (sum(counts),) int32 with counts[c] examples of class c, in a seeded order."""
    y = onp.concatenate([onp.full(k, c, dtype="int32") for c, k in enumerate(counts)])
    return y[rng(seed).permutation(len(y))]


def tuning_results(seed, with_test=True):
    """A list of six dicts {lr, wd, val_acc[, test_acc]}: a grid's results, in which the
    best test accuracy belongs to another setting than the best validation accuracy, and
    not to the first one."""
    r = rng(seed)
    grid = [(lr, wd) for lr in (0.01, 0.03, 0.1) for wd in (0.0, 1e-3)]
    val = (0.80 + 0.0005 * r.permutation(120)[:len(grid)]).round(4)  # no two alike
    test = (val - 0.005 + r.uniform(-0.003, 0.003, size=len(grid))).round(4)
    best_val = int(val.argmax())
    other = int(r.choice([i for i in range(1, len(grid)) if i != best_val]))
    test[other] = round(float(test.max()) + 0.004, 4)  # the test set would pick another one
    results = []
    for (lr, wd), v, t in zip(grid, val, test):
        entry = {"lr": lr, "wd": wd, "val_acc": float(v)}
        if with_test:
            entry["test_acc"] = float(t)
        results.append(entry)
    return results


def shard_sizes(seed):
    """Three lists of shard sizes, one per device, of batches split over 2, 3 and 4 devices."""
    r = rng(seed)
    out = []
    for k in (2, 3, 4):
        batch = int(r.randint(8 * k, 300))
        out.append([batch // k + (1 if i < batch % k else 0) for i in range(k)])
    return out
