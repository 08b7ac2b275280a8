"""Figures of the kit: image grids (matplotlib) and training curves (plotly).

One choice for the whole kit: images are drawn with matplotlib, charts with plotly.
Nothing here sets a renderer or a backend; notebooks call `use_offline_plotly()` once.
"""
import json
import math

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import NotebookRenderer

CURVES = {  # name -> (legend label, colour, marker symbol)
    "train_loss": ("train loss", "#1f77b4", "circle"),
    "train_acc": ("train acc", "#ff7f0e", "square"),
    "test_acc": ("test acc", "#2ca02c", "diamond"),
}


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


def plot_history(history, title="Training", num_epochs=None):
    """Line chart of the curves recorded by `train` (notebook 03_softmax_scratch).

    history: dict of per-epoch lists (train_loss, train_acc, test_acc).
    num_epochs fixes the x range, so a chart that grows epoch by epoch does not jump.
    The y axis runs from 0 to 1, or higher when a loss is above 1 (a small learning
    rate's first epochs); values that are not finite (a diverging run's nan) are gaps,
    and the title names the first epoch that has one.
    """
    fig = go.Figure()
    finite, broken = [1.0], []
    for key, (label, colour, symbol) in CURVES.items():
        values = [float(v) for v in history.get(key, [])]
        finite += [v for v in values if math.isfinite(v)]
        broken += [i + 1 for i, v in enumerate(values) if not math.isfinite(v)]
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)),
                                 y=[v if math.isfinite(v) else None for v in values],
                                 name=label, mode="lines+markers",
                                 line=dict(color=colour), marker=dict(symbol=symbol, size=8)))
    if broken:
        title = f"{title} (not finite from epoch {min(broken)})"
    top = max(finite)
    fig.update_layout(title=title, xaxis_title="epoch", yaxis_title="loss / accuracy",
                      yaxis_range=[0, 1 if top <= 1 else 1.05 * top], height=380,
                      template="plotly_white")
    if num_epochs:
        fig.update_xaxes(range=[0.5, num_epochs + 0.5])
    return fig


class ProgressChart:
    """A training chart that redraws in place after every epoch (notebook 03_softmax_scratch).

    Pass it as `train(..., on_epoch=chart)`. In a notebook it updates one output (no
    stack of figures, no flicker) and leaves the final figure there; headless, it only
    keeps `figure` up to date.
    """

    def __init__(self, num_epochs, title="Training"):
        self.num_epochs, self.title = num_epochs, title
        self.figure = plot_history({}, title, num_epochs)
        self.handle = None
        from IPython import get_ipython
        if get_ipython() is not None:
            from IPython.display import display
            # A plotly figure displays itself and would ignore display_id: pass its bundle.
            self.handle = display(figure_bundle(self.figure), raw=True, display_id=True)

    def __call__(self, epoch, history):
        self.figure = plot_history(history, f"{self.title}: epoch {epoch}/{self.num_epochs}",
                                   self.num_epochs)
        if self.handle is not None:
            self.handle.update(figure_bundle(self.figure), raw=True)



def reliability_figure(bins, title="Reliability diagram"):
    """Bars of accuracy per confidence bin against the diagonal of perfect calibration.

    bins: the dict of helpers.metrics.reliability_bins (edges, count, confidence,
    accuracy). Each bar's label gives its count of examples (notebook 07_calibration).
    """
    edges = bins["edges"]
    centres = (edges[:-1] + edges[1:]) / 2
    used = bins["count"] > 0
    fig = go.Figure()
    fig.add_trace(go.Bar(x=centres[used], y=bins["accuracy"][used], width=edges[1] - edges[0],
                         name="accuracy", marker_color="#1f77b4",
                         text=[f"{c}" for c in bins["count"][used]], textposition="outside",
                         hovertemplate="confidence %{x:.2f}<br>accuracy %{y:.3f}"
                                       "<br>%{text} examples<extra></extra>"))
    fig.add_trace(go.Scatter(x=centres[used], y=bins["confidence"][used], mode="markers",
                             name="mean confidence", marker=dict(color="#d62728", symbol="x",
                                                                 size=9)))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                             line=dict(color="gray", dash="dash")))
    fig.update_layout(title=title, xaxis_title="confidence (top-label probability)",
                      yaxis_title="accuracy", xaxis_range=[0, 1], yaxis_range=[0, 1.12],
                      height=400, template="plotly_white", bargap=0.05)
    return fig


def confusion_figure(counts, labels, title="Confusion matrix"):
    """Heatmap of a confusion matrix, true classes as rows (notebook 07_calibration).

    counts: (q, q) with counts[i, j] examples of class i predicted as j; labels: q names.
    """
    fig = go.Figure(go.Heatmap(z=counts, x=list(labels), y=list(labels), colorscale="Blues",
                               text=counts, texttemplate="%{text}",
                               hovertemplate="true %{y}<br>predicted %{x}<br>%{z}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="predicted", yaxis_title="true",
                      yaxis_autorange="reversed", height=520, width=620,
                      template="plotly_white")
    return fig
