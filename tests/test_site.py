"""The course site (tools/site/build.py), checked in a real browser.

In headless Chromium (Debian's `chromium`, installed by the set-up that `./kit test`
runs), on two sites rendered into a temporary folder and served on 127.0.0.1: a small
demo course made here (math, plotly, matplotlib, a slider + Output explorer, `interact`)
and the kit's own lessons, executed once by tools.lessons.run. For every page: no console
error, no request to any other host (each one is recorded and refused), every plotly chart
drawn, every formula typeset, every saved widget shown, and a screenshot that is not
blank. The screenshots of the last run stay in build/screenshots/. And the main job
renders the site after the notebooks.

How a page is opened and read: tests/site_browser.py. The builder's parts, without a
browser: tests/test_page_builder.py.
"""
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tests.site_browser import (assert_chinese_drawn, assert_page_ok, check_page, fresh_dir,
                                served)
from tools.lessons import run as run_notebooks
from tools.lessons.notebooks import notebook_paths
from tools.site import build as site
from tools.site import outputs as site_outputs
from tests.kit_paths import ROOT

SHOTS = ROOT / "build" / "screenshots"
LESSONS = [p.stem for p in notebook_paths()]


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


# --------------------------------------------------------------------------- served, shots

@pytest.fixture(scope="module")
def demo_server(demo_site):
    yield from served(demo_site[0])


@pytest.fixture(scope="module")
def lesson_server(lesson_site):
    yield from served(lesson_site[0])


@pytest.fixture(scope="module")
def demo_shots():
    return fresh_dir(SHOTS / "demo")


@pytest.fixture(scope="module")
def lesson_shots():
    return fresh_dir(SHOTS / "site")


@pytest.fixture(scope="module")
def chinese_shots():
    return fresh_dir(SHOTS / "site-zh")


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
