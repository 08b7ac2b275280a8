"""Interactive explorers: ipywidgets controls that redraw a plotly figure.

Each explorer keeps its figure-making logic in a plain function (tested headless) and
its widgets in a small class: `update()` redraws and returns the figure, so a test
can set a control's value, call `update()` and check the figure's data. In a notebook
the explorer displays itself. The figure is shown in an `Output` widget, so its last
state is saved with the notebook's widget state. Their words follow KIT_LANG, as the
figures of helpers/plot.py do.
"""
import numpy as onp
import plotly.graph_objects as go

from helpers.plot import word


def softmax_probabilities(logits, temperature=1.0):
    """Softmax of logits / temperature, computed stably (max subtracted first).

    logits: (q,) numbers; temperature > 0. Returns (q,) probabilities (NumPy).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = onp.asarray(logits, dtype=onp.float64) / temperature
    e = onp.exp(z - z.max())
    return e / e.sum()


def softmax_figure(logits, temperature=1.0, labels=None):
    """Bar chart of the softmax probabilities, the argmax bar marked.

    logits: (q,) numbers; labels: q names (default o1..oq).
    """
    p = softmax_probabilities(logits, temperature)
    labels = list(labels) if labels else [f"o{j + 1}" for j in range(len(p))]
    top = int(p.argmax())
    colours = ["#d62728" if j == top else "#1f77b4" for j in range(len(p))]
    fig = go.Figure(go.Bar(x=labels, y=p, marker_color=colours,
                           text=[f"{v:.2f}" for v in p], textposition="outside"))
    fig.update_layout(title=f"softmax(o / T), T = {temperature:.2f}; argmax: {labels[top]}",
                      yaxis_range=[0, 1.1], yaxis_title=word("probability"), height=340,
                      template="plotly_white", showlegend=False)
    return fig


def show_in(out, fig):
    """Replace what Output widget `out` shows by `fig` (only inside an IPython kernel)."""
    from IPython import get_ipython
    if get_ipython() is None:  # headless, e.g. under pytest: nothing to draw on
        return
    from IPython.display import display
    with out:
        out.clear_output(wait=True)
        display(fig)


class SoftmaxExplorer:
    """Sliders for 3 to 10 logits and a temperature; a live bar chart of the probabilities."""

    MAX_LOGITS = 10

    def __init__(self, logits=(2.0, 1.0, 0.1), temperature=1.0):
        import ipywidgets as widgets
        if not 3 <= len(logits) <= self.MAX_LOGITS:
            raise ValueError(f"give 3 to {self.MAX_LOGITS} logits, got {len(logits)}")
        start = list(logits) + [0.0] * (self.MAX_LOGITS - len(logits))
        self.logit_sliders = [
            widgets.FloatSlider(value=v, min=-10, max=10, step=0.1, description=f"o{j + 1}",
                                continuous_update=True)
            for j, v in enumerate(start)]
        self.count = widgets.IntSlider(value=len(logits), min=3, max=self.MAX_LOGITS,
                                       description=word("classes"))
        self.temperature = widgets.FloatLogSlider(value=temperature, base=10, min=-1, max=1,
                                                  step=0.05, description="T")
        self.out = widgets.Output()
        for w in self.logit_sliders + [self.count, self.temperature]:
            w.observe(lambda change: self.update(), names="value")
        self.widget = widgets.VBox([self.count, self.temperature,
                                    widgets.VBox(self.logit_sliders), self.out])
        self.figure = None
        self.update()

    def logits(self):
        """The logits currently set: (q,) with q the number of classes chosen."""
        return [s.value for s in self.logit_sliders[:self.count.value]]

    def update(self):
        """Redraw the chart from the controls; return the figure."""
        for j, s in enumerate(self.logit_sliders):
            s.layout.display = None if j < self.count.value else "none"
        self.figure = softmax_figure(self.logits(), self.temperature.value)
        show_in(self.out, self.figure)
        return self.figure

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def prediction_figure(image, probs, true_label, labels):
    """An image beside the model's probabilities for it, true class and argmax marked.

    image: (28, 28) or (28, 28, 1) array; probs: (q,) probabilities; true_label: int;
    labels: q class names.
    """
    from plotly.subplots import make_subplots
    probs = onp.asarray(probs, dtype=onp.float64)
    top = int(probs.argmax())
    colours = ["#2ca02c" if j == true_label else "#d62728" if j == top else "#1f77b4"
               for j in range(len(probs))]
    verdict = word("right") if top == true_label else word("wrong")
    fig = make_subplots(rows=1, cols=2, column_widths=[0.35, 0.65],
                        subplot_titles=(word("true:", label=labels[true_label]),
                                        word("predicted:", label=labels[top], p=probs[top],
                                             verdict=verdict)))
    pixels = onp.asarray(image, dtype=onp.float64).reshape(28, 28)
    fig.add_trace(go.Heatmap(z=pixels[::-1], colorscale="Greys", showscale=False), 1, 1)
    fig.add_trace(go.Bar(x=list(labels), y=probs, marker_color=colours,
                         text=[f"{p:.2f}" for p in probs], textposition="outside"), 1, 2)
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, scaleanchor="x", row=1, col=1)
    fig.update_yaxes(range=[0, 1.15], title_text=word("probability"), row=1, col=2)
    fig.update_layout(height=340, template="plotly_white", showlegend=False,
                      margin=dict(t=60, b=80))
    return fig


class PredictionBrowser:
    """Browse test predictions: a slider picks an image, a button jumps to the next mistake.

    images: (n, 28, 28[, 1]); probs: (n, q) the model's probabilities; y: (n,) true
    classes; labels: q class names.
    """

    def __init__(self, images, probs, y, labels):
        import ipywidgets as widgets
        self.images, self.labels = images, list(labels)
        self.probs, self.y = onp.asarray(probs), onp.asarray(y)
        self.mistakes = onp.flatnonzero(self.probs.argmax(axis=1) != self.y)
        self.index = widgets.IntSlider(value=0, min=0, max=len(self.y) - 1,
                                       description=word("test image"))
        self.next_button = widgets.Button(description=word("next mistake"), icon="forward")
        self.next_button.on_click(lambda _: self.next_mistake())
        self.out = widgets.Output()
        self.index.observe(lambda change: self.update(), names="value")
        self.widget = widgets.VBox([widgets.HBox([self.index, self.next_button]), self.out])
        self.figure = None
        self.update()

    def next_mistake(self):
        """Move the slider to the first mistake after the current image (wrapping round)."""
        if len(self.mistakes):
            later = self.mistakes[self.mistakes > self.index.value]
            self.index.value = int(later[0] if len(later) else self.mistakes[0])
        return self.index.value

    def update(self):
        """Redraw for the image the slider points at; return the figure."""
        i = self.index.value
        self.figure = prediction_figure(self.images[i], self.probs[i], int(self.y[i]),
                                        self.labels)
        show_in(self.out, self.figure)
        return self.figure

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
