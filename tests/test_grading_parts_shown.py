"""What the grader shows, each part on its own: fast, and each names its failure.

A kernel's outputs kept within bounds (text and PNG only), the feedback page's escaping
and its policy against scripts, a written answer fenced whatever it holds, and the
summary a teacher reads.
"""
import json

import nbformat

from grading import feedback, gradebook, report
from grading.executor import Outputs


def test_outputs_are_capped_and_only_text_and_png_kept():
    out = Outputs(chars=100, image_bytes=1000)
    out.add("stream", {"name": "stdout", "text": "x" * 500})
    out.add("display_data", {"data": {"text/html": "<script>1</script>",
                                      "application/javascript": "alert(1)",
                                      "image/png": "bm90IGEgcG5n"}})  # "not a png"
    out.add("error", {"ename": "E", "evalue": "v" * 5000, "traceback": ["t"] * 1000})
    text = json.dumps(out.items)
    assert "script" not in text and "javascript" not in text and "bm90" not in text
    assert len(text) < 1500 and out.error[0] == "E"


def test_feedback_page_escapes_the_student_and_forbids_scripts():
    nb = nbformat.v4.new_notebook()
    kit = nbformat.v4.new_markdown_cell("# Title <b>x</b>")
    kit.metadata["grading"] = {"origin": "course"}
    answer = nbformat.v4.new_markdown_cell(gradebook.fenced("<script>alert(1)</script> & co"))
    answer.metadata["grading"] = {"origin": "student", "text": "<script>alert(1)</script> & co"}
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "answer"}
    code = nbformat.v4.new_code_cell("print('<img src=x onerror=alert(1)>')")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="<svg onload=alert(1)>")]
    nb.cells = [kit, answer, code]
    page = feedback.page(nb, "eve<x>", "a1", "softmax", {"answer": (None, 2.0, True)})
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page and "<svg" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "<h1>Title &lt;b&gt;x&lt;/b&gt;</h1>" in page and "eve&lt;x&gt;" in page
    assert "waiting for your teacher" in page


def test_fenced_keeps_every_character_inside_one_block():
    text = "<b>a</b> & &lt; [l](javascript:y) ```\n````` ~~~ &#58;"
    out = gradebook.fenced(text)
    fence = out.splitlines()[0][:-len("text")]
    assert set(fence) == {"`"} and len(fence) == 6 and out.endswith("\n" + fence)
    assert out[len(fence) + len("text\n"):-len(fence) - 1] == text


def test_summary_lists_who_needs_attention_and_why():
    from grading.grade import Job, Outcome
    from grading.verdict import Verdict
    ok = Outcome(Job("a1", "softmax", "ann"), verdicts=[Verdict("t", 2, 2, "passed", "passed")])
    bad = Outcome(Job("a1", "softmax", "bob"), verdicts=[Verdict("t", 2, 0, "x", "failed")],
                  attention=["cell 3 ran longer than 10 s"])
    evil = Outcome(Job("a1", "softmax", "eve\x1b]0;owned\x07"), attention=["x\x1b[2J"])
    text = report.summary([ok, bad, evil], 6.0, 2)
    assert text.splitlines()[0] == "graded 3 submissions in 6.0 s with 2 workers (2.00 s each)"
    assert "  a1  bob  0/2  cell 3 ran longer than 10 s" in text and "ann" not in text
    assert "\x1b" not in text and "eve?]0;owned?" in text  # a zip's name cannot drive the terminal
