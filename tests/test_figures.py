"""The figures show what their captions say, and the ECE has one definition.

- A reliability diagram's bars cover their bins (left edge to right edge); each bin's
  (mean confidence, accuracy) is marked where it is, with the gap between the two.
- Weight templates share one colour scale, symmetric about 0.
- The one-layer network figure has d inputs, q outputs and d x q connections.
- The class-region figure has a legend naming each class.
- The lesson's ECE and assignment a7's reference bin the same way, edges included; its
  bootstrap noise is measured on the same resamples before and after a change.
"""
import matplotlib
import numpy as onp
import pytest

matplotlib.use("Agg")

from grading.checks.reference import ece as reference_ece  # noqa: E402
from helpers.metrics import (bootstrap_ece, expected_calibration_error,  # noqa: E402
                             paired_bootstrap_ece, reliability_bins)
from helpers.plot import (class_regions_figure, network_figure, plot_history,  # noqa: E402
                          reliability_comparison, reliability_figure, weight_templates)


def test_reliability_bars_cover_their_bins_and_points_sit_at_the_mean_confidence():
    # A top bin [14/15, 1) whose predictions sit near 1 and are right 97.5% of the time:
    # over-confident, though its accuracy is above the diagonal at the bin's centre.
    confidence = onp.array([0.99] * 40 + [0.5] * 10)
    correct = onp.array([True] * 39 + [False] + [True] * 5 + [False] * 5)
    bins = reliability_bins(confidence, correct, num_bins=15)
    fig = reliability_figure(bins)
    bars, gaps, points = fig.data[0], fig.data[1], fig.data[2]
    width = 1 / 15
    assert bars.offset == 0 and onp.allclose(bars.width, width)
    assert onp.allclose(bars.x, [7 / 15, 14 / 15]), "each bar starts at its bin's left edge"
    top = 1
    assert bars.y[top] == pytest.approx(0.975) and bars.y[top] > (14.5 / 15)
    assert points.x[top] == pytest.approx(0.99) and points.y[top] == pytest.approx(0.975)
    assert points.y[top] < points.x[top], "below the diagonal: over-confident"
    assert gaps.base[top] == pytest.approx(0.975) and gaps.y[top] == pytest.approx(0.015)
    assert "214,39,40" in gaps.marker.color[top], "an over-confident gap is red"
    assert list(bars.text) == ["10", "40"]


def test_the_comparison_puts_both_diagrams_on_one_scale():
    c, k = onp.array([0.3, 0.9, 0.95]), onp.array([False, True, True])
    fig = reliability_comparison(reliability_bins(c, k), reliability_bins(c ** 0.5, k),
                                 ["Test, T = 1", "Test, T = 0.9"])
    assert [a.text for a in fig.layout.annotations] == ["Test, T = 1", "Test, T = 0.9"]
    assert fig.layout.xaxis.range == fig.layout.xaxis2.range == (0, 1)
    assert fig.layout.yaxis.range == (0, 1.12) and fig.layout.yaxis2.matches == "y"


def test_weight_templates_share_one_symmetric_colour_scale():
    W = onp.zeros((10, 784))
    W[0, :] = 0.01  # a faint template
    W[1, :] = -0.5  # a strong negative one
    W[2, 100] = 0.2
    axes = weight_templates(W, [str(i) for i in range(10)])
    limits = {ax.images[0].get_clim() for ax in axes if ax.images}
    assert limits == {(-0.5, 0.5)}, limits
    assert axes[0].images[0].get_cmap().name == "gray_r", "dark is a positive weight"
    matplotlib.pyplot.close("all")


def test_the_network_figure_joins_every_input_to_every_output():
    ax = network_figure(num_inputs=4, num_outputs=3)
    labels = sorted(t.get_text() for t in ax.texts if t.get_text().startswith("$"))
    assert labels == sorted([f"$x_{{{i}}}$" for i in range(1, 5)] +
                            [f"$o_{{{j}}}$" for j in range(1, 4)])
    arrows = [t for t in ax.texts if t.get_text() == "" and getattr(t, "arrow_patch", None)]
    assert len(arrows) == 12
    matplotlib.pyplot.close("all")


def test_the_class_regions_have_a_legend():
    W = onp.array([[2.0, -1.0, -1.0], [0.0, 1.5, -1.5]])
    fig = class_regions_figure(W, onp.zeros(3))
    heatmap, *legend = fig.data
    assert [t.name for t in legend] == ["class 1", "class 2", "class 3"]
    assert all(t.showlegend is not False for t in legend)
    assert set(onp.unique(heatmap.z)) == {1, 2, 3}, "classes counted from 1, as in the legend"


def test_the_held_out_curve_is_named_for_its_split():
    history = {"train_loss": [0.5], "train_acc": [0.8], "test_acc": [0.79]}
    assert [t.name for t in plot_history(history, held_out="val").data][2] == "val acc"
    assert [t.name for t in plot_history(history).data][2] == "test acc"
    with pytest.raises(ValueError, match="held_out"):
        plot_history(history, held_out="train")


@pytest.mark.parametrize("num_bins", [5, 10, 15, 50])
def test_one_definition_of_the_ece_bins(num_bins):
    """Confidences exactly on the edges, and random ones: the lesson's ECE is a7's."""
    rng = onp.random.RandomState(num_bins)
    edges = onp.arange(num_bins + 1) / num_bins
    confidence = onp.concatenate([edges, edges, rng.uniform(0, 1, 500)])
    correct = rng.uniform(0, 1, len(confidence)) < 0.7
    assert expected_calibration_error(confidence, correct, num_bins) == \
        pytest.approx(reference_ece(confidence, correct, num_bins), abs=1e-12)
    bins = reliability_bins(confidence, correct, num_bins)
    assert bins["count"][0] >= 2 and bins["count"].sum() == len(confidence)


def test_the_bootstrap_measures_the_ece_noise_on_paired_resamples():
    rng = onp.random.RandomState(0)
    confidence = rng.uniform(0.2, 1, 4000)
    correct = rng.uniform(0, 1, 4000) < confidence
    samples = bootstrap_ece(confidence, correct, num_samples=200)
    assert samples.shape == (200,) and 0 < samples.std() < 0.02
    before, after = paired_bootstrap_ece((confidence, correct), (confidence, correct),
                                         num_samples=50)
    assert onp.array_equal(before, after), "the same resamples for both"
    assert onp.array_equal(bootstrap_ece(confidence, correct, num_samples=50), before)
    with pytest.raises(ValueError, match="same examples"):
        paired_bootstrap_ece((confidence, correct), (confidence[:10], correct[:10]))
