"""Render the executed notebooks as a small static site that works offline, in two editions.

Part of the main job (``./kit run`` calls ``build_site`` once the notebooks have run);
also runnable alone: ``./kit site`` renders build/notebooks/ into build/site/.

The site: ``index.html`` (lesson number, title, one line, final accuracy) and one page
per notebook with previous/next links, titles and lines taken from the notebooks' own
first heading and first paragraph (tools/site/facts.py). Each lesson with a Chinese twin
(notebooks/zh/, tools/lessons/notebooks.py) has a Chinese page too, in ``zh/`` with its own index
and the glossary: the twin's prose around the outputs of the very same English run (the
code cells are identical, so nothing runs twice). Every page links to itself in the other
edition. Nothing on a page asks any other host for anything:

- plotly: one shared ``assets/plotly.min.js`` (the copy inside the plotly package); each
  figure is rebuilt without CDN tags (tools/site/outputs.py).
- widgets: the saved widget state is rendered by the standalone ``embed.js`` bundle of
  @jupyter-widgets/html-manager, vendored in site/vendor/ (tools/site/vendor.py); that
  bundle has no module loader, so it never asks a CDN for widget code.
- math: MathJax 3 (``tex-svg-full.js``, vendored; SVG output needs no font files).
- fonts: the system's own; Chinese pages name the usual CJK fonts of each platform.
- no require.js (nothing on the pages needs it) and no mermaid loader.
"""
import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tools.lessons.notebooks import (CHINESE, NOTEBOOKS, borrow_outputs, notebook_paths,
                                     reported_accuracies, twin_path)
from tools.site.facts import (has_math, inline_markdown, lesson_number, notebook_summary,
                             notebook_title, plain_text)
from tools.site.outputs import WIDGET_STATE_MIME, OfflineOutputs, external_references
from tools.site.vendor import copy_vendor, refresh_vendor, verify_vendor

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "site" / "templates"
STRINGS = TEMPLATES / "strings.json"
GLOSSARY = NOTEBOOKS / CHINESE / "glossary.md"
BUILD = ROOT / "build"
MARKER = ".course-site"  # marks a folder this builder made (and may wipe)


@dataclass
class Edition:
    """One language of the site: its folder in the site, its words, its pages."""

    key: str            # "en", "zh": the key of its words in strings.json
    folder: str         # "" or "zh/": where its pages go, relative to the site
    ui: dict            # its words (strings.json)
    pages: list = field(default_factory=list)

    @property
    def root(self):
        """From a page of this edition back to the site's top folder."""
        return "../" * self.folder.count("/")


@dataclass
class Page:
    number: int
    stem: str
    title: str          # markdown of the first heading
    summary: str        # markdown of the first paragraph
    accuracies: dict
    ok: bool = True
    file: str = ""
    bytes: int = 0
    seconds: float = 0.0
    plotly_figures: int = 0
    widgets: bool = False
    lang: str = "en"
    other: str = ""     # this lesson in the other edition (a link from this page), or ""
    title_text: str = field(default="", repr=False)
    nb: object = field(default=None, repr=False)  # the notebook to render

    def accuracy_line(self, ui):
        """'final test accuracy 0.8312' in the edition's words ("" if nothing reported)."""
        if not self.accuracies:
            return ""
        label = "test" if "test" in self.accuracies else next(iter(self.accuracies))
        value = f"{self.accuracies[label]:.4f}"
        if label in ui["labels"]:  # a label the edition has words for
            return ui["accuracy"].format(label=ui["labels"][label], value=value)
        return ui["accuracy_other"].format(label=label, value=value)


def say(message):
    print(message, flush=True)


def strings():
    """The site's own words per edition (site/templates/strings.json)."""
    return json.loads(STRINGS.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- reading

def read_pages(notebooks, failed, twins):
    """The two editions' pages: every executed notebook in English; in Chinese, each one
    whose twin `twins(path)` names an existing file, with the English run's outputs."""
    words = strings()
    english, chinese = Edition("en", "", words["en"]), Edition(CHINESE, f"{CHINESE}/", words["zh"])
    for position, path in enumerate(notebooks, 1):
        executed = nbformat.read(path, as_version=4)
        accuracies, ok = reported_accuracies(executed), path.stem not in failed
        english.pages.append(_page(executed, path.stem, position, accuracies, ok, "en"))
        twin = twins(path)
        if twin is not None and Path(twin).is_file():
            source = nbformat.read(twin, as_version=4)
            nb = borrow_outputs(source, executed, name=str(twin))
            chinese.pages.append(_page(nb, path.stem, position, accuracies, ok, "zh-CN"))
    chinese_stems = {p.stem for p in chinese.pages}
    for page in english.pages:
        if page.stem in chinese_stems:
            page.other = f"{chinese.folder}{page.file}"
    for page in chinese.pages:
        page.other = f"{chinese.root}{page.file}"
    return [e for e in (english, chinese) if e.pages or e is english]


def _page(nb, stem, position, accuracies, ok, lang):
    title = notebook_title(nb, stem.replace("_", " "))
    return Page(number=lesson_number(stem, position), stem=stem, title=title,
                summary=notebook_summary(nb), accuracies=accuracies, ok=ok,
                file=f"{stem}.html", lang=lang, title_text=plain_text(title), nb=nb)


def default_twins(path):
    """The Chinese twin of an executed lesson: notebooks/zh/ under the same name."""
    return twin_path(path)


# --------------------------------------------------------------------------- rendering

def _exporter(language_code):
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    c = Config()
    c.HTMLExporter.template_name = "course"
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.HTMLExporter.theme = "light"
    c.HTMLExporter.language_code = language_code
    # Belt and braces: no URL nbconvert knows of points off the site.
    c.HTMLExporter.require_js_url = ""
    c.HTMLExporter.mathjax_url = "vendor/mathjax/tex-svg-full.js"
    c.HTMLExporter.widget_renderer_url = "vendor/html-manager/embed.js"
    c.HTMLExporter.jupyter_widgets_base_url = ""
    exporter = HTMLExporter(config=c)
    exporter.register_preprocessor(OfflineOutputs(), enabled=True)
    return exporter


def _jinja():
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]))


def _nav(edition, i):
    pages = edition.pages
    prev = pages[i - 1] if i > 0 else None
    nxt = pages[i + 1] if i + 1 < len(pages) else None
    link = lambda p: p and {"href": p.file, "number": p.number,  # noqa: E731
                            "title": inline_markdown(p.title)}
    return {"index": "index.html", "prev": link(prev), "next": link(nxt),
            "position": i + 1, "count": len(pages)}


def _switch(edition, editions, target):
    """The link to `target` in the other edition, in that edition's words (None if none)."""
    others = [e for e in editions if e is not edition]
    if not others or not target:
        return None
    other = others[0]
    return {"href": target, "label": other.ui["switch"], "lang": other.ui["lang"],
            "title": other.ui["switch_title"]}


def render_lessons(edition, editions, out_dir, log):
    """Write the pages of one edition into its folder of `out_dir`."""
    # nbconvert takes only ISO 639-1 codes ("zh"); the page says which Chinese ("zh-CN"),
    # which also picks the simplified glyphs of a CJK font.
    code = edition.ui["lang"].split("-")[0]
    exporter = _exporter(code)
    folder = out_dir / edition.folder
    folder.mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(edition.pages):
        t0 = time.perf_counter()
        nb = page.nb
        page.widgets = WIDGET_STATE_MIME in nb.metadata.get("widgets", {})
        nb.metadata["title"] = page.title_text
        resources = {"metadata": {"name": page.title_text},
                     "offline_slug": page.stem,
                     "course": {"nav": _nav(edition, i), "widgets": page.widgets, "page": page,
                                "root": edition.root, "ui": edition.ui,
                                "switch": _switch(edition, editions, page.other)}}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        body = body.replace(f'<html lang="{code}">', f'<html lang="{edition.ui["lang"]}">', 1)
        bad = external_references(body)
        if bad:
            raise RuntimeError(f"{edition.folder}{page.file} would fetch from other hosts: {bad}")
        target = folder / page.file
        target.write_text(body, encoding="utf-8")
        page.nb = None  # rendered: let it go
        page.bytes = target.stat().st_size
        page.plotly_figures = body.count('class="plotly-graph-div"')
        page.seconds = time.perf_counter() - t0
        log(f"  [{i + 1}/{len(edition.pages)}] {edition.folder + page.file:<35} "
            f"{page.seconds:5.1f} s {page.bytes / 1e3:8.0f} kB")


def render_index(edition, editions, out_dir, versions, glossary=None):
    """Write the index of one edition (and link its glossary page, if it has one)."""
    ui = edition.ui
    pages = edition.pages
    intro = (ui["intro_one"] if len(pages) == 1 else ui["intro"]).format(
        count=len(pages), built=time.strftime("%Y-%m-%d"))
    index = _jinja().get_template("site_index.html.j2").render(
        pages=pages, versions=versions, inline_markdown=inline_markdown, ui=ui, intro=intro,
        course_title=ui["course_title"] or course_title(), glossary=glossary,
        course={"root": edition.root,
                "switch": _switch(edition, editions, _other_index(edition, editions))},
        credits=ui["credits"].format(plotly=versions["plotly.js"]),
        math=any(has_math(p.title + "\n\n" + p.summary) for p in pages))
    _write_page(out_dir / edition.folder / "index.html", index)


def _other_index(edition, editions):
    others = [e for e in editions if e is not edition]
    return f"{edition.root}{others[0].folder}index.html" if others else None


def render_glossary(edition, out_dir, source=GLOSSARY):
    """The glossary (markdown) as a page of the edition; returns its file name."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    text = Path(source).read_text(encoding="utf-8")
    title = plain_text(next((line[2:] for line in text.splitlines() if line.startswith("# ")),
                            source.stem))
    page = _jinja().get_template("site_page.html.j2").render(
        title=title, body=markdown2html_mistune(text), ui=edition.ui,
        course={"root": edition.root, "switch": None})
    _write_page(out_dir / edition.folder / "glossary.html", page)
    return "glossary.html"


def _write_page(target, text):
    bad = external_references(text)
    if bad:
        raise RuntimeError(f"{target.name} would fetch from other hosts: {bad}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def lab_static_dir():
    """nbconvert's lab template CSS (the folder nbconvert itself would inline from)."""
    from jupyter_core.paths import jupyter_path
    for base in jupyter_path("nbconvert", "templates"):
        static = Path(base) / "lab" / "static"
        if (static / "index.css").is_file():
            return static
    raise RuntimeError("nbconvert's lab template (lab/static/index.css) was not found")


def _write_assets(out_dir):
    import plotly
    from plotly.offline import get_plotlyjs_version
    assets = out_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    pkg = Path(plotly.__file__).parent
    shutil.copyfile(pkg / "package_data" / "plotly.min.js", assets / "plotly.min.js")
    lab = lab_static_dir()
    css = "\n".join((lab / name).read_text() for name in ("index.css", "theme-light.css"))
    (assets / "jupyterlab.css").write_text(css)
    shutil.copyfile(TEMPLATES / "site.css", assets / "site.css")
    copy_vendor(out_dir / "vendor")
    from importlib import metadata
    dist = metadata.distribution("plotly")
    lic = next((f for f in dist.files if f.name.upper().startswith("LICENSE")), None)
    if lic is not None:
        shutil.copyfile(dist.locate_file(lic), assets / "plotly.LICENSE.txt")
    return {"plotly.js": get_plotlyjs_version()}


def _prepare_out_dir(out_dir):
    """A fresh folder beside `out_dir` to render into (``.site.partial``): the site replaces
    `out_dir` only once it is whole, so an interrupted build leaves the old one as it was."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise RuntimeError(f"{out_dir} exists and was not made by tools/site/build.py; "
                           "not overwriting it")
    partial = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    (partial / MARKER).write_text("made by tools/site/build.py; wiped on each build\n")
    return partial


def _replace(partial, out_dir):
    """Put the finished site `partial` in the place of `out_dir`."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(partial, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def site_size(out_dir):
    return sum(p.stat().st_size for p in Path(out_dir).rglob("*") if p.is_file())


def build_site(notebooks, out_dir, failed=(), log=say, twins=default_twins):
    """Render executed notebooks (paths, in lesson order) and an index into `out_dir`, and
    the Chinese edition of those with a twin into `out_dir`/zh/.

    failed: names of notebooks whose execution failed (marked on the index).
    twins: path of an executed notebook -> its Chinese twin's source (None: no twin).
    Returns the editions (English first), each with its Page records (sizes, timings).
    Raises if a page would fetch from another host, a vendored file does not match its
    recorded hash, or a twin's code cells differ from its English lesson's.
    """
    tic = time.perf_counter()
    problems = verify_vendor()
    if problems:
        raise RuntimeError("vendored site assets do not match site/vendor/MANIFEST.json:\n  "
                           + "\n  ".join(problems))
    editions = read_pages([Path(p) for p in notebooks], {Path(f).stem for f in failed}, twins)
    out_dir = Path(out_dir)
    partial = _prepare_out_dir(out_dir)
    try:
        versions = _write_assets(partial)
        for edition in editions:
            render_lessons(edition, editions, partial, log)
            glossary = render_glossary(edition, partial) \
                if edition.key == CHINESE and GLOSSARY.is_file() else None
            render_index(edition, editions, partial, versions, glossary)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _replace(partial, out_dir)
    total = site_size(out_dir)
    counts = " + ".join(f"{len(e.pages)} {e.key}" for e in editions)
    log(f"  site: {counts} pages + indexes, {total / 1e6:.1f} MB in {out_dir} "
        f"({time.perf_counter() - tic:.1f} s); open {out_dir / 'index.html'}")
    return editions


def course_title():
    """The project's description up to its first colon (pyproject.toml)."""
    import tomllib
    try:
        desc = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["description"]
    except (OSError, KeyError, ValueError):
        return "The course"
    return desc.split(":")[0].strip().rstrip(".")


def executed_notebooks(build=BUILD):
    """The executed copies in build/notebooks/ of the notebooks the kit has now, in order."""
    executed = Path(build) / "notebooks"
    return [executed / p.name for p in notebook_paths() if (executed / p.name).is_file()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="./kit site",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=BUILD,
                        help="build folder: reads notebooks/, writes site/ (build/)")
    parser.add_argument("--from", dest="source", type=Path,
                        help="render every .ipynb in this folder instead")
    parser.add_argument("--out", type=Path, help="site folder (BUILD/site)")
    parser.add_argument("--refresh-vendor", action="store_true",
                        help="fetch the vendored JS again with npm pack; rewrite MANIFEST.json")
    parser.add_argument("--verify-vendor", action="store_true",
                        help="check site/vendor/ against MANIFEST.json and exit")
    args = parser.parse_args(argv)

    if args.refresh_vendor:
        refresh_vendor()
        return 0
    if args.verify_vendor:
        problems = verify_vendor()
        print("\n".join(problems) or "site/vendor matches MANIFEST.json")
        return 1 if problems else 0
    paths = (sorted(args.source.glob("*.ipynb")) if args.source
             else executed_notebooks(args.build))
    out = args.out or args.build / "site"
    print(f"rendering {len(paths)} notebook(s) to {out}", flush=True)
    build_site(paths, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
