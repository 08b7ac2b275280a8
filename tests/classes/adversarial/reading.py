"""Students who attack what the grader reads and what the teacher sees.

They flood the kernel's channels (output, shell messages, figures), hand in notebooks too
big or too slow to read (a huge cell, 100,000 cells, deeply nested outputs, thousands of
scan findings or shell escapes), or put scripts and links in their answers and outputs.
"""
import json

from .student import Student

SCRIPTS_WRITTEN = ('<script>window.__pwned = 1</script>\n<img src="x" onerror="window.__pwned = 2">\n'
                   '[click me](javascript:window.__pwned=3) <iframe src="javascript:parent.__pwned=8">'
                   '</iframe>\n\nSoftmax is shift-invariant.')

SCRIPTS_CELL = '''\
from IPython.display import HTML, Javascript, Markdown, SVG, display
display(HTML("<script>window.__pwned = 4</script><b>bold</b>"))
display(Javascript("window.__pwned = 5"))
display(Markdown("<script>window.__pwned = 6</script>"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned = 9"></svg>'))
print("<script>window.__pwned = 7</script>")
'''

LINKS_WRITTEN = ('[my derivation](javascript:window.__pwned=10) [b](JavaScript&#58;window.__pwned=11)\n'
                 '[c](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xMjwvc2NyaXB0Pg==) '
                 '[d](vbscript:msgbox) <a href="javascript&#x3a;window.__pwned=13">e</a>\n'
                 '![f](x" onerror="window.__pwned=14) [g]: javascript:window.__pwned=15\n[g]\n\n'
                 '$\\href{javascript:window.__pwned=16}{h}$ ```` ``` \nSoftmax is shift-invariant.')

OUTPUT_FLOOD = 'print("x" * (50 * 2**20))\n'

SHELL_FLOOD = '''\
import time
kernel = get_ipython().kernel
stream, ident = kernel.shell_stream, kernel._parent_ident["shell"]
ident = ident[0] if isinstance(ident, list) else ident
content = b"0" * (60 * 2**20)

def push():  # 60 MB messages on the shell channel, which the grader reads only after the cell
    for k in range(20):
        stream.socket.send_multipart([ident, b"<IDS|MSG>", b"%064x" % k, b"{}", b"{}", b"{}",
                                      content], copy=False)

stream.io_loop.add_callback(push)
time.sleep(5)
'''

FIGURE = '''\
class Figure:
    """A figure drawn once, shown many times."""
    def _repr_png_(self):
        return b"\\x89PNG\\r\\n\\x1a\\n" + bytes(217_000)
P = Figure()
'''

SHOW_FIGURES = "display(P, P, P, P)\nP\n"

HUGE_CELL = "a = 1\n" * 300_000

SCAN_FINDINGS = "open\n" * 20_000  # 20,000 findings, each compared with every one before

SHELL_ESCAPES = "a = !true\n" * 500 + "b = 1\n" * 4_500  # IPython's 500 rounds of rewriting


def _many_cells(text, count=100_000):
    doc = json.loads(text)
    doc["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": "a"}] * count
    return json.dumps(doc, separators=(",", ":"))


def _deep_outputs(text, depth=50 * 2**20):
    """100 MB of nested lists as a cell's stored outputs (a notebook over 20 MB: outputs not read)."""
    marker = '"outputs": []'
    at = text.index(marker)
    return text[:at] + '"outputs": [' + "[" * depth + "]" * depth + "]" + text[at + len(marker):]


TEXT_EDITS = {"many_cells": _many_cells, "deep_outputs": _deep_outputs}


STUDENTS = [
    Student("scripts", "a1_softmax", 6, True, ("<script> in markdown and outputs",),
            answers={"answer": SCRIPTS_WRITTEN}, extras=[("test_logsumexp", SCRIPTS_CELL)]),
    Student("output_flood", "a1_softmax", 6, False, ("beyond: output flood",),
            extras=[("test_logsumexp", OUTPUT_FLOOD)]),
    Student("md_links", "a1_softmax", 6, False, ("links in a written answer",),
            answers={"answer": LINKS_WRITTEN}),
    Student("shell_flood", "a1_softmax", 6, True, ("floods the grader's channels",),
            extras=[("test_logsumexp", SHELL_FLOOD)]),
    Student("huge_cell", "a1_softmax", 6, True, ("too much to read",),
            extras=[("test_logsumexp", HUGE_CELL)]),
    Student("many_cells", "a1_softmax", 0, True, ("too much to read",), edit="many_cells"),
    Student("deep_outputs", "a1_softmax", 0, True, ("too much to read",), edit="deep_outputs"),
    Student("png_flood", "a1_softmax", 6, False, ("floods the grader's channels",),
            extras=[("test_logsumexp", FIGURE)] + [("test_logsumexp", SHOW_FIGURES)] * 300),
    Student("scan_findings", "a1_softmax", 6, True, ("slow to read",),
            extras=[("test_logsumexp", SCAN_FINDINGS)]),
    Student("shell_escapes", "a1_softmax", 6, True, ("slow to read",),
            extras=[("test_logsumexp", SHELL_ESCAPES)]),
]
