"""Figures of the kit: image grids and diagrams (matplotlib), charts (plotly).

One choice for the whole kit: images and diagrams are drawn with matplotlib, charts with
plotly. Nothing here sets a renderer or a backend; notebooks call `use_offline_plotly()`
once. The words on the figures (axis titles, legends, hover text) follow KIT_LANG, as the
exercise checks do: English by default, Chinese with KIT_LANG=zh.
"""
import json
import math
import os

import numpy as onp
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import NotebookRenderer

CURVES = {  # name -> (label key, colour, marker symbol)
    "train_loss": ("train loss", "#1f77b4", "circle"),
    "train_acc": ("train acc", "#ff7f0e", "square"),
    "test_acc": ("test acc", "#2ca02c", "diamond"),
}
# What the held-out curve (the history's "test_acc") is measured on -> its label key.
HELD_OUT = {"test": "test acc", "val": "val acc"}

# The words the figures of helpers/plot.py and helpers/explorers.py draw, per language.
WORDS = {
    "en": {
        "train loss": "train loss", "train acc": "train acc", "test acc": "test acc",
        "val acc": "val acc", "epoch": "epoch", "loss / accuracy": "loss / accuracy",
        "not finite": "not finite from epoch {epoch}",
        "accuracy": "accuracy", "gap": "gap to the mean confidence",
        "mean confidence": "mean confidence (accuracy at it)",
        "perfect calibration": "perfect calibration",
        "confidence axis": "confidence (top-label probability)",
        "bin hover": "bin %{customdata[0]}<br>accuracy %{y:.3f}<br>%{text} examples"
                     "<extra></extra>",
        "point hover": "mean confidence %{x:.3f}<br>accuracy %{y:.3f}<extra></extra>",
        "predicted": "predicted", "true": "true",
        "confusion hover": "true %{y}<br>predicted %{x}<br>%{z}<extra></extra>",
        "class": "class {k}", "weight": "weight",
        "input layer": "input layer", "output layer": "output layer",
        "probability": "probability", "classes": "classes", "test image": "test image",
        "next mistake": "next mistake", "right": "right", "wrong": "wrong",
        "true:": "true: {label}", "predicted:": "predicted: {label} ({p:.0%}, {verdict})",
    },
    "zh": {
        "train loss": "训练损失", "train acc": "训练准确率", "test acc": "测试准确率",
        "val acc": "验证准确率", "epoch": "轮", "loss / accuracy": "损失 / 准确率",
        "not finite": "从第 {epoch} 轮起出现非有限值",
        "accuracy": "准确率", "gap": "与平均置信度之差",
        "mean confidence": "平均置信度（及该处的准确率）",
        "perfect calibration": "完美校准",
        "confidence axis": "置信度（最大类别概率）",
        "bin hover": "第 %{customdata[0]} 个区间<br>准确率 %{y:.3f}<br>%{text} 个样本"
                     "<extra></extra>",
        "point hover": "平均置信度 %{x:.3f}<br>准确率 %{y:.3f}<extra></extra>",
        "predicted": "预测类别", "true": "真实类别",
        "confusion hover": "真实 %{y}<br>预测 %{x}<br>%{z}<extra></extra>",
        "class": "类别 {k}", "weight": "权重",
        "input layer": "输入层", "output layer": "输出层",
        "probability": "概率", "classes": "类别数", "test image": "测试图像",
        "next mistake": "下一个错误", "right": "正确", "wrong": "错误",
        "true:": "真实：{label}", "predicted:": "预测：{label}（{p:.0%}，{verdict}）",
    },
}


def language():
    """The language of the figures' words: KIT_LANG's (zh, zh-CN, ... -> zh), else en."""
    value = (os.environ.get("KIT_LANG") or "en").split(".")[0].replace("_", "-").lower()
    return "zh" if value.split("-")[0] == "zh" else "en"


# Fonts with Chinese glyphs, for matplotlib's words under KIT_LANG=zh (its default font has
# none): Debian's fonts-noto-cjk, then the usual ones of Windows, macOS and other Linuxes.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Microsoft YaHei",
             "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Noto Serif CJK SC", "Noto Serif CJK JP")


def text_style():
    """Keyword arguments for matplotlib text in the figures' language: under KIT_LANG=zh,
    the default font followed by the Chinese fonts this machine has (matplotlib falls back
    glyph by glyph); {} otherwise."""
    if language() != "zh":
        return {}
    from matplotlib import font_manager
    present = {f.name for f in font_manager.fontManager.ttflist}
    return {"fontfamily": ["DejaVu Sans"] + [f for f in CJK_FONTS if f in present]}


def word(key, **fields):
    """The figure word `key` in the language KIT_LANG names, its {fields} filled in."""
    text = WORDS[language()][key]
    return text.format(**fields) if fields else text


class OfflineNotebookRenderer(NotebookRenderer):
    """plotly's `notebook` renderer without its MathJax script from a CDN.

    Like `notebook`, it inlines plotly.js once per notebook (from the installed package)
    and gives each figure a text/html output for exported HTML; unlike it, no output
    asks any other host for anything.
    """

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, config=self.config, include_plotlyjs=False,
                           include_mathjax=False, full_html=False, default_width="100%",
                           default_height=525, validate=False)
        return {"text/html": html}


def use_offline_plotly():
    """Render plotly figures for JupyterLab and, with plotly.js inlined, for exported HTML.

    The default is the mimetype (JupyterLab draws it) plus offline HTML (exported pages
    draw it). Never a CDN renderer: the kit must work with no network.
    """
    pio.renderers["notebook_offline"] = OfflineNotebookRenderer()
    pio.renderers.default = "plotly_mimetype+notebook_offline"
    from IPython import get_ipython
    if get_ipython() is not None:
        # Emit plotly.js now, from this cell, as plotly's own init_notebook_mode does;
        # else it rides along with the first figure, which may sit inside a widget.
        pio.renderers._activate_pending_renderers()


def figure_bundle(fig):
    """The outputs a figure displays as, built without re-running any renderer's set-up.

    Used with IPython's display(..., raw=True, display_id=True) to redraw in place.
    """
    fig_dict = json.loads(pio.to_json(fig, validate=False))
    html = pio.to_html(fig_dict, include_plotlyjs=False, include_mathjax=False,
                       full_html=False, default_width="100%", validate=False)
    return {"application/vnd.plotly.v1+json": fig_dict, "text/html": html}


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Plot a grid of images (notebook 02_fashion_mnist).

    imgs: (n, 28, 28) or (n, 28, 28, 1) arrays (NumPy or mxnet.np); titles: n strings.
    Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt
    figsize = (num_cols * scale, num_rows * scale)
    # Constrained layout leaves room for each title, however many lines it has.
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, layout="constrained")
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        img = img.asnumpy() if hasattr(img, "asnumpy") else img
        ax.imshow(img.squeeze(), cmap="gray_r")
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i], fontsize=9)
    return axes


def plot_history(history, title="Training", num_epochs=None, held_out="test"):
    """Line chart of the curves recorded by `train` (notebook 03_softmax_scratch).

    history: dict of per-epoch lists (train_loss, train_acc, test_acc).
    num_epochs fixes the x range, so a chart that grows epoch by epoch does not jump.
    held_out names what the history's test_acc was measured on: "test" (the default)
    or "val", when `train` was handed a validation iterator (notebook 07); the curve's
    legend says so.
    The y axis runs from 0 to 1, or higher when a loss is above 1 (a small learning
    rate's first epochs); values that are not finite (a diverging run's nan) are gaps,
    and the title names the first epoch that has one.
    """
    if held_out not in HELD_OUT:
        raise ValueError(f"held_out must be one of {sorted(HELD_OUT)}, got {held_out!r}")
    fig = go.Figure()
    finite, broken = [1.0], []
    for key, (label, colour, symbol) in CURVES.items():
        label = word(HELD_OUT[held_out] if key == "test_acc" else label)
        values = [float(v) for v in history.get(key, [])]
        finite += [v for v in values if math.isfinite(v)]
        broken += [i + 1 for i, v in enumerate(values) if not math.isfinite(v)]
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)),
                                 y=[v if math.isfinite(v) else None for v in values],
                                 name=label, mode="lines+markers",
                                 line=dict(color=colour), marker=dict(symbol=symbol, size=8)))
    if broken:
        title = f"{title} ({word('not finite', epoch=min(broken))})"
    top = max(finite)
    fig.update_layout(title=title, xaxis_title=word("epoch"), yaxis_title=word("loss / accuracy"),
                      yaxis_range=[0, 1 if top <= 1 else 1.05 * top], height=380,
                      template="plotly_white")
    if num_epochs:
        fig.update_xaxes(range=[0.5, num_epochs + 0.5])
    return fig


class ProgressChart:
    """A training chart that redraws in place after every epoch (notebook 03_softmax_scratch).

    Pass it as `train(..., on_epoch=chart)`. In a notebook it updates one output (no
    stack of figures, no flicker) and leaves the final figure there; headless, it only
    keeps `figure` up to date. held_out="val" labels the held-out curve as validation
    (see plot_history).
    """

    def __init__(self, num_epochs, title="Training", held_out="test"):
        self.num_epochs, self.title, self.held_out = num_epochs, title, held_out
        self.figure = plot_history({}, title, num_epochs, held_out)
        self.handle = None
        from IPython import get_ipython
        if get_ipython() is not None:
            from IPython.display import display
            # A plotly figure displays itself and would ignore display_id: pass its bundle.
            self.handle = display(figure_bundle(self.figure), raw=True, display_id=True)

    def __call__(self, epoch, history):
        self.figure = plot_history(history, f"{self.title}: {word('epoch')} {epoch}/{self.num_epochs}",
                                   self.num_epochs, self.held_out)
        if self.handle is not None:
            self.handle.update(figure_bundle(self.figure), raw=True)


def _reliability_traces(bins, legend=True):
    """The traces of one reliability diagram (see reliability_figure)."""
    edges, count = bins["edges"], bins["count"]
    used = count > 0
    left, width = edges[:-1][used], (edges[1:] - edges[:-1])[used]
    accuracy, confidence = bins["accuracy"][used], bins["confidence"][used]
    number = onp.flatnonzero(used) + 1
    over = confidence > accuracy  # over-confident bins: the gap sits above the bar
    return [
        # Each bar covers its bin, from its left edge to its right edge.
        go.Bar(x=left, y=accuracy, width=width, offset=0, name=word("accuracy"),
               marker_color="#1f77b4", marker_line=dict(color="white", width=1),
               text=[f"{c}" for c in count[used]], textposition="outside",
               customdata=number[:, None], hovertemplate=word("bin hover"),
               showlegend=legend, legendgroup="accuracy"),
        # The gap from the bin's accuracy to its mean confidence, over the same bin.
        go.Bar(x=left, y=onp.abs(confidence - accuracy), base=onp.minimum(confidence, accuracy),
               width=width, offset=0, name=word("gap"),
               marker=dict(color=["rgba(214,39,40,0.35)" if o else "rgba(44,160,44,0.35)"
                                  for o in over], line=dict(color="#d62728", width=1)),
               hoverinfo="skip", showlegend=legend, legendgroup="gap"),
        # (mean confidence, accuracy) of each bin: below the diagonal is over-confident.
        go.Scatter(x=confidence, y=accuracy, mode="markers", name=word("mean confidence"),
                   marker=dict(color="#d62728", symbol="x", size=9),
                   hovertemplate=word("point hover"), showlegend=legend,
                   legendgroup="points"),
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=word("perfect calibration"),
                   line=dict(color="gray", dash="dash"), showlegend=legend,
                   legendgroup="diagonal"),
    ]


def reliability_figure(bins, title="Reliability diagram"):
    """Bars of accuracy per confidence bin against the diagonal of perfect calibration.

    bins: the dict of helpers.metrics.reliability_bins (edges, count, confidence,
    accuracy). Each bar covers its own bin (left edge to right edge) and is labelled with
    its count of examples; a shaded bar spans the gap from the bin's accuracy to its mean
    confidence (red: over-confident, green: under-confident), and an x marks the bin's
    (mean confidence, accuracy), which lies below the diagonal when the bin is
    over-confident. Comparing a bar with the diagonal at the bin's centre would mislead:
    a bin's predictions need not sit at its centre (notebook 07_calibration).
    """
    fig = go.Figure(_reliability_traces(bins))
    fig.update_layout(title=title, xaxis_title=word("confidence axis"),
                      yaxis_title=word("accuracy"), xaxis_range=[0, 1], yaxis_range=[0, 1.12],
                      height=400, template="plotly_white", barmode="overlay")
    return fig


def reliability_comparison(before, after, titles, title="Reliability diagrams"):
    """Two reliability diagrams side by side, on one scale: `before` and `after` (dicts of
    reliability_bins) with their panel titles, e.g. one split before and after temperature
    scaling (notebook 07_calibration)."""
    from plotly.subplots import make_subplots
    fig = make_subplots(rows=1, cols=2, subplot_titles=list(titles), shared_yaxes=True,
                        horizontal_spacing=0.06)
    for col, bins in ((1, before), (2, after)):
        for trace in _reliability_traces(bins, legend=col == 1):
            fig.add_trace(trace, row=1, col=col)
        fig.update_xaxes(range=[0, 1], title_text=word("confidence axis"), row=1, col=col)
    fig.update_yaxes(range=[0, 1.12], title_text=word("accuracy"), row=1, col=1)
    fig.update_layout(title=title, height=420, template="plotly_white", barmode="overlay",
                      legend=dict(orientation="h", y=-0.25))
    return fig


def confusion_figure(counts, labels, title="Confusion matrix"):
    """Heatmap of a confusion matrix, true classes as rows (notebook 07_calibration).

    counts: (q, q) with counts[i, j] examples of class i predicted as j; labels: q names.
    """
    fig = go.Figure(go.Heatmap(z=counts, x=list(labels), y=list(labels), colorscale="Blues",
                               text=counts, texttemplate="%{text}",
                               hovertemplate=word("confusion hover")))
    fig.update_layout(title=title, xaxis_title=word("predicted"), yaxis_title=word("true"),
                      yaxis_autorange="reversed", height=520, width=620,
                      template="plotly_white")
    return fig


def weight_templates(W, labels, num_rows=2, scale=1.8):
    """Each class's weights (a row of W: (q, 784)) as a 28x28 image, on ONE colour scale.

    The scale is symmetric about 0 and shared by every panel: dark is a positive weight
    (ink there raises the class's logit), light a negative one, mid-gray 0, and the same
    shade means the same weight in every panel (per-panel scaling would make every
    template look equally strong). Returns the matplotlib axes (notebook 07_calibration).
    """
    import matplotlib.pyplot as plt
    W = onp.asarray(W, dtype=onp.float64)
    limit = float(onp.abs(W).max()) or 1.0
    num_cols = -(-len(W) // num_rows)
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale),
                             layout="constrained")
    axes = onp.asarray(axes).flatten()
    for ax, w, label in zip(axes, W, labels):
        image = ax.imshow(w.reshape(28, 28), cmap="gray_r", vmin=-limit, vmax=limit)
        ax.set_title(label, fontsize=9, **text_style())
        ax.axis("off")
    for ax in axes[len(W):]:
        ax.axis("off")
    bar = fig.colorbar(image, ax=list(axes), shrink=0.8)
    bar.set_label(word("weight"), **text_style())
    return axes


def network_figure(num_inputs=4, num_outputs=3, scale=1.0):
    """The one-layer network of softmax regression (d2l 3.4's figure): inputs x1..xd below,
    outputs o1..oq above, every input joined to every output (a fully connected layer).
    Returns the matplotlib axes (notebook 01_softmax_operation)."""
    import matplotlib.pyplot as plt
    width = max(num_inputs, num_outputs)
    radius = 0.16
    fig, ax = plt.subplots(figsize=((width + 2.2) * scale, 2.0 * scale))
    xs_in = onp.arange(num_inputs) - (num_inputs - 1) / 2
    xs_out = onp.arange(num_outputs) - (num_outputs - 1) / 2
    for x0 in xs_in:
        for x1 in xs_out:
            start, end = onp.array([x0, 0.0]), onp.array([x1, 1.0])
            unit = (end - start) / onp.linalg.norm(end - start)
            ax.annotate("", xy=end - radius * unit, xytext=start + radius * unit,
                        arrowprops=dict(arrowstyle="-|>", color="#555555", lw=0.9,
                                        shrinkA=0, shrinkB=0, mutation_scale=10))
    for y, xs, name in ((0.0, xs_in, "x"), (1.0, xs_out, "o")):
        for j, x in enumerate(xs):
            ax.add_patch(plt.Circle((x, y), radius, facecolor="white", edgecolor="#1f77b4",
                                    lw=1.5, zorder=3))
            ax.text(x, y, f"${name}_{{{j + 1}}}$", ha="center", va="center", fontsize=12,
                    zorder=4)
    left = -(width - 1) / 2 - 0.35
    ax.text(left, 0.0, word("input layer"), ha="right", va="center", fontsize=10, **text_style())
    ax.text(left, 1.0, word("output layer"), ha="right", va="center", fontsize=10,
            **text_style())
    ax.set_xlim(left - 1.9, (width - 1) / 2 + 0.3)
    ax.set_ylim(-0.25, 1.25)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def class_regions_figure(W, b, lim=3.0, steps=201, title="Predicted class"):
    """The class a softmax regression with two inputs predicts at each point of the plane.

    W: (2, q), b: (q,). Each region has one colour, named in the legend ("class 1" ...
    "class q", the class whose logit is largest there; the words follow KIT_LANG); the
    boundaries between regions are straight lines (notebook 01_softmax_operation).
    """
    W, b = onp.asarray(W, dtype=onp.float64), onp.asarray(b, dtype=onp.float64)
    q = W.shape[1]
    grid = onp.linspace(-lim, lim, steps)
    x1, x2 = onp.meshgrid(grid, grid)
    points = onp.stack([x1.ravel(), x2.ravel()], axis=1)
    region = (points @ W + b).argmax(axis=1).reshape(x1.shape)
    colours = ["#440154", "#21918c", "#fde725", "#e15759", "#4e79a7", "#f28e2b",
               "#76b7b2", "#59a14f", "#edc948", "#b07aa1"][:q]
    # One flat colour per class: each class owns an equal slice of the colour scale.
    scale = []
    for k, colour in enumerate(colours):
        scale += [[k / q, colour], [(k + 1) / q, colour]]
    names = [word("class", k=k + 1) for k in range(q)]
    # z counts the classes from 1, as the legend does; hovering names the class.
    fig = go.Figure(go.Heatmap(x=grid, y=grid, z=region + 1, zmin=0.5, zmax=q + 0.5,
                               colorscale=scale, showscale=False,
                               hovertemplate="x1 %{x:.2f}<br>x2 %{y:.2f}<br>"
                                             + word("class", k="%{z}") + "<extra></extra>"))
    for name, colour in zip(names, colours):  # the legend: one square per class
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name,
                                 marker=dict(symbol="square", size=14, color=colour)))
    fig.update_layout(title=title, xaxis_title="x1", yaxis_title="x2", width=560, height=440,
                      template="plotly_white", legend=dict(title=""),
                      xaxis_range=[-lim, lim], yaxis_range=[-lim, lim])
    return fig
