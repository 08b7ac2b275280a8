"""Calibration and diagnostics on hand-made cases whose answers are known."""
import numpy as onp
import pytest

from helpers.metrics import (confusion_matrix, expected_calibration_error, fit_temperature,
                             most_confused_pairs, nll, reliability_bins, scaled_softmax,
                             stratified_split, top_label)


def test_stratified_split_keeps_class_shares_and_is_repeatable():
    y = onp.repeat(onp.arange(10), 600)
    train_idx, val_idx = stratified_split(y, val_fraction=1 / 6, seed=3)
    assert len(val_idx) == 1000 and len(train_idx) == 5000
    assert (onp.bincount(y[val_idx]) == 100).all()
    assert not set(train_idx) & set(val_idx)
    assert sorted(onp.concatenate([train_idx, val_idx])) == list(range(6000))
    again, _ = stratified_split(y, val_fraction=1 / 6, seed=3)
    other, _ = stratified_split(y, val_fraction=1 / 6, seed=4)
    assert (again == train_idx).all() and not (other == train_idx).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        stratified_split(y, val_fraction=1.5)


def test_a_perfectly_calibrated_toy_has_ece_near_zero():
    rng = onp.random.RandomState(0)
    confidence = rng.uniform(0, 1, 200000)
    correct = rng.uniform(0, 1, confidence.shape) < confidence
    assert expected_calibration_error(confidence, correct) < 0.01


def test_an_overconfident_toy_has_the_known_ece():
    # Always 90% sure, right half of the time: ECE = |0.5 - 0.9| = 0.4.
    confidence = onp.full(1000, 0.9)
    correct = onp.arange(1000) % 2 == 0
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.4)


def test_reliability_bins_by_hand():
    confidence = onp.array([0.05, 0.15, 0.15, 0.95, 1.0])
    correct = onp.array([True, False, True, True, True])
    bins = reliability_bins(confidence, correct, num_bins=10)
    assert list(bins["count"]) == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins["accuracy"][1] == 0.5 and bins["confidence"][1] == pytest.approx(0.15)
    assert onp.isnan(bins["accuracy"][2]) and bins["accuracy"][9] == 1.0
    assert bins["edges"][0] == 0 and bins["edges"][-1] == 1 and len(bins["edges"]) == 11
    # ECE by hand: bin 0 |1 - .05| * 1/5, bin 1 |.5 - .15| * 2/5, bin 9 |1 - .975| * 2/5
    expected = (0.95 * 1 + 0.35 * 2 + 0.025 * 2) / 5
    assert expected_calibration_error(confidence, correct, 10) == pytest.approx(expected)


def test_top_label_and_softmax():
    probs = scaled_softmax(onp.array([[1000.0, 0.0], [0.0, 2.0]]))
    assert onp.isfinite(probs).all() and onp.allclose(probs.sum(axis=1), 1)
    confidence, correct = top_label(probs, onp.array([0, 0]))
    assert list(correct) == [True, False] and confidence[0] == 1.0


def test_temperature_recovers_a_known_temperature():
    # Labels drawn from softmax(z / 2): the NLL-optimal temperature for logits z is 2.
    rng = onp.random.RandomState(0)
    z = rng.normal(0, 4, (20000, 5))
    p = scaled_softmax(z, 2.0)
    y = (p.cumsum(axis=1) > rng.uniform(size=(len(p), 1))).argmax(axis=1)
    T = fit_temperature(z, y)
    assert T == pytest.approx(2.0, rel=0.05)
    assert nll(z, y, T) < nll(z, y, 1.0)


def test_confusion_matrix_and_most_confused_pairs():
    y_true = onp.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    y_pred = onp.array([0, 1, 1, 1, 0, 2, 1, 1, 1])
    counts = confusion_matrix(y_true, y_pred, num_classes=3)
    assert counts.tolist() == [[1, 2, 0], [1, 1, 0], [0, 3, 1]]
    assert most_confused_pairs(counts, k=2) == [(2, 1, 3), (0, 1, 2)]
    assert most_confused_pairs(onp.eye(3, dtype=int)) == []
