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
    which = _bin_of(confidence, num_bins)
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


def _bin_of(confidence, num_bins):
    """The bin of each confidence: b with b/B <= confidence < (b+1)/B, 1 in the last."""
    return onp.minimum((confidence * num_bins).astype(int), num_bins - 1)


def _resampled_eces(confidence, correct, num_bins, samples):
    """The ECE of each resample (an index array) of the same predictions, quickly."""
    confidence = onp.asarray(confidence, dtype=onp.float64)
    correct = onp.asarray(correct, dtype=onp.float64)
    which = _bin_of(confidence, num_bins)
    out = []
    for i in samples:
        count = onp.bincount(which[i], minlength=num_bins)
        gap = onp.abs(onp.bincount(which[i], correct[i], num_bins)
                      - onp.bincount(which[i], confidence[i], num_bins))
        out.append(gap.sum() / count.sum())  # sum_b (n_b/n) |acc_b - conf_b|
    return onp.array(out)


def bootstrap_ece(confidence, correct, num_bins=15, num_samples=1000, seed=0):
    """The ECE of `num_samples` bootstrap resamples of the predictions: (num_samples,).

    Each resample draws n of the n predictions with replacement (a seeded RandomState).
    Their spread (standard deviation) is how much the ECE moves with the particular
    examples measured; a difference in ECE smaller than that spread is noise. To compare
    two ECEs of the same examples, use paired_bootstrap_ece.
    """
    n = len(confidence)
    rng = onp.random.RandomState(seed)
    samples = [rng.randint(0, n, n) for _ in range(num_samples)]
    return _resampled_eces(confidence, correct, num_bins, samples)


def paired_bootstrap_ece(before, after, num_bins=15, num_samples=1000, seed=0):
    """ECE before and after a change, on the same bootstrap resamples of the same examples.

    before, after: (confidence, correct) pairs of arrays over the same n examples (say,
    without and with temperature scaling). Returns (ece_before, ece_after), two
    (num_samples,) arrays whose k-th entries come from the same resample.
    """
    n = len(before[0])
    if len(after[0]) != n:
        raise ValueError(f"before and after must describe the same examples: {n} and "
                         f"{len(after[0])} predictions")
    rng = onp.random.RandomState(seed)
    samples = [rng.randint(0, n, n) for _ in range(num_samples)]
    return (_resampled_eces(*before, num_bins, samples),
            _resampled_eces(*after, num_bins, samples))


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
