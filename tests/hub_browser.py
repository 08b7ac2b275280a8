"""What the users of tests/test_hub.py do on the classroom server in a browser (headless
Chromium, driven by Playwright): log in, the teacher's formgrader, a student's answers
typed into JupyterLab, validated and submitted, and the feedback read.
"""
import json
import pwd
import string
from pathlib import Path

import pytest

from tests.hub_class import CHINESE_COURSE_ID, CORRECT, COURSE, PARTLY, ROOT, TEACHER
from tests.site_browser import kept_context
from tools.cli import class_module as course_module

_adversarial = course_module("adversarial_class")
LINGERING, SCRIPTS_WRITTEN, WRITER, solutions = (
    _adversarial.LINGERING, _adversarial.SCRIPTS_WRITTEN, _adversarial.WRITER,
    _adversarial.solutions)
OVERFLOW = course_module("fixture_class").OVERFLOW  # the textbook softmax: exp(X) / sum

SHOTS = ROOT / "build" / "screenshots" / "hub"
PASSED = "Success! Your notebook passes all the tests."
PARTLY_ANSWER = "1. 分子和分母同乘 exp(-c)，所以不变。\n2. 不知道。"


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def log_in(chromium, base, name, password):
    """A browser of one's own, logged in to the hub, in JupyterLab; (context, page)."""
    context, outside = kept_context(chromium, lambda url: url.startswith(base),
                                    viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.outside = outside
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{name}/lab**", timeout=180_000)
    page.wait_for_selector(".jp-DirListing-content", timeout=180_000)
    return context, page


def open_assignments(page):
    tab = page.locator(".lm-TabBar-tab", has_text="Assignments")
    if tab.count():
        tab.first.click()
    else:
        page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
        page.locator(".lm-Menu-item", has_text="Assignment List").click()
    panel = page.locator("#assignments")
    panel.wait_for()
    return panel


def formgrader_action(page, base, cell, success):
    """Click the icon in column `cell` of a1_softmax's row of Manage Assignments."""
    page.goto(f"{base}/user/{TEACHER}/formgrader/manage_assignments")
    row = page.locator("#main-table tr", has_text="a1_softmax")
    row.locator(f"td.{cell} a").click()
    modal = page.locator(".modal.in, .modal.show").last
    modal.wait_for(timeout=180_000)
    text = modal.inner_text()
    assert success in text, text


def edit(page, cell, text, markdown=False):
    """Replace the text of the notebook's cell number `cell` by `text`, as a student types."""
    target = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(cell)
    target.scroll_into_view_if_needed()
    if markdown:
        target.dblclick()
    target.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    if markdown:
        page.keyboard.press("Control+Enter")


def add_cell_below(page, cell, text):
    target = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(cell)
    target.scroll_into_view_if_needed()
    target.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")


def answers_of(name, course, fields):
    """(cell number, text, markdown?) edits, and cells added below (cell, text), per student."""
    solved = solutions(COURSE, "a1_softmax")
    code = [(4, solved["softmax"], False), (8, solved["logsumexp"], False)]
    if name == CORRECT:
        return code + [(11, solved["answer"], True)], []
    if name == PARTLY:
        return [(4, OVERFLOW, False), code[1], (11, PARTLY_ANSWER, True)], []
    template = lambda s: string.Template(s).substitute(fields)  # noqa: E731
    # A sleep of its own length: test_grading_adversarial, maybe running beside this test,
    # counts the machine's `sleep 1000`s as its own lingering student's.
    lingering = template(LINGERING).replace('["sleep", "1000"]', '["sleep", "999"]')
    assert "999" in lingering
    return code + [(11, SCRIPTS_WRITTEN, True)], [(9, lingering), (2, template(WRITER))]


def student_works(chromium, base, name, password, course_id, fields):
    """Log in, fetch a1 in the Assignments panel, answer, validate, submit; (context, page)."""
    context, page = log_in(chromium, base, name, password)
    panel = open_assignments(page)
    released = panel.locator("#released_assignments_list .list_item")
    released.filter(has_text="a1_softmax").first.wait_for(timeout=60_000)
    courses = {t.strip() for t in panel.locator("#released_assignments_list .item_course")
               .all_inner_texts()}
    assert courses == {course_id}, f"{name} sees the courses {courses}"
    released.filter(has_text="a1_softmax").locator("button", has_text="Fetch").click()
    fetched = panel.locator("#fetched_assignments_list .list_item", has_text="a1_softmax").first
    fetched.wait_for(timeout=60_000)
    fetched.locator("a.assignment-notebooks-link").click()
    panel.locator("#fetched_assignments_list .nested_list_item a", has_text="softmax").click()
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    heading = page.locator(".jp-NotebookPanel .jp-MarkdownCell h1").first
    heading.wait_for(timeout=60_000)
    title = heading.inner_text()
    assert ("作业 1" in title) == (course_id == CHINESE_COURSE_ID), title
    edits, added = answers_of(name, course_id, fields)
    for cell, text, markdown in edits:
        edit(page, cell, text, markdown)
    for cell, text in added:
        add_cell_below(page, cell, text)
    saved = Path(pwd.getpwnam(name).pw_dir) / "a1_softmax" / "softmax.ipynb"
    typed = [text for _, text, _ in edits] + [text for _, text in added]

    def holds_every_answer():
        try:  # Jupyter saves in place: a read in the middle of a save finds part of the file
            cells = json.loads(saved.read_text())["cells"]
        except (OSError, ValueError, KeyError):
            return False
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells]
        return all(any(text.strip() in source for source in sources) for text in typed)
    # Saved when the file holds every answer (then validate reads it): looked at every
    # 0.1 s, saved again every second.
    for _ in range(60):
        page.keyboard.press("Control+s")
        if any(page.wait_for_timeout(100) or holds_every_answer() for _ in range(10)):
            break
    else:
        pytest.fail(f"{name}'s answers never reached {saved}")
    shot(page, f"{name}-1-answered")
    page.locator(".jp-NotebookPanel-toolbar", has_text="Validate").get_by_text(
        "Validate").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=300_000)
    shot(page, f"{name}-2-validated")
    result = dialog.inner_text()
    if name == PARTLY:  # the textbook softmax fails the visible test, said in Chinese
        assert PASSED not in result and "（logit 在 1000 附近时）" in result, result
    else:
        assert PASSED in result, f"{name}'s validation: {result}"
    dialog.locator("button.jp-mod-accept").click()
    panel = open_assignments(page)
    panel.locator("#fetched_assignments_list .list_item", has_text="a1_softmax").first.locator(
        "button", has_text="Submit").click()
    panel.locator("#submitted_assignments_list .list_item", has_text="a1_softmax").first.wait_for(
        timeout=120_000)
    shot(page, f"{name}-3-submitted")
    return context, page


def read_feedback(page, name):
    """Fetch the feedback in the Assignments panel and open it in JupyterLab; its text."""
    panel = open_assignments(page)
    panel.locator("#refresh_assignments_list").click()
    submitted = panel.locator("#submitted_assignments_list")
    submitted.get_by_text("(feedback available to fetch)").first.wait_for(timeout=60_000)
    submitted.locator("button", has_text="Fetch Feedback").first.click()
    submitted.get_by_text("(view feedback)").first.click()
    item = page.locator(".jp-DirListing-item", has_text="softmax.html")
    item.wait_for(timeout=60_000)
    item.dblclick()
    frame = page.frame_locator(".jp-HTMLViewer iframe").first
    frame.locator("body").wait_for(timeout=60_000)
    shot(page, f"{name}-4-feedback")
    return frame.locator("body").inner_text()
