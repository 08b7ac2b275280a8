"""Feedback pages: a student's graded notebook as inert HTML.

Everything the student wrote or printed is shown as text, escaped: no tag of theirs
renders and no script of theirs runs. Test cells show what students were handed: their
hidden tests' messages, never their source. The course's own markdown is rendered (escaped
too, no raw HTML), outputs are capped, images must be real PNGs, and the page forbids
scripts, frames, fonts and fetches outright (a Content-Security-Policy), so a slip in
escaping would still run nothing. Scores come from the gradebook, so a page rebuilt
after the teacher's manual grading shows those too.
"""
import base64
import binascii
import html
import re

import nbformat

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.cell { margin: 1rem 0; }
.kit { color: #333; }
.answer pre { border-left: 4px solid #6a9fb5; }
.output pre { background: #fff; border: 1px solid #ddd; }
.error pre { border-color: #c33; color: #900; }
.score { font-weight: bold; padding: .3rem .6rem; display: inline-block; }
.passed { background: #e6f4ea; } .failed { background: #fce8e6; } .manual { background: #fff4ce; }
"""
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _markdown():
    import mistune
    return mistune.create_markdown(escape=True)


def esc(text):
    """`text` as HTML text: escaped, terminal colour codes removed."""
    return html.escape(ANSI.sub("", text or ""), quote=True)


def _png(data):
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    return data if raw.startswith(b"\x89PNG\r\n\x1a\n") else None


def hidden_lines(nb):
    """The lines of the hidden tests in an autograded notebook (its course test cells' source
    beyond what students were handed), for `redact`."""
    lines = set()
    for cell in nb.cells:
        shown = cell.get("metadata", {}).get("grading", {}).get("shown")
        if shown is not None:
            handed = {line.strip() for line in shown.splitlines()}
            lines |= {line.strip() for line in cell.source.splitlines()
                      if len(line.strip()) >= 8 and line.strip() not in handed}
    return sorted(lines, key=len, reverse=True)


def redact(text, hidden):
    """`text` with every hidden test's line in it replaced (a student's code may print its test)."""
    for line in hidden:
        if line in text:
            text = text.replace(line, "[a hidden test]")
    return text


def outputs_html(outputs, limit=20_000, hidden=()):
    """A code cell's outputs as HTML: text escaped, PNGs checked, `limit` characters in all,
    hidden tests' lines redacted."""
    parts, used = [], 0
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            text = out.get("text", "")
            cls = "output error" if out.get("name") == "stderr" else "output"
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            png = _png(data.get("image/png")) if data.get("image/png") else None
            if png:
                parts.append(f'<div class="output"><img alt="figure" '
                             f'src="data:image/png;base64,{png}"></div>')
            text, cls = data.get("text/plain", ""), "output"
        elif kind == "error":
            text = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
            cls = "output error"
        else:
            continue
        if isinstance(text, list):
            text = "".join(text)
        text = redact(text[:max(0, limit - used)], hidden)
        used += len(text)
        if text:
            parts.append(f'<div class="{cls}"><pre>{esc(text)}</pre></div>')
    return "".join(parts)


def score_html(name, score, top, manual, passed=None):
    """The points box of a graded cell."""
    if score is None:
        return (f'<div class="score manual">{esc(name)}: ? / {top:g} points, waiting for your '
                "teacher's grade</div>")
    cls = "manual" if manual else ("passed" if score >= top else "failed")
    return f'<div class="score {cls}">{esc(name)}: {score:g} / {top:g} points</div>'


def page(nb, student, assignment, notebook, scores):
    """The feedback page of one graded notebook (an autograded/ notebook) as HTML text.

    scores: {grade_id: (score or None, max score, needs manual grade)} from the gradebook.
    """
    md, hidden = _markdown(), hidden_lines(nb)
    total = sum(s for s, _, _ in scores.values() if s is not None)
    top = sum(m for _, m, _ in scores.values())
    waiting = any(s is None for s, _, _ in scores.values())
    body = [f"<h1>{esc(assignment)}: {esc(notebook)}</h1>",
            f"<p>Student: <b>{esc(student)}</b>. Score: <b>{total:g} / {top:g}</b>"
            + (" (written answers still to be graded)" if waiting else "") + "</p>"]
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        origin = cell.get("metadata", {}).get("grading", {}).get("origin")
        student_cell = origin != "course"
        parts = []
        if cell.cell_type == "markdown":
            if student_cell:
                text = cell.get("metadata", {}).get("grading", {}).get("text", cell.source)
                parts.append(f'<div class="answer"><pre>{esc(text)}</pre></div>')
            else:
                parts.append(f'<div class="kit">{md(cell.source)}</div>')
        elif cell.cell_type == "code":
            cls = "answer" if student_cell else "kit"
            shown = cell.get("metadata", {}).get("grading", {}).get("shown", cell.source)
            parts.append(f'<div class="{cls}"><pre><code>{esc(shown)}</code></pre></div>')
            parts.append(outputs_html(cell.get("outputs", []), hidden=hidden))
        else:
            parts.append(f"<pre>{esc(cell.source)}</pre>")
        grade_id = meta.get("grade_id")
        if meta.get("grade") and grade_id in scores:
            score, top_cell, manual = scores[grade_id]
            parts.append(score_html(grade_id, score, top_cell, manual))
        body.append(f'<div class="cell">{"".join(parts)}</div>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>{esc(assignment)} feedback</title><style>{STYLE}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def read_graded(path):
    """An autograded notebook, as nbformat reads it."""
    return nbformat.read(str(path), as_version=4)
