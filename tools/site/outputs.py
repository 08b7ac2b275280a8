"""Rewrite a notebook so that its page asks no other host for anything.

`OfflineOutputs` is an nbconvert preprocessor: the site's exporter runs it on every page.

- plotly: each figure's HTML is rebuilt from its JSON (``application/vnd.plotly.v1+json``)
  without the CDN MathJax tag plotly adds to it, for one shared ``assets/plotly.min.js``;
  the renderer's inlined 4.8 MB copy of plotly.js is dropped. The same for figures inside
  saved widget outputs, and for figures that have only the mimetype.
- markdown: ``\\(...\\)`` and ``\\[...\\]`` math as ``$`` math (tools/site/facts.py, dollar_math).

It records what it did in ``resources["offline"]`` (figures written, copies of plotly.js
and CDN tags dropped, whether the page needs plotly.js at all), where the page template
reads it. `external_references` finds whatever a rendered page would still fetch.
"""
import json
import re

from nbconvert.preprocessors import Preprocessor

from tools.site.facts import dollar_math

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"

# Script tags a notebook output may carry that would reach a CDN: plotly's per-figure
# MathJax tag, and plotly.js itself when the 'notebook_connected' renderer was used.
CDN_SCRIPT = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']https?://[^"']*(?:mathjax|plotly)[^"']*["'][^>]*>\s*</script>"""
    r"""|<script\b[^>]*type\s*=\s*["']module["'][^>]*>\s*import\s+["']https?://[^"']*plotly[^"']*["'];?\s*</script>""",
    re.IGNORECASE)
# plotly.js inlined by the 'notebook' renderer (its first display in a kernel).
INLINE_PLOTLYJS = re.compile(r"<script\b[^>]*>\s*/\*\*?\s*\*?\s*plotly\.js v[^<]*?.*?</script>",
                             re.DOTALL)
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
# src/href attributes that would make the browser fetch from another host.
EXTERNAL_REF = re.compile(
    r"""<(?:script|link|img|iframe|audio|video|source|embed)\b[^>]*?\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']""",
    re.IGNORECASE)


class OfflineOutputs(Preprocessor):
    """Rewrites a notebook's outputs (and its widgets' outputs) so that they need no CDN.

    The page's slug (``resources["offline_slug"]``, else the notebook's name) keeps the
    figures' element ids unique on the page.
    """

    def preprocess(self, nb, resources):
        self.slug = resources.get("offline_slug") or \
            resources.get("metadata", {}).get("name", "page").replace(" ", "_")
        self.figures = 0           # plotly figures written as HTML
        self.dropped_plotlyjs = 0  # inlined copies of plotly.js removed
        self.dropped_cdn = 0       # CDN script tags removed
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
        for model in state.values():
            outs = model.get("state", {}).get("outputs")
            if isinstance(outs, list):
                model["state"]["outputs"] = self.outputs(outs)
        nb, resources = super().preprocess(nb, resources)
        resources["offline"] = {"figures": self.figures, "dropped_plotlyjs": self.dropped_plotlyjs,
                                "dropped_cdn": self.dropped_cdn,
                                "plotly": self.figures > 0 or uses_plotly(nb)}
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = self.outputs(cell.outputs)
        elif cell.cell_type == "markdown":
            cell.source = dollar_math(cell.source)
        return cell, resources

    def outputs(self, outputs):
        """The outputs rewritten, without those that had nothing visible but plotly.js."""
        kept = []
        for out in outputs:
            new = self.output(out)
            if new is not None:
                kept.append(new)
        return kept

    def output(self, out):
        """The output rewritten, or None when nothing visible is left (plotly.js alone)."""
        data = out.get("data")
        if not data:
            return out
        if PLOTLY_MIME in data:
            data["text/html"] = self.figure_html(data.pop(PLOTLY_MIME))
            return out
        if "text/html" in data:
            raw = data["text/html"]
            raw = "".join(raw) if isinstance(raw, list) else raw
            cleaned = self.clean_html(raw)
            if cleaned != raw:
                visible = SCRIPT.sub("", cleaned).strip()
                if not visible and set(data) <= {"text/html", "text/plain"}:
                    return None
                data["text/html"] = cleaned
        return out

    def figure_html(self, fig):
        """A plotly figure (its JSON) as HTML that draws it with the page's plotly.js."""
        import plotly.io as pio
        fig = dict(fig)
        config = fig.pop("config", None) or {}
        self.figures += 1
        return pio.to_html(fig, config=config, include_plotlyjs=False, include_mathjax=False,
                           full_html=False, default_width="100%", default_height=525,
                           validate=False, div_id=f"plotly-{self.slug}-{self.figures}")

    def clean_html(self, text):
        """HTML without inlined plotly.js and without CDN script tags."""
        text, n = INLINE_PLOTLYJS.subn("", text)
        self.dropped_plotlyjs += n
        text, n = CDN_SCRIPT.subn("", text)
        self.dropped_cdn += n
        return text


def uses_plotly(nb):
    """True if a (rewritten) output or a saved widget holds a plotly figure."""
    if "plotly-graph-div" in json.dumps(nb.metadata.get("widgets", {})):
        return True
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "plotly-graph-div" in str(out.get("data", {}).get("text/html", "")):
                return True
    return False


def external_references(page_html):
    """URLs on other hosts that a page's tags would fetch (src/href of script, link, img...)."""
    return sorted(set(EXTERNAL_REF.findall(page_html)))
