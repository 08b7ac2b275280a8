"""Render the executed notebooks as a small static site that works offline.

Part of the main job (``./kit run`` calls ``build_site`` once the notebooks have run);
also runnable alone: ``python tools/build_site.py`` renders build/notebooks/ into build/site/.

The site: ``index.html`` (lesson number, title, one line, final accuracy) and one page
per notebook with previous/next links, titles and lines taken from the notebooks'
own first heading and first paragraph. Nothing on a page asks any other host for anything:

- plotly: one shared ``assets/plotly.min.js`` (the copy inside the plotly package). The
  notebook renderer's inlined 4.8 MB copy of plotly.js is dropped from every page, and each
  figure's HTML is rebuilt from its JSON without the CDN MathJax tag plotly adds to it (the
  same for figures inside widget outputs, and for figures that have only the mimetype).
- widgets: the saved widget state is rendered by the standalone ``embed.js`` bundle of
  @jupyter-widgets/html-manager, vendored in site/vendor/; that bundle has no module
  loader, so it never asks a CDN for widget code.
- math: MathJax 3 (``tex-svg-full.js``, vendored; SVG output needs no font files).
- no require.js (nothing on the pages needs it) and no mermaid loader.

The vendored files are recorded in site/vendor/MANIFEST.json (package, version, licence,
SHA-256); a build refuses files whose hash differs. ``--refresh-vendor`` fetches them again
with ``npm pack`` (the npm registry) and rewrites the manifest.
"""
import argparse
import copy
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make tools.* importable
    sys.path.insert(0, str(ROOT))
from tools.lessons import notebook_paths, reported_accuracies  # noqa: E402

SITE_SRC = ROOT / "site"
TEMPLATES = SITE_SRC / "templates"
VENDOR = SITE_SRC / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"
BUILD = ROOT / "build"
MARKER = ".course-site"  # marks a folder this builder made (and may wipe)

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

# What site/vendor/ holds: npm package -> version, folder, {file in package: file in folder}.
NPM_ASSETS = {
    "@jupyter-widgets/html-manager": {
        "version": "1.0.15",
        "dir": "html-manager",
        "license": "BSD-3-Clause",
        "files": {
            "dist/embed.js": "embed.js",
            "dist/embed.js.LICENSE.txt": "embed.js.LICENSE.txt",
            # Font Awesome (icons of buttons and the like), fetched next to embed.js.
            "dist/1551f4f60c37af51121f.woff2": "1551f4f60c37af51121f.woff2",
            "dist/7a3337626410ca2f4071.woff2": "7a3337626410ca2f4071.woff2",
            "dist/d878b0a6a1144760244f.woff2": "d878b0a6a1144760244f.woff2",
        },
    },
    "mathjax": {
        "version": "3.2.2",
        "dir": "mathjax",
        "license": "Apache-2.0",
        "files": {"es5/tex-svg-full.js": "tex-svg-full.js", "LICENSE": "LICENSE"},
    },
    # Only for its licence: the Font Awesome fonts above come from this release (OFL-1.1 fonts).
    "@fortawesome/fontawesome-free": {
        "version": "5.15.4",
        "dir": "fontawesome",
        "license": "OFL-1.1 AND MIT AND CC-BY-4.0",
        "files": {"LICENSE.txt": "LICENSE"},
    },
}
# The html-manager package ships no licence file; its licence is ipywidgets' (same repository).
HTML_MANAGER_LICENSE_FROM = "ipywidgets"

# Script tags a notebook output may carry that would reach a CDN: plotly's per-figure
# MathJax tag, and plotly.js itself when the 'notebook_connected' renderer was used.
CDN_SCRIPT = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']https?://[^"']*(?:mathjax|plotly)[^"']*["'][^>]*>\s*</script>"""
    r"""|<script\b[^>]*type\s*=\s*["']module["'][^>]*>\s*import\s+["']https?://[^"']*plotly[^"']*["'];?\s*</script>""",
    re.IGNORECASE)
# plotly.js inlined by the 'notebook' renderer (its first display in a kernel).
INLINE_PLOTLYJS = re.compile(r"<script\b[^>]*>\s*/\*\*?\s*\*?\s*plotly\.js v[^<]*?.*?</script>",
                             re.DOTALL)
# src/href attributes that would make the browser fetch from another host.
EXTERNAL_REF = re.compile(
    r"""<(?:script|link|img|iframe|audio|video|source|embed)\b[^>]*?\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']""",
    re.IGNORECASE)


# --------------------------------------------------------------------------- vendored files

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(manifest=MANIFEST):
    return json.loads(Path(manifest).read_text())


def verify_vendor(vendor=VENDOR):
    """Problems with the vendored files (missing, or hash differs from MANIFEST.json); [] if fine."""
    vendor = Path(vendor)
    problems = []
    try:
        manifest = read_manifest(vendor / "MANIFEST.json")
    except (OSError, ValueError) as e:
        return [f"cannot read {vendor / 'MANIFEST.json'}: {e}"]
    for entry in manifest["files"]:
        path = vendor / entry["path"]
        if not path.is_file():
            problems.append(f"missing {path}")
        elif sha256(path) != entry["sha256"]:
            problems.append(f"{path}: SHA-256 differs from MANIFEST.json")
    return problems


def refresh_vendor(vendor=VENDOR, log=print):
    """Fetch NPM_ASSETS with `npm pack` and rewrite site/vendor/ and its MANIFEST.json."""
    from importlib import metadata
    vendor = Path(vendor)
    files, packages = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, spec in NPM_ASSETS.items():
            ref = f"{name}@{spec['version']}"
            log(f"npm pack {ref}")
            out = subprocess.run(["npm", "pack", ref, "--json"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout
            info = json.loads(out)[0]
            with tarfile.open(tmp / info["filename"]) as tar:
                tar.extractall(tmp / spec["dir"], filter="data")
            src, dst = tmp / spec["dir"] / "package", vendor / spec["dir"]
            if dst.exists():
                shutil.rmtree(dst)
            dst.mkdir(parents=True)
            for inner, target in spec["files"].items():
                shutil.copyfile(src / inner, dst / target)
                files.append({"path": f"{spec['dir']}/{target}", "package": name,
                              "version": spec["version"], "from": f"npm:{ref}/{inner}"})
            license_file = f"{spec['dir']}/LICENSE"
            if not (dst / "LICENSE").exists():  # html-manager: take ipywidgets' licence
                dist = metadata.distribution(HTML_MANAGER_LICENSE_FROM)
                lic = next(f for f in dist.files if f.name.upper().startswith("LICENSE"))
                shutil.copyfile(dist.locate_file(lic), dst / "LICENSE")
                files.append({"path": license_file, "package": name, "version": spec["version"],
                              "from": f"pypi:{HTML_MANAGER_LICENSE_FROM}=={dist.version}/{lic}"})
            packages.append({"package": name, "version": spec["version"],
                             "license": spec["license"], "license_file": license_file,
                             "tarball": info["filename"], "integrity": info["integrity"]})
    for entry in files:
        entry["sha256"] = sha256(vendor / entry["path"])
    manifest = {"about": "Files vendored for the offline site (tools/build_site.py). "
                         "Refresh with: .venv/bin/python tools/build_site.py --refresh-vendor",
                "packages": packages, "files": files}
    (vendor / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {vendor / 'MANIFEST.json'} ({len(files)} files)")
    return manifest


# --------------------------------------------------------------------------- notebook facts

H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
HTML_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
MATH_HINT = re.compile(r"\$|\\\(|\\\[")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
NOT_PROSE = re.compile(r"^\s*(#|>|[-*+]\s|\d+[.)]\s|```|~~~|\$\$|\||!\[|<|\\\[|---|===)")


def _markdown_lines(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield from cell.source.splitlines()
            yield ""  # a cell boundary ends a paragraph


def notebook_title(nb, fallback):
    """The notebook's first level-1 heading (markdown text), else `fallback`."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = H1.match(line)
            if m:
                return m.group(1)
        m = HTML_H1.search(cell.source)
        if m:
            return re.sub(r"<[^>]+>", "", m.group(1)).strip()
    return fallback


def notebook_summary(nb, short=80, limit=200):
    """One line: the first sentences (at least `short` characters) of the first paragraph
    after the first heading, cut at a word to `limit` characters."""
    lines, seen_heading, para = list(_markdown_lines(nb)), False, []
    for line in lines:
        if not seen_heading:
            seen_heading = bool(H1.match(line) or HTML_H1.search(line))
            continue
        if not line.strip():
            if para:
                break
            continue
        if NOT_PROSE.match(line):
            if para:
                break
            continue
        para.append(line.strip())
    text = ""
    for sentence in SENTENCE_END.split(" ".join(para)):
        text = f"{text} {sentence}".strip()
        if len(text) >= short:
            break
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    if cut.count("$") % 2:  # never cut inside inline math
        cut = cut[:cut.rfind("$")].rstrip()
    return cut.rstrip(",;:") + " …"


CODE = re.compile(r"(^[ \t]*(```|~~~).*?^[ \t]*\2[^\n]*$|(`+).+?\3)", re.MULTILINE | re.DOTALL)
PAREN_MATH = re.compile(r"\\\((.+?)\\\)", re.DOTALL)
BRACKET_MATH = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)


def dollar_math(markdown):
    """\\( \\) and \\[ \\] math as $ and $$ math, outside code.

    JupyterLab typesets both kinds; nbconvert's markdown step keeps $ math intact but
    reads \\( and \\[ as escaped brackets, leaving raw TeX on the page.
    """
    out, last = [], 0
    for m in CODE.finditer(markdown):
        out.append(_dollars(markdown[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_dollars(markdown[last:]))
    return "".join(out)


def _dollars(text):
    text = BRACKET_MATH.sub(lambda m: f"$${m.group(1)}$$", text)
    return PAREN_MATH.sub(lambda m: f"${m.group(1).strip()}$", text)


def lesson_number(stem, position):
    m = re.match(r"(\d+)", stem)
    return int(m.group(1)) if m else position


def inline_markdown(text):
    """Markdown of one line as inline HTML (math left as $...$ for MathJax)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    out = markdown2html_mistune(dollar_math(text)).strip()
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


def plain_text(markdown):
    text = re.sub(r"<[^>]+>", "", inline_markdown(markdown))
    return html.unescape(text).strip()


# --------------------------------------------------------------------------- offline outputs

class OfflineOutputs:
    """Rewrites a notebook's outputs (and its widgets' outputs) so that they need no CDN."""

    def __init__(self, slug):
        self.slug = slug
        self.figures = 0         # plotly figures written as HTML
        self.dropped_plotlyjs = 0  # inlined copies of plotly.js removed
        self.dropped_cdn = 0     # CDN script tags removed

    def figure_html(self, fig):
        import plotly.io as pio
        fig = dict(fig)
        config = fig.pop("config", None) or {}
        self.figures += 1
        return pio.to_html(fig, config=config, include_plotlyjs=False, include_mathjax=False,
                           full_html=False, default_width="100%", default_height=525,
                           validate=False, div_id=f"plotly-{self.slug}-{self.figures}")

    def clean_html(self, text):
        text, n = INLINE_PLOTLYJS.subn("", text)
        self.dropped_plotlyjs += n
        text, n = CDN_SCRIPT.subn("", text)
        self.dropped_cdn += n
        return text

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
                visible = re.sub(r"<script\b.*?</script>", "", cleaned, flags=re.DOTALL).strip()
                if not visible and set(data) <= {"text/html", "text/plain"}:
                    return None
                data["text/html"] = cleaned
        return out

    def outputs(self, outputs):
        kept = []
        for out in outputs:
            new = self.output(out)
            if new is not None:
                kept.append(new)
        return kept

    def notebook(self, nb):
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = self.outputs(cell.outputs)
            elif cell.cell_type == "markdown":
                cell.source = dollar_math(cell.source)
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
        for model in state.values():
            outs = model.get("state", {}).get("outputs")
            if isinstance(outs, list):
                model["state"]["outputs"] = self.outputs(outs)
        return nb


def external_references(page_html):
    """URLs on other hosts that a page's tags would fetch (src/href of script, link, img...)."""
    return sorted(set(EXTERNAL_REF.findall(page_html)))


# --------------------------------------------------------------------------- rendering

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
    title_text: str = field(default="", repr=False)

    @property
    def accuracy_line(self):
        if not self.accuracies:
            return ""
        label = "test" if "test" in self.accuracies else next(iter(self.accuracies))
        return f"final {label} accuracy {self.accuracies[label]:.4f}"


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    c = Config()
    c.HTMLExporter.template_name = "course"
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.HTMLExporter.theme = "light"
    # Belt and braces: no URL nbconvert knows of points off the site.
    c.HTMLExporter.require_js_url = ""
    c.HTMLExporter.mathjax_url = "vendor/mathjax/tex-svg-full.js"
    c.HTMLExporter.widget_renderer_url = "vendor/html-manager/embed.js"
    c.HTMLExporter.jupyter_widgets_base_url = ""
    return HTMLExporter(config=c)


def _jinja():
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]))


def _nav(pages, i):
    prev = pages[i - 1] if i > 0 else None
    nxt = pages[i + 1] if i + 1 < len(pages) else None
    link = lambda p: p and {"href": p.file, "number": p.number,  # noqa: E731
                            "title": inline_markdown(p.title)}
    return {"index": "index.html", "prev": link(prev), "next": link(nxt),
            "position": i + 1, "count": len(pages)}


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
    for entry in read_manifest()["files"]:
        target = out_dir / "vendor" / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(VENDOR / entry["path"], target)
    shutil.copyfile(MANIFEST, out_dir / "vendor" / "MANIFEST.json")
    from importlib import metadata
    dist = metadata.distribution("plotly")
    lic = next((f for f in dist.files if f.name.upper().startswith("LICENSE")), None)
    if lic is not None:
        shutil.copyfile(dist.locate_file(lic), assets / "plotly.LICENSE.txt")
    return {"plotly.js": get_plotlyjs_version()}


def _prepare_out_dir(out_dir):
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise RuntimeError(f"{out_dir} exists and was not made by tools/build_site.py; "
                           "not overwriting it")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / MARKER).write_text("made by tools/build_site.py; wiped on each build\n")
    return out_dir


def site_size(out_dir):
    return sum(p.stat().st_size for p in Path(out_dir).rglob("*") if p.is_file())


def say(message):
    print(message, flush=True)


def build_site(notebooks, out_dir, failed=(), log=say):
    """Render executed notebooks (paths, in lesson order) and an index into `out_dir`.

    failed: names of notebooks whose execution failed (marked on the index).
    Returns the list of Page records (sizes, timings); raises if a page would fetch from
    another host or a vendored file does not match its recorded hash.
    """
    import nbformat

    tic = time.perf_counter()
    problems = verify_vendor()
    if problems:
        raise RuntimeError("vendored site assets do not match site/vendor/MANIFEST.json:\n  "
                           + "\n  ".join(problems))
    out_dir = _prepare_out_dir(out_dir)
    versions = _write_assets(out_dir)
    failed = {Path(f).stem for f in failed}

    notebooks = [Path(p) for p in notebooks]
    loaded, pages = [], []
    for position, path in enumerate(notebooks, 1):
        nb = nbformat.read(path, as_version=4)
        title = notebook_title(nb, path.stem.replace("_", " "))
        page = Page(number=lesson_number(path.stem, position), stem=path.stem, title=title,
                    summary=notebook_summary(nb), accuracies=reported_accuracies(nb),
                    ok=path.stem not in failed, file=f"{path.stem}.html",
                    title_text=plain_text(title))
        loaded.append(nb)
        pages.append(page)

    exporter = _exporter()
    for i, (page, nb) in enumerate(zip(pages, loaded)):
        t0 = time.perf_counter()
        fix = OfflineOutputs(page.stem)
        nb = fix.notebook(copy.deepcopy(nb))
        uses_plotly = fix.figures > 0 or _uses_plotly(nb)
        page.widgets = WIDGET_STATE_MIME in nb.metadata.get("widgets", {})
        nb.metadata["title"] = page.title_text
        resources = {"metadata": {"name": page.title_text},
                     "course": {"nav": _nav(pages, i), "plotly": uses_plotly,
                                "widgets": page.widgets, "page": page}}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        bad = external_references(body)
        if bad:
            raise RuntimeError(f"{page.file} would fetch from other hosts: {bad}")
        target = out_dir / page.file
        target.write_text(body, encoding="utf-8")
        page.bytes = target.stat().st_size
        page.plotly_figures = body.count('class="plotly-graph-div"')
        page.seconds = time.perf_counter() - t0
        log(f"  [{i + 1}/{len(pages)}] {page.file:<32} {page.seconds:5.1f} s "
            f"{page.bytes / 1e3:8.0f} kB")

    index = _jinja().get_template("site_index.html.j2").render(
        pages=pages, versions=versions, inline_markdown=inline_markdown,
        course_title=course_title(), built=time.strftime("%Y-%m-%d"),
        math=any(MATH_HINT.search(p.title + p.summary) for p in pages))
    bad = external_references(index)
    if bad:
        raise RuntimeError(f"index.html would fetch from other hosts: {bad}")
    (out_dir / "index.html").write_text(index, encoding="utf-8")
    total = site_size(out_dir)
    log(f"  site: {len(pages)} pages + index, {total / 1e6:.1f} MB in {out_dir} "
        f"({time.perf_counter() - tic:.1f} s); open {out_dir / 'index.html'}")
    return pages


def course_title():
    """The project's description up to its first colon (pyproject.toml)."""
    import tomllib
    try:
        desc = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["description"]
    except (OSError, KeyError, ValueError):
        return "The course"
    return desc.split(":")[0].strip().rstrip(".")


def _uses_plotly(nb):
    blob = json.dumps(nb.metadata.get("widgets", {}))
    if "plotly-graph-div" in blob:
        return True
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "plotly-graph-div" in str(out.get("data", {}).get("text/html", "")):
                return True
    return False


def executed_notebooks(build=BUILD):
    """The executed copies in build/notebooks/ of the notebooks the kit has now, in order."""
    executed = Path(build) / "notebooks"
    return [executed / p.name for p in notebook_paths() if (executed / p.name).is_file()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
