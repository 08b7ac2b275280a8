"""Explorers and figures, driven headless: set a control, call update, read the figure."""
import matplotlib
import numpy as onp
import plotly.io as pio
import pytest

from helpers.explorers import (PredictionBrowser, SoftmaxExplorer, prediction_figure,
                               softmax_probabilities)
from helpers.plot import (ProgressChart, confusion_figure, figure_bundle, plot_history,
                          reliability_figure, show_images, use_offline_plotly)

matplotlib.use("Agg")
LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
          "sandal", "shirt", "sneaker", "bag", "ankle boot"]


def test_softmax_probabilities_and_temperature():
    p = softmax_probabilities([1000.0, 0.0, -1000.0])
    assert onp.isfinite(p).all() and p[0] == pytest.approx(1.0)
    o = [2.0, 1.0, 0.1]
    assert softmax_probabilities(o, 0.1).max() > softmax_probabilities(o).max()
    assert onp.allclose(softmax_probabilities(o, 1e6), 1 / 3, atol=1e-5)
    with pytest.raises(ValueError, match="positive"):
        softmax_probabilities(o, 0)


def test_softmax_explorer_redraws_from_its_sliders():
    explorer = SoftmaxExplorer(logits=(2.0, 1.0, 0.1))
    bar = explorer.figure.data[0]
    assert list(bar.x) == ["o1", "o2", "o3"]
    assert onp.allclose(bar.y, softmax_probabilities([2.0, 1.0, 0.1]))
    explorer.logit_sliders[2].value = 5.0  # observers call update()
    bar = explorer.figure.data[0]
    assert onp.argmax(bar.y) == 2 and bar.marker.color[2] != bar.marker.color[0]
    assert "argmax: o3" in explorer.figure.layout.title.text
    explorer.count.value = 10
    assert len(explorer.figure.data[0].y) == 10
    assert explorer.logit_sliders[9].layout.display is None
    explorer.count.value = 4
    assert explorer.logit_sliders[9].layout.display == "none"
    explorer.temperature.value = 10.0
    assert max(explorer.figure.data[0].y) < 0.5
    with pytest.raises(ValueError, match="3 to 10"):
        SoftmaxExplorer(logits=(1.0, 2.0))


def test_prediction_browser_shows_an_image_and_jumps_to_mistakes():
    rng = onp.random.RandomState(0)
    images = rng.randint(0, 256, (6, 28, 28, 1)).astype("uint8")
    y = onp.array([0, 1, 2, 3, 4, 5])
    probs = onp.full((6, 10), 0.02)
    probs[onp.arange(6), [0, 1, 9, 3, 8, 5]] = 0.82  # images 2 and 4 are mistakes
    browser = PredictionBrowser(images, probs, y, LABELS)
    heatmap, bars = browser.figure.data
    assert onp.allclose(onp.array(heatmap.z)[::-1], images[0, :, :, 0])
    assert onp.allclose(bars.y, probs[0])
    assert browser.next_mistake() == 2
    assert "true: pullover" in browser.figure.layout.annotations[0].text
    assert "predicted: ankle boot" in browser.figure.layout.annotations[1].text
    assert browser.next_mistake() == 4 and browser.next_mistake() == 2  # wraps round


def test_prediction_figure_marks_true_and_predicted_classes():
    probs = onp.full(10, 0.05)
    probs[7] = 0.55
    fig = prediction_figure(onp.zeros((28, 28)), probs, 9, LABELS)
    colours = fig.data[1].marker.color
    assert colours[9] != colours[7] and colours[7] != colours[0]
    assert "wrong" in fig.layout.annotations[1].text


def test_history_chart_and_progress_chart():
    history = {"train_loss": [0.8, 0.6], "train_acc": [0.7, 0.8], "test_acc": [0.75, 0.79]}
    fig = plot_history(history, "t", num_epochs=10)
    assert [t.name for t in fig.data] == ["train loss", "train acc", "test acc"]
    assert all(t.mode == "lines+markers" for t in fig.data)
    assert len({t.marker.symbol for t in fig.data}) == 3
    assert len({t.line.color for t in fig.data}) == 3
    chart = ProgressChart(10, "run")
    assert all(len(t.y) == 0 for t in chart.figure.data)
    chart(2, history)
    assert list(chart.figure.data[2].y) == [0.75, 0.79]
    assert tuple(chart.figure.layout.xaxis.range) == (0.5, 10.5)
    assert "epoch 2/10" in chart.figure.layout.title.text


def test_plotly_output_never_asks_another_host():
    use_offline_plotly()
    fig = plot_history({"train_loss": [1.0]})
    bundle = pio.renderers["notebook_offline"].to_mimebundle(fig.to_dict())
    assert "Plotly.newPlot" in bundle["text/html"]
    assert "https://" not in bundle["text/html"] and "http://" not in bundle["text/html"]
    raw = figure_bundle(fig)
    assert set(raw) == {"application/vnd.plotly.v1+json", "text/html"}
    assert "https://" not in raw["text/html"]
    assert "plotly_mimetype" in pio.renderers.default
    assert "connected" not in pio.renderers.default


def test_reliability_and_confusion_figures():
    from helpers.metrics import reliability_bins
    bins = reliability_bins(onp.array([0.1, 0.92, 0.95]), onp.array([False, True, True]), 10)
    fig = reliability_figure(bins)
    assert list(fig.data[0].text) == ["1", "2"]
    counts = onp.arange(9).reshape(3, 3)
    fig = confusion_figure(counts, ["a", "b", "c"])
    assert onp.array_equal(fig.data[0].z, counts) and list(fig.data[0].x) == ["a", "b", "c"]


def test_show_images_titles_each_image():
    axes = show_images(onp.zeros((6, 28, 28, 1)), 2, 3, titles=list("abcdef"))
    assert [ax.get_title() for ax in axes] == list("abcdef")
    matplotlib.pyplot.close("all")
