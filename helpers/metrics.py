"""Calibration and diagnostics of a classifier (notebook 07_calibration).

All functions take NumPy arrays: logits (n, q), probabilities (n, q), labels (n,).
"""
import numpy as onp


def stratified_split(y, val_fraction=1 / 6, seed=0):
    """Split example indices into (train_idx, val_idx) with the same share of every class.

    y: (n,) class labels. Each class gives round(val_fraction * its count) examples to
    validation, drawn with a fixed seed. Both index arrays are sorted.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    rng = onp.random.RandomState(seed)
    train_idx, val_idx = [], []
    for c in onp.unique(y):
        idx = onp.flatnonzero(y == c)
        rng.shuffle(idx)
        k = int(round(len(idx) * val_fraction))
        val_idx.append(idx[:k])
        train_idx.append(idx[k:])
    return onp.sort(onp.concatenate(train_idx)), onp.sort(onp.concatenate(val_idx))


def scaled_softmax(logits, temperature=1.0):
    """Softmax of logits / temperature, stably, in NumPy. logits: (n, q). Returns (n, q)."""
    from scipy.special import softmax  # imported here: importing helpers stays cheap
    return softmax(onp.asarray(logits, dtype=onp.float64) / temperature, axis=1)


def top_label(probs, y):
    """Top-label confidence and correctness. probs: (n, q); y: (n,). Returns two (n,) arrays."""
    probs = onp.asarray(probs)
    return probs.max(axis=1), probs.argmax(axis=1) == onp.asarray(y)


def reliability_bins(confidence, correct, num_bins=15):
    """Equal-width bins of confidence in [0, 1], with their accuracy.

    confidence: (n,) in [0, 1]; correct: (n,) booleans. Bin b (0-based) holds the
    confidences in [b/B, (b+1)/B), and a confidence of exactly 1 falls in the last bin:
    the one definition of the kit, the lesson's and assignment a7's alike (Guo et al.
    close their bins on the right instead; only confidences exactly on an edge move).
    Returns a dict of arrays: edges (num_bins + 1,), count, confidence (mean per bin),
    accuracy (per bin); the last two are nan for empty bins.
    """
    confidence = onp.asarray(confidence, dtype=onp.float64)
    correct = onp.asarray(correct, dtype=onp.float64)
    edges = onp.linspace(0, 1, num_bins + 1)
    which = onp.minimum((confidence * num_bins).astype(int), num_bins - 1)
    count = onp.bincount(which, minlength=num_bins)
    with onp.errstate(invalid="ignore", divide="ignore"):
        mean_conf = onp.bincount(which, confidence, num_bins) / count
        accuracy = onp.bincount(which, correct, num_bins) / count
    return {"edges": edges, "count": count, "confidence": mean_conf, "accuracy": accuracy}


def expected_calibration_error(confidence, correct, num_bins=15):
    """ECE: the bins' |accuracy - confidence|, weighted by their share of the examples.

    ECE = sum_b (n_b / n) |acc_b - conf_b| over equal-width bins b (see reliability_bins).
    0 is perfect.
    """
    bins = reliability_bins(confidence, correct, num_bins)
    used = bins["count"] > 0
    weights = bins["count"][used] / bins["count"].sum()
    return float((weights * onp.abs(bins["accuracy"][used] - bins["confidence"][used])).sum())


def bootstrap_ece(confidence, correct, num_bins=15, num_samples=1000, seed=0):
    """The ECE of `num_samples` bootstrap resamples of the predictions: (num_samples,).

    Each resample draws n of the n predictions with replacement (a seeded RandomState).
    Their spread (standard deviation) is how much the ECE moves with the particular
    examples measured; for a given set of predictions, differences in ECE smaller than
    that spread are noise. Pass one index set to compare two ECEs on the same resamples:
    see paired_bootstrap_ece.
    """
    confidence, correct = onp.asarray(confidence), onp.asarray(correct)
    rng = onp.random.RandomState(seed)
    n = len(confidence)
    return onp.array([expected_calibration_error(confidence[i], correct[i], num_bins)
                      for i in (rng.randint(0, n, n) for _ in range(num_samples))])


def paired_bootstrap_ece(before, after, num_bins=15, num_samples=1000, seed=0):
    """ECE before and after a change, on the same bootstrap resamples of the same examples.

    before, after: (confidence, correct) pairs of arrays over the same n examples (say,
    without and with temperature scaling). Returns (ece_before, ece_after), two
    (num_samples,) arrays whose k-th entries come from the same resample.
    """
    (c0, k0), (c1, k1) = [tuple(onp.asarray(a) for a in pair) for pair in (before, after)]
    rng = onp.random.RandomState(seed)
    n = len(c0)
    e0, e1 = [], []
    for _ in range(num_samples):
        i = rng.randint(0, n, n)
        e0.append(expected_calibration_error(c0[i], k0[i], num_bins))
        e1.append(expected_calibration_error(c1[i], k1[i], num_bins))
    return onp.array(e0), onp.array(e1)


def nll(logits, y, temperature=1.0):
    """Mean negative log-likelihood of labels y under softmax(logits / temperature)."""
    from scipy.special import log_softmax
    log_probs = log_softmax(onp.asarray(logits, dtype=onp.float64) / temperature, axis=1)
    return float(-log_probs[onp.arange(len(log_probs)), onp.asarray(y)].mean())


def fit_temperature(logits, y, bounds=(0.05, 20.0)):
    """The temperature T > 0 that minimizes the NLL of softmax(logits / T) on (logits, y).

    One scalar, fitted on held-out data (never the test set). Dividing by T keeps the
    argmax, so accuracy does not change; only the confidence does.
    """
    from scipy.optimize import minimize_scalar
    result = minimize_scalar(lambda log_t: nll(logits, y, onp.exp(log_t)),
                             bounds=onp.log(bounds), method="bounded",
                             options={"xatol": 1e-6})
    return float(onp.exp(result.x))


def confusion_matrix(y_true, y_pred, num_classes=10):
    """counts[i, j] = number of examples of true class i predicted as class j."""
    y_true, y_pred = onp.asarray(y_true), onp.asarray(y_pred)
    counts = onp.zeros((num_classes, num_classes), dtype=onp.int64)
    onp.add.at(counts, (y_true, y_pred), 1)
    return counts


def most_confused_pairs(counts, k=5):
    """The k largest off-diagonal entries as (true class, predicted class, count), largest first."""
    off = counts.copy()
    onp.fill_diagonal(off, 0)
    order = onp.argsort(off, axis=None)[::-1][:k]
    return [(int(i), int(j), int(off[i, j])) for i, j in zip(*onp.unravel_index(order, off.shape))
            if off[i, j] > 0]
