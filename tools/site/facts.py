"""What the site reads from a notebook's markdown: its title, its first paragraph, its math.

Facts come from mistune's syntax tree (the markdown parser nbconvert itself uses), not
from patterns over the text: the title is the first level-1 heading (``# ...``, a setext
heading or an HTML ``<h1>``), the summary is the first paragraph of prose after it, and
both are handed back as markdown (emphasis, code and ``$...$`` math intact) for the index
and the navigation to render. Lines are measured in display width: a Chinese character
counts as two Latin ones, so a Chinese summary is about as long on screen as an English one.

One rewrite lives here too, `dollar_math`, because every markdown the site renders needs
it first: JupyterLab typesets ``\\(...\\)`` and ``\\[...\\]``, nbconvert does not.
"""
import html.parser
import re
import unicodedata
from functools import lru_cache

from mistune.core import BlockState
from mistune.renderers.markdown import MarkdownRenderer

# A sentence ends at . ! ? before a space and a capital or digit, or at 。！？ (no space).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])|(?<=[。！？])\s*")
CLAUSE_PUNCTUATION = ",;:，；：、"


# --------------------------------------------------------------------------- parsing

class _Markdown(MarkdownRenderer):
    """Tokens back to markdown, with the math plugin's tokens kept as TeX."""

    def text(self, token, state):
        return super().text(token, state).replace("$", "\\$")  # a literal dollar stays one

    def inline_math(self, token, state):
        return f"${token['raw']}$"

    def block_math(self, token, state):
        return f"$${token['raw']}$$\n\n"


@lru_cache(maxsize=1)
def _parser():
    import mistune
    return mistune.create_markdown(renderer=None, plugins=["math", "table", "strikethrough"])


def tokens(markdown):
    """mistune's syntax tree of `markdown` (\\( and \\[ math read as $ and $$ math)."""
    return _parser()(dollar_math(markdown))


def as_markdown(children):
    """Inline tokens rendered back to one line of markdown."""
    text = _Markdown().render_tokens(children, BlockState())
    return " ".join(text.split())


def _plain(children):
    """The text of inline tokens: markup dropped, math kept as $...$."""
    out = []
    for t in children:
        if t["type"] == "inline_math":
            out.append(f"${t['raw']}$")
        elif t["type"] in ("softbreak", "linebreak"):
            out.append(" ")
        elif "children" in t:
            out.append(_plain(t["children"]))
        else:
            out.append(t.get("raw", ""))
    return "".join(out)


class _FirstH1(html.parser.HTMLParser):
    """The text of the first <h1> of a piece of HTML."""

    def __init__(self):
        super().__init__()
        self.depth, self.parts, self.done = 0, [], False

    def handle_starttag(self, tag, attrs):
        if tag == "h1" and not self.done:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "h1" and self.depth:
            self.depth, self.done = 0, True

    def handle_data(self, data):
        if self.depth and not self.done:
            self.parts.append(data)


def _html_h1(raw):
    parser = _FirstH1()
    parser.feed(raw)
    parser.close()
    return " ".join("".join(parser.parts).split()) if parser.done else None


def _h1(token):
    """The markdown of a level-1 heading token (ATX, setext or HTML), else None."""
    if token["type"] == "heading" and token["attrs"]["level"] == 1:
        return as_markdown(token["children"])
    if token["type"] == "block_html":
        return _html_h1(token["raw"])
    return None


def _markdown_cells(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield tokens(cell.source)


# --------------------------------------------------------------------------- facts

def notebook_title(nb, fallback):
    """The notebook's first level-1 heading (markdown text), else `fallback`."""
    for cell_tokens in _markdown_cells(nb):
        for token in cell_tokens:
            title = _h1(token)
            if title:
                return title
    return fallback


def first_paragraph(nb):
    """The first paragraph of prose after the first level-1 heading, as markdown ("" if none).

    A paragraph of an image alone, a table, a list, a quote, math on its own line or HTML
    is not prose and is passed over; a paragraph never runs past its cell.
    """
    seen_heading = False
    for cell_tokens in _markdown_cells(nb):
        for token in cell_tokens:
            if not seen_heading:
                seen_heading = _h1(token) is not None
                continue
            if token["type"] == "paragraph" and _plain(
                    [t for t in token["children"] if t["type"] != "image"]).strip():
                return as_markdown(token["children"])
    return ""


def notebook_summary(nb, short=80, limit=200):
    """One line: the first sentences (at least `short` wide) of the first paragraph after the
    first heading, cut between words to at most `limit` wide (a CJK character is 2 wide)."""
    text = ""
    for sentence in SENTENCE_END.split(first_paragraph(nb)):
        text = f"{text} {sentence}".strip() if _joins_with_space(text, sentence) \
            else text + sentence
        if width(text) >= short:
            break
    if width(text) <= limit:
        return text
    cut = _cut(text, limit)
    for mark in ("$", "`"):  # never cut inside inline math or code
        if cut.count(mark) % 2:
            cut = cut[:cut.rfind(mark)].rstrip()
    cut = cut.rstrip(CLAUSE_PUNCTUATION)
    return cut + ("…" if cut and _wide(cut[-1]) else " …")


def has_math(markdown):
    """True if `markdown` holds a formula ($...$, $$...$$, \\(...\\), \\[...\\])."""
    def walk(ts):
        return any(t["type"] in ("inline_math", "block_math") or walk(t.get("children", ()))
                   for t in ts)
    return walk(tokens(markdown))


def plain_text(markdown):
    """One line of markdown as text: markup dropped, math kept as $...$."""
    found = []
    for token in tokens(markdown):
        if "children" in token:
            found.append(_plain(token["children"]))
        elif token["type"] == "block_html":
            found.append(_html_h1(token["raw"]) or "")
    return " ".join(" ".join(found).split())


def inline_markdown(text):
    """Markdown of one line as inline HTML (math left as $...$ for MathJax)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    out = markdown2html_mistune(dollar_math(text)).strip()
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


def lesson_number(stem, position):
    """The number a lesson's file name starts with (07_more: 7), else its `position`."""
    digits = len(stem) - len(stem.lstrip("0123456789"))
    return int(stem[:digits]) if digits else position


# --------------------------------------------------------------------------- widths

def _wide(ch):
    return unicodedata.east_asian_width(ch) in ("W", "F")


def width(text):
    """Display width: 2 for each wide (CJK) character, 1 for any other."""
    return sum(2 if _wide(ch) else 1 for ch in text)


def _joins_with_space(before, after):
    """Two pieces of text join with a space unless either side of the seam is CJK."""
    return bool(before) and not (_wide(before[-1]) or (after and _wide(after[0])))


def _cut(text, limit):
    """The longest head of `text` at most `limit` wide that ends between two words: at a
    space, or next to a wide character (CJK text has no spaces between its words)."""
    used, end = 0, 0
    for i, ch in enumerate(text):
        used += 2 if _wide(ch) else 1
        if used > limit:
            break
        end = i + 1
    for i in range(end, 0, -1):
        if text[i - 1] == " " or (i < len(text) and text[i] == " "):
            return text[:i].rstrip()
        if _wide(text[i - 1]) or (i < len(text) and _wide(text[i])):
            return text[:i]
    return text[:end]


# --------------------------------------------------------------------------- math delimiters

# The one rewrite done on markdown source, hence patterns and not the syntax tree: the tree
# has no positions to write back to, and reads \( as an escaped bracket, not as math.
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
