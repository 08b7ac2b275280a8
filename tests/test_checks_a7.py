"""The checks of grading/checks/a7_calibration.py: check_ece, check_temperature_nll,
check_fit_temperature, check_calibration_report.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import numpy as onp
import pytest


from grading import checks


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
        from grading.checks.reference import softmax
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
