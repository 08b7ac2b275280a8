"""The course site's builder (tools/site/), its parts checked without a browser: the
vendored JavaScript matches site/vendor/MANIFEST.json; outputs are rewritten so that they
need no CDN; titles, lines and accuracies come from the notebooks; the builder wipes no
folder it did not make. The site in a browser: tests/test_site.py.
"""
import json
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.site import build as site
from tools.site import facts as site_facts
from tools.site import outputs as site_outputs
from tools.site import vendor as site_vendor


def test_vendored_files_match_their_recorded_hashes():
    assert site_vendor.verify_vendor() == []


def test_every_vendored_package_has_version_licence_and_hashes():
    manifest = site_vendor.read_manifest()
    packages = {p["package"]: p for p in manifest["packages"]}
    assert set(packages) == set(site_vendor.NPM_ASSETS)
    for name, spec in site_vendor.NPM_ASSETS.items():
        assert packages[name]["version"] == spec["version"]
        assert (site_vendor.VENDOR / packages[name]["license_file"]).is_file(), name
        assert packages[name]["integrity"].startswith("sha512-")
    listed = {e["path"] for e in manifest["files"]}
    on_disk = {str(p.relative_to(site_vendor.VENDOR)) for p in site_vendor.VENDOR.rglob("*")
               if p.is_file() and p.name != "MANIFEST.json"}
    assert listed == on_disk, "site/vendor/ and MANIFEST.json list different files"
    for entry in manifest["files"]:
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), entry


def test_a_changed_vendored_file_is_caught(tmp_path):
    copy = tmp_path / "vendor"
    shutil.copytree(site_vendor.VENDOR, copy)
    target = copy / "mathjax" / "tex-svg-full.js"
    target.write_bytes(target.read_bytes() + b"\n")
    (copy / "html-manager" / "embed.js").unlink()
    problems = site_vendor.verify_vendor(copy)
    assert any("tex-svg-full.js" in p and "SHA-256" in p for p in problems), problems
    assert any("missing" in p and "embed.js" in p for p in problems), problems


def _figure():
    import plotly.graph_objects as go
    return json.loads(go.Figure(go.Bar(x=[1, 2], y=[3, 4])).to_json())


def test_outputs_are_rewritten_to_need_no_cdn():
    from plotly.offline import get_plotlyjs
    init = {"output_type": "display_data", "metadata": {}, "data": {"text/html": (
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f"<script>{get_plotlyjs()}</script>")}}
    cdn = ('<div><script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/'
           'tex-svg.min.js"></script><div id="x" class="plotly-graph-div"></div></div>')
    figure = {"output_type": "display_data", "metadata": {},
              "data": {site_outputs.PLOTLY_MIME: _figure(), "text/html": cdn}}
    mimetype_only = {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
                     "data": {site_outputs.PLOTLY_MIME: _figure(), "text/plain": "Figure"}}
    cdn_only = {"output_type": "display_data", "metadata": {},
                "data": {"text/html": cdn}}
    nb = new_notebook(cells=[new_code_cell("x", outputs=[init, figure]),
                             new_code_cell("y", outputs=[mimetype_only, cdn_only])])
    nb.metadata["widgets"] = {site_outputs.WIDGET_STATE_MIME: {"state": {"m1": {
        "model_name": "OutputModel", "state": {"outputs": [dict(init), dict(figure)]}}}}}
    nb, resources = site_outputs.OfflineOutputs().preprocess(
        nbformat.from_dict(json.loads(json.dumps(nb))), {"offline_slug": "t"})

    assert resources["offline"] == {"figures": 3, "dropped_plotlyjs": 2, "dropped_cdn": 1,
                                    "plotly": True}
    first, second = nb.cells[0].outputs, nb.cells[1].outputs
    assert len(first) == 1, "the output holding only plotly.js must go"
    for out in (first[0], second[0]):
        html = out["data"]["text/html"]
        assert "Plotly.newPlot" in html and "plotly-graph-div" in html
        assert site_outputs.PLOTLY_MIME not in out["data"]
    assert "plotly.js v" not in json.dumps(nb)
    assert not re.search(r'src=\\?["\']https?://', json.dumps(nb)), "a CDN script is left"
    widget_outs = nb.metadata.widgets[site_outputs.WIDGET_STATE_MIME]["state"]["m1"]["state"]["outputs"]
    assert len(widget_outs) == 1 and "Plotly.newPlot" in widget_outs[0]["data"]["text/html"]


def test_external_references_are_found():
    page = ('<script src="https://cdn.example.org/x.js"></script>'
            '<link rel="stylesheet" href="//fonts.example.com/a.css">'
            '<img src="data:image/png;base64,AAAA"><script src="assets/plotly.min.js"></script>'
            '<a href="https://example.org/read-more">a link is not a fetch</a>')
    assert site_outputs.external_references(page) == ["//fonts.example.com/a.css",
                                              "https://cdn.example.org/x.js"]


def test_title_line_number_and_accuracy_come_from_the_notebook():
    nb = new_notebook(cells=[
        new_code_cell("import x"),
        new_markdown_cell("# Softmax *from* Scratch\n\nWe build $\\hat{y}$ by hand. "
                          "It takes a while to explain everything in one go, so here is "
                          "a second sentence.\n\nSecond paragraph."),
        new_code_cell("print()", outputs=[{"output_type": "stream", "name": "stdout",
                                           "text": "final test accuracy: 0.8312\n"}])])
    assert site_facts.notebook_title(nb, "fallback") == "Softmax *from* Scratch"
    assert site_facts.plain_text(site_facts.notebook_title(nb, "")) == "Softmax from Scratch"
    summary = site_facts.notebook_summary(nb)
    assert summary.startswith("We build $\\hat{y}$ by hand. It takes a while")
    assert "Second paragraph" not in summary
    assert site_facts.lesson_number("07_more", 2) == 7 and site_facts.lesson_number("intro", 2) == 2
    assert site_facts.notebook_title(new_notebook(cells=[]), "x y") == "x y"
    long = new_notebook(cells=[new_markdown_cell("# T\n\n" + "word $a+b$ " * 60)])
    cut = site_facts.notebook_summary(long)
    assert len(cut) <= 202 and cut.endswith(" …") and cut.count("$") % 2 == 0


def test_the_builder_never_wipes_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(RuntimeError, match="not made by"):
        site.build_site([], tmp_path, log=lambda m: None)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
