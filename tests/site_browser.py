"""How tests/test_site.py looks at a page of the course site in headless Chromium: a site
served on 127.0.0.1, the page opened with every request to another host recorded and
refused, what it shows read from the DOM (widgets, charts, formulas, links, the fonts that
drew its Chinese text), screenshots taken, and the assertions every page must pass.
"""
import functools
import http.server
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest


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


def fresh_dir(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


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


def on_this_machine(url):
    """True for a URL served from 127.0.0.1."""
    return urlsplit(url).hostname == "127.0.0.1"


def kept_context(browser, allowed=on_this_machine, **options):
    """A browser context whose pages reach only the URLs `allowed` says (and data:, blob:):
    (context, [the other URLs they asked for, each refused])."""
    context = browser.new_context(**options)
    outside = []

    def route(r):
        url = r.request.url
        if url.startswith(("data:", "blob:")) or allowed(url):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    return context, outside


def check_page(browser, base_url, name, shots=None, wait=45.0, fonts=False):
    """Open one page; return what was seen. Asserts nothing: the tests do.

    shots: the folder for screenshots of the page and of each chart (None: take none).
    fonts: also record, for the elements with Chinese text, the fonts that drew it.
    """
    context, outside = kept_context(browser, viewport={"width": 1200, "height": 900},
                                    service_workers="block")
    page = context.new_page()
    errors = []
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
        # The pictures as the page ends up: CSS transitions and animations run to their end.
        facts["shot"] = shots / f"{Path(name).stem}.png"
        page.screenshot(path=str(facts["shot"]), full_page=True, animations="disabled")
        for i, chart in enumerate(page.locator(".plotly-graph-div").all()):
            chart.scroll_into_view_if_needed()
            path = shots / f"{Path(name).stem}.chart{i + 1}.png"
            chart.screenshot(path=str(path), animations="disabled")
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
