"""The course site (tools/site/build.py), checked in a real browser.

Fast checks: the vendored JavaScript matches site/vendor/MANIFEST.json; outputs are
rewritten so that they need no CDN; titles, lines and accuracies come from the notebooks;
the main job renders the site after the notebooks.

Browser checks, in headless Chromium (Debian's `chromium`, installed by the set-up that
`./kit test` runs), on two sites rendered into a temporary folder and served on 127.0.0.1:
a small demo course made here (math, plotly, matplotlib, a slider + Output explorer,
`interact`) and the kit's own lessons, executed once by tools.lessons.run. For every
page: no console error, no request to any other host (each one is recorded and refused),
every plotly chart drawn, every formula typeset, every saved widget shown, and a
screenshot that is not blank. The screenshots of the last run stay in build/screenshots/.
"""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.lessons import run as run_notebooks
from tools.lessons.notebooks import notebook_paths
from tools.site import build as site
from tools.site import facts as site_facts
from tools.site import outputs as site_outputs
from tools.site import vendor as site_vendor

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
LESSONS = [p.stem for p in notebook_paths()]


# --------------------------------------------------------------------------- fast checks

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


# --------------------------------------------------------------------------- demo course

DEMO = {
    "01_demo_charts.ipynb": [
        new_markdown_cell("# Demo: charts, images and math\n\n"
                          "A softmax turns scores $o$ into probabilities $\\hat{y}$. "
                          "Here it is in display form:\n\n"
                          "$$\\hat{y}_j = \\frac{\\exp(o_j)}{\\sum_k \\exp(o_k)}$$\n\n"
                          "and inline again: \\(x \\in \\mathbb{R}^d\\)."),
        new_code_cell("from helpers.plot import use_offline_plotly, plot_history\n"
                      "use_offline_plotly()"),
        new_code_cell("plot_history({'train_loss': [0.9, 0.6, 0.5], 'train_acc': [0.6, 0.75, 0.8],"
                      " 'test_acc': [0.62, 0.74, 0.79]}, num_epochs=3)"),
        new_code_cell("%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
                      "plt.imshow(np.random.default_rng(0).random((28, 28)), cmap='gray_r')\n"
                      "plt.show()"),
        new_code_cell("import ipywidgets as w\nimport plotly.graph_objects as go\n"
                      "from IPython.display import display\n"
                      "slider = w.IntSlider(value=3, min=1, max=10, description='$n$ bars')\n"
                      "out = w.Output()\n"
                      "def draw(change=None):\n"
                      "    with out:\n"
                      "        out.clear_output(wait=True)\n"
                      "        display(go.Figure(go.Bar(y=[i * i for i in range(slider.value)])))\n"
                      "slider.observe(draw, names='value')\n"
                      "draw()\n"
                      "display(w.VBox([slider, out]))\n"
                      "slider.value = 6"),
        new_code_cell("print('final test accuracy: 0.8312')"),
    ],
    "02_demo_interact.ipynb": [
        new_markdown_cell("# Demo: an interact explorer\n\nThe learning rate $\\eta$ "
                          "at step $t$ is $\\eta_t = \\eta_0 / t$."),
        new_code_cell("from helpers.plot import use_offline_plotly\nuse_offline_plotly()\n"
                      "import plotly.graph_objects as go\n"
                      "go.Figure(go.Scatter(y=[1, 3, 2]))"),
        new_code_cell("import ipywidgets as w\n"
                      "@w.interact(t=(1, 10))\n"
                      "def explore(t=4):\n"
                      "    print('step', t)\n"
                      "    go.Figure(go.Scatter(y=[1 / s for s in range(1, t + 1)])).show()"),
    ],
}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The demo course executed (tools.lessons.run.execute) and rendered to a tmp folder."""
    tmp = tmp_path_factory.mktemp("demo")
    paths = []
    for name, cells in DEMO.items():
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, tmp / name)
        ok, seconds, _, error = run_notebooks.execute(tmp / name, tmp / "executed", timeout=120)
        assert ok, f"demo notebook {name} failed: {error}"
        paths.append(tmp / "executed" / name)
    pages = site.build_site(paths, tmp / "site", log=lambda m: None)[0].pages
    return tmp / "site", pages


@pytest.fixture(scope="module")
def lesson_site(tmp_path_factory, executed_lessons):
    """The kit's lessons, as executed once for the whole test run, rendered to a tmp folder
    in both editions: (site folder, English pages, Chinese pages, lessons that failed)."""
    tmp = tmp_path_factory.mktemp("lessons")
    tic = time.perf_counter()
    paths = [Path(r["path"]) for r in executed_lessons.values()]
    failed = [f"{stem}: {r['error']}" for stem, r in executed_lessons.items() if not r["ok"]]
    editions = {e.key: e.pages for e in site.build_site(paths, tmp / "site", log=print)}
    print(f"site built in {time.perf_counter() - tic:.1f} s")
    return tmp / "site", editions["en"], editions.get("zh", []), failed


# --------------------------------------------------------------------------- browser

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def served(directory):
    server = serve(directory)
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def demo_server(demo_site):
    yield from served(demo_site[0])


@pytest.fixture(scope="module")
def lesson_server(lesson_site):
    yield from served(lesson_site[0])


def fresh_dir(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def demo_shots():
    return fresh_dir(SHOTS / "demo")


@pytest.fixture(scope="module")
def lesson_shots():
    return fresh_dir(SHOTS / "site")


@pytest.fixture(scope="module")
def chinese_shots():
    return fresh_dir(SHOTS / "site-zh")


FACTS = r"""() => {
  const views = Array.from(document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]'));
  const shown = views.filter(v => {
      const s = v.previousElementSibling;
      return s && s.classList.contains('widget-subarea') && s.childElementCount > 0;
  });
  const plots = Array.from(document.querySelectorAll('.plotly-graph-div'));
  const drawn = plots.filter(d => d.classList.contains('js-plotly-plot')
                                  && d.querySelector('.main-svg'));
  const markdown = Array.from(document.querySelectorAll('.jp-RenderedMarkdown'));
  const leftovers = [];
  for (const md of markdown) {
      const copy = md.cloneNode(true);
      copy.querySelectorAll('mjx-container, code, pre').forEach(e => e.remove());
      const text = copy.textContent;
      // raw TeX: $$, \( or \[, a \command, or a $...$ pair that MathJax did not take
      const m = text.match(/\$\$|\\\(|\\\[|\\[a-zA-Z]{2,}|(^|[^\\])\$[^$\s][^$]*\$/);
      if (m) leftovers.push(text.slice(Math.max(0, m.index - 30), m.index + 40));
  }
  return {
      views: views.length, viewsShown: shown.length,
      plots: plots.length, plotsDrawn: drawn.length,
      math: document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
      allMath: document.querySelectorAll('mjx-container').length,
      mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
      leftovers: leftovers,
      sliders: document.querySelectorAll('.widget-slider').length,
      readouts: Array.from(document.querySelectorAll('.widget-readout')).map(e => e.textContent),
      prev: (document.querySelector('a.course-prev') || {}).href || null,
      next: (document.querySelector('a.course-next') || {}).href || null,
      home: (document.querySelector('a.course-home') || {}).href || null,
      language: (document.querySelector('a.course-language') || {}).href || null,
      lang: document.documentElement.lang,
      title: (document.querySelector('h1') || {}).textContent || '',
      lessons: Array.from(document.querySelectorAll('a.course-lesson-title')).map(a => a.href),
  };
}"""

MATH_DONE = """() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise.then(() => true) : true"""


def formulas_in(page_html):
    """How many formulas the markdown of a page holds before MathJax runs."""
    from bs4 import BeautifulSoup
    count = 0
    for md in BeautifulSoup(page_html, "html.parser").select(".jp-RenderedMarkdown"):
        for tag in md.select("code, pre"):
            tag.decompose()
        text = md.get_text()
        for pattern in (r"\$\$.+?\$\$", r"\\\[.+?\\\]", r"\\begin\{(\w+\*?)\}.+?\\end\{\1\}",
                        r"\\\(.+?\\\)", r"(?<!\\)\$[^$]+?(?<!\\)\$"):
            count += len(re.findall(pattern, text, re.DOTALL))
            text = re.sub(pattern, " ", text, flags=re.DOTALL)
    return count


def not_blank(png, min_colours=12):
    """(ok, why): a screenshot shows something, not one flat colour."""
    from PIL import Image, ImageStat
    img = Image.open(png).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 22) or []
    spread = sum(ImageStat.Stat(img).stddev)
    return (len(colours) >= min_colours and spread > 5,
            f"{len(colours)} colours, spread {spread:.1f}")


# Elements whose own text holds Chinese characters (up to 12, in document order), marked
# for DevTools, with the number of Chinese characters in each.
CHINESE_TEXT = r"""() => {
  const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
  const counts = [];
  for (const el of document.querySelectorAll('h1, h2, h3, p, li, a, span, td')) {
      const own = Array.from(el.childNodes).filter(n => n.nodeType === 3)
                       .map(n => n.textContent).join('');
      const n = (own.match(han) || []).length;
      if (n > 0) { el.setAttribute('data-han-probe', ''); counts.push(n); }
      if (counts.length >= 12) break;
  }
  return counts;
}"""


def fonts_of_chinese_text(context, page):
    """[(Chinese characters, [fonts that drew the text])] of elements with Chinese text:
    what Chromium itself reports (DevTools' CSS.getPlatformFontsForNode)."""
    counts = page.evaluate(CHINESE_TEXT)
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root,
                                              "selector": "[data-han-probe]"})["nodeIds"]
    fonts = [cdp.send("CSS.getPlatformFontsForNode", {"nodeId": n})["fonts"] for n in nodes]
    cdp.detach()
    return list(zip(counts, fonts))


@functools.lru_cache(maxsize=1)
def chinese_font_families():
    """The font families this machine has for Simplified Chinese (fontconfig's fc-list)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.fail("fc-list (Debian's fontconfig, which chromium depends on) is missing",
                    pytrace=False)
    out = subprocess.run([fc_list, ":lang=zh-cn", "family"], capture_output=True,
                         text=True, check=True).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",")
            if name.strip()}


def assert_chinese_drawn(facts, name, families=None):
    """Every Chinese character of the page's sampled elements drawn with a Chinese font."""
    families = chinese_font_families() if families is None else families
    if not families:
        pytest.fail("no font on this machine draws Chinese, so Chinese pages show empty "
                    "boxes: install Debian's fonts-noto-cjk (the set-up of ./kit test does)",
                    pytrace=False)
    assert facts["cjk"], f"{name}: no Chinese text found on the page"
    for count, fonts in facts["cjk"]:
        drawn = sum(f["glyphCount"] for f in fonts if f["familyName"] in families)
        used = ", ".join(f"{f['familyName']} ({f['glyphCount']})" for f in fonts)
        assert drawn >= count, (f"{name}: {count} Chinese characters in an element, only "
                                f"{drawn} glyphs drawn with a Chinese font (fonts used: {used}); "
                                "the rest are boxes")


def check_page(browser, base_url, name, shots=None, wait=45.0, fonts=False):
    """Open one page; return what was seen. Asserts nothing: the tests do.

    shots: the folder for screenshots of the page and of each chart (None: take none).
    fonts: also record, for the elements with Chinese text, the fonts that drew it.
    """
    context = browser.new_context(viewport={"width": 1200, "height": 900},
                                  service_workers="block")
    page = context.new_page()
    outside, errors = [], []

    def route(r):
        url = r.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 else None)
    try:
        page.goto(base_url + name, wait_until="load")
        page.evaluate(MATH_DONE)
        deadline = time.monotonic() + wait
        while True:
            facts = page.evaluate(FACTS)
            ready = (facts["viewsShown"] == facts["views"]
                     and facts["plotsDrawn"] == facts["plots"])
            if ready or time.monotonic() > deadline:
                break
            page.wait_for_timeout(250)
        facts.update(outside=outside, errors=errors, shot=None, chart_shots=[],
                     cjk=fonts_of_chinese_text(context, page) if fonts else None)
        if shots is None:
            return facts
        page.wait_for_timeout(300)  # let the last transitions settle for the picture
        facts["shot"] = shots / f"{Path(name).stem}.png"
        page.screenshot(path=str(facts["shot"]), full_page=True)
        for i, chart in enumerate(page.locator(".plotly-graph-div").all()):
            chart.scroll_into_view_if_needed()
            path = shots / f"{Path(name).stem}.chart{i + 1}.png"
            chart.screenshot(path=str(path))
            facts["chart_shots"].append(path)
        return facts
    finally:
        context.close()


def assert_page_ok(facts, page_html, name):
    assert not facts["outside"], f"{name} asked other hosts: {facts['outside']}"
    assert not facts["errors"], f"{name}: {facts['errors']}"
    assert facts["viewsShown"] == facts["views"], \
        f"{name}: {facts['views'] - facts['viewsShown']} of {facts['views']} widgets not shown"
    assert facts["plotsDrawn"] == facts["plots"], \
        f"{name}: {facts['plots'] - facts['plotsDrawn']} of {facts['plots']} charts not drawn"
    expected = formulas_in(page_html)
    assert facts["math"] >= expected, \
        f"{name}: {expected} formulas in the markdown, {facts['math']} typeset"
    assert not facts["leftovers"], f"{name}: raw TeX left: {facts['leftovers']}"
    assert facts["mathErrors"] == 0, f"{name}: {facts['mathErrors']} MathJax errors"
    if facts["shot"] is None:
        return
    ok, why = not_blank(facts["shot"], min_colours=40)
    assert ok, f"{name}: the screenshot looks blank ({why}): {facts['shot']}"
    for chart in facts["chart_shots"]:
        ok, why = not_blank(chart)
        assert ok, f"{name}: a chart looks blank ({why}): {chart}"


# --------------------------------------------------------------------------- demo pages

def test_demo_course_renders_offline_in_chromium(chromium, demo_site, demo_server, demo_shots):
    site_dir, pages = demo_site
    seen = {}
    for name in ["index.html"] + [p.file for p in pages]:
        facts = check_page(chromium, demo_server, name, demo_shots)
        assert_page_ok(facts, (site_dir / name).read_text(), name)
        seen[name] = facts

    charts = seen["01_demo_charts.html"]
    assert charts["plots"] == 2, "the history chart and the chart inside the Output widget"
    assert charts["views"] == 1 and charts["sliders"] == 1
    assert charts["readouts"] == ["6"], "the slider shows its last value"
    assert charts["math"] == 4 and charts["allMath"] == 5, "4 formulas + the slider's label"
    assert charts["prev"] is None and charts["next"].endswith("/02_demo_interact.html")
    assert charts["home"].endswith("/index.html")

    explore = seen["02_demo_interact.html"]
    assert explore["plots"] == 2 and explore["views"] == 1 and explore["readouts"] == ["4"]
    assert explore["prev"].endswith("/01_demo_charts.html") and explore["next"] is None

    index = seen["index.html"]
    assert [u.rsplit("/", 1)[1] for u in index["lessons"]] == [p.file for p in pages]
    assert index["math"] >= 2, "the lines on the index keep their math"
    index_html = (site_dir / "index.html").read_text()
    assert "final test accuracy 0.8312" in index_html and "Demo: an interact explorer" in index_html


def test_demo_pages_share_one_plotly_js_and_inline_none(demo_site):
    site_dir, pages = demo_site
    assert (site_dir / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    for p in pages:
        text = (site_dir / p.file).read_text()
        assert "plotly.js v" not in text, f"{p.file} still inlines plotly.js"
        assert text.count('src="assets/plotly.min.js"') == 1
        assert p.bytes < 300_000, f"{p.file} is {p.bytes} bytes"
        assert not site_outputs.external_references(text)
        assert "require.js" not in text and "mermaid" not in text


# --------------------------------------------------------------------------- the lessons

def test_the_lessons_executed_for_the_site(lesson_site):
    site_dir, pages, chinese, failed = lesson_site
    assert not failed, f"lessons failed to execute: {failed}"
    assert [p.stem for p in pages] == LESSONS
    assert [p.stem for p in chinese] == LESSONS, "every lesson has its Chinese page"
    for en, zh in zip(pages, chinese):  # one run, two editions: the same outputs
        assert (zh.plotly_figures, zh.widgets, zh.accuracies) == \
            (en.plotly_figures, en.widgets, en.accuracies), zh.file


@pytest.mark.parametrize("name", ["index"] + LESSONS)
def test_lesson_page_in_chromium(chromium, lesson_site, lesson_server, lesson_shots, name):
    site_dir, pages, _, _ = lesson_site
    facts = check_page(chromium, lesson_server, f"{name}.html", lesson_shots)
    assert_page_ok(facts, (site_dir / f"{name}.html").read_text(), name)
    assert facts["lang"] == "en"
    assert facts["language"] == f"{lesson_server}zh/{name}.html", "the switch to Chinese"
    assert_navigation(facts, pages, name, lesson_server)


def assert_navigation(facts, pages, name, base):
    """The index lists the pages; a page links the index, its neighbours (same edition)."""
    files = [p.file for p in pages]
    if name == "index":
        assert [u.rsplit("/", 1)[1] for u in facts["lessons"]] == files
        return
    i = files.index(f"{name}.html")
    folder = base + ("zh/" if facts["lang"] == "zh-CN" else "")
    link = lambda url: url.removeprefix(folder) if url else None  # noqa: E731
    assert link(facts["prev"]) == (files[i - 1] if i > 0 else None)
    assert link(facts["next"]) == (files[i + 1] if i + 1 < len(files) else None)
    assert link(facts["home"]) == "index.html"


# Chinese pages checked in full (screenshots too): the widgets' explorer and math (01),
# a training chart (03), charts and the prediction browser (07); the others without pictures.
CHINESE_FULL = ["index", "01_softmax_operation", "03_softmax_scratch", "07_calibration"]


@pytest.mark.parametrize("name", CHINESE_FULL)
def test_chinese_page_in_chromium(chromium, lesson_site, lesson_server, chinese_shots, name):
    site_dir, _, chinese, _ = lesson_site
    facts = check_page(chromium, lesson_server, f"zh/{name}.html", chinese_shots, fonts=True)
    assert_chinese_page(facts, site_dir, chinese, name, lesson_server)


def test_the_other_chinese_pages_in_chromium(chromium, lesson_site, lesson_server):
    site_dir, _, chinese, _ = lesson_site
    others = [p.stem for p in chinese if p.stem not in CHINESE_FULL]
    assert others, "the Chinese edition has more lessons than those checked in full"
    for name in others:
        facts = check_page(chromium, lesson_server, f"zh/{name}.html", fonts=True)
        assert_chinese_page(facts, site_dir, chinese, name, lesson_server)
    facts = check_page(chromium, lesson_server, "zh/glossary.html", fonts=True)
    assert not facts["outside"] and not facts["errors"], facts
    assert facts["lang"] == "zh-CN" and facts["home"] == f"{lesson_server}zh/index.html"
    assert_chinese_drawn(facts, "zh/glossary")


def assert_chinese_page(facts, site_dir, chinese, name, base):
    """A Chinese page: typeset, drawn, offline, in Chinese fonts, linked to its English twin."""
    assert_page_ok(facts, (site_dir / "zh" / f"{name}.html").read_text(), f"zh/{name}")
    assert facts["lang"] == "zh-CN"
    assert_chinese_drawn(facts, f"zh/{name}")
    assert re.search(r"[\u4e00-\u9fff]", facts["title"]), f"zh/{name}: {facts['title']!r}"
    assert facts["language"] == f"{base}{name}.html", "the switch back to English"
    assert_navigation(facts, chinese, name, base)


def test_the_font_check_sees_boxes(chromium, lesson_site, lesson_server, tmp_path):
    """A Chromium that has no Chinese font draws boxes, and the font check says so."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    "<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>"
                    f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    bare = chromium.browser_type.launch(
        executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"],
        env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    try:
        facts = check_page(bare, lesson_server, "zh/index.html", fonts=True)
    finally:
        bare.close()
    assert facts["cjk"], "the page has Chinese text"
    with pytest.raises(AssertionError, match="the rest are boxes"):
        assert_chinese_drawn(facts, "zh/index")


def test_the_lessons_show_charts_and_explorers(lesson_site):
    """Across the course there are plotly charts and saved widget explorers to show."""
    site_dir, pages, _, _ = lesson_site
    assert sum(p.plotly_figures for p in pages) >= 1
    assert any(p.widgets for p in pages)
    total = site.site_size(site_dir)
    print("site:", ", ".join(f"{p.file} {p.bytes / 1e3:.0f} kB" for p in pages),
          f"total {total / 1e6:.1f} MB")
    assert total < 25e6


# --------------------------------------------------------------------------- the main job

def test_the_main_job_renders_the_site_after_the_notebooks(tmp_path, capsys):
    # An executed copy of another lesson from an earlier run: the site keeps its page.
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / f"{LESSONS[1]}.ipynb", tmp_path / "notebooks")
    code = run_notebooks.main([LESSONS[0][:2], "--build", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"running {LESSONS[0]}.ipynb" in out and "Rendering the site" in out
    assert re.search(rf"\[1/2\] {LESSONS[0]}\.html +[0-9.]+ s +[0-9]+ kB", out), out
    assert "with 1 lesson(s) as an earlier run left them" in out
    assert re.search(r"^1 passed, 0 failed in \d+ s; executed copies in ", out, re.M), out
    assert out.rstrip().splitlines()[-1].startswith("1 passed, 0 failed")
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / f"{LESSONS[0]}.html").is_file()
    assert (tmp_path / "site" / "zh" / f"{LESSONS[0]}.html").is_file(), "its Chinese page"
    assert re.search(rf"\[1/2\] zh/{LESSONS[0]}\.html +[0-9.]+ s", out), out
    assert (tmp_path / "site" / f"{LESSONS[1]}.html").is_file()  # the earlier run's, kept
    assert (tmp_path / "site" / "zh" / f"{LESSONS[1]}.html").is_file()
    assert (tmp_path / "site" / "vendor" / "mathjax" / "tex-svg-full.js").is_file()
