"""Students who try to fool the grader (tests/classes/adversarial_class.py), graded by ./kit grade.

The class covers every row of course/README.md's table "What grading withstands": checks
replaced, numpy patched, the test cells rewritten, a function that knows it is tested,
the kit's reference called or a library's reached by another name, a3's faked accuracy
and borrowed helpers.train, the gradebook edited, files written and read outside the
student's folder, the grader's environment read, new namespaces, scripts and links in
markdown and outputs, processes left running, endless loops, sleeps and many slow cells,
SIGINT ignored, the kernel exited, broken JSON, records emptied, bombed or nested deep;
honest work in untidy notebooks (renamed, heavy with outputs, nbformat 3, extra plots);
and beyond it a fork bomb, a memory hog, a full disk, the network, forged records and an
output flood.

It is graded on temporary copies of the course owned by a teacher account: all of it by
root, and the students whose attacks meet the sandbox (BOTH_ROUTES: its processes, files,
limits and records, where the routes differ) by that teacher without root too (each in
parallel; how, in tests/adversarial_grading.py). Both copies start from one course where a
bystander was graded before the class. For every student graded, in both: the score is
what the work deserves and the teacher is told exactly when the entry says so; nothing
outside the sandbox changed and everything grading wrote belongs to the teacher; no other
student's grade changed; no secret of the grader reached a student; no process outlived
grading; the grader's memory stayed bounded; and each notebook stayed within its time
budget. The pages, which both routes write with the same code, are checked on root's: no
feedback page and no formgrader page runs a script or forms a link of the student's (in
headless Chromium).
"""
import json
import re
from pathlib import Path

import nbformat
import pytest

from grading.limits import UID_BASE
from tests.adversarial_grading import (BOTH_ROUTES, COURSE, NOTEBOOKS, OUTPUTS, ROOT, SECRET,
                                       STUDENTS, WORKERS, digest, formgrader_page,
                                       grade_the_class, grades_of, nbgrader, open_pages,
                                       prepare_course)

ROWS = ("checks replaced (module)", "checks replaced (names)", "numpy comparison replaced",
        "AST transformer", "input transformer", "notices it is tested",
        "calls the kit's reference", "a library answer by another name",
        "an equivalent library route", "a3 fakes the accuracy", "a3 imports helpers.train",
        "edits gradebook.db", "writes outside its folder", "prints other assignments' solutions",
        "reads the grader's environment", "new namespaces in the sandbox",
        "<script> in markdown and outputs", "links in a written answer",
        "processes left running", "infinite loop", "long sleep", "many slow cells",
        "ignores SIGINT", "exits the kernel", "not valid JSON", "records emptied",
        "a record that unpacks to gigabytes", "a record nested 200,000 deep", "honest extras",
        "a renamed notebook", "stored outputs or nbformat 3", "a character JSON allows and UTF-8 not",
        "floods the grader's channels", "too much to read", "beyond: files",
        "answers out of place", "a library route named by a string",
        "where the trap does not look", "code the scan does not read",
        "prints the hidden tests", "slow to read", "beyond: memory")
BY_NAME = {s.name: s for s in STUDENTS}
GRADED = [s for s in STUDENTS if s.files is None or len(s.files) == 1]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The course both routes start from: a1, a3, a7 generated, a bystander graded."""
    return prepare_course(tmp_path_factory.mktemp("adversarial-course"))


@pytest.fixture(scope="module")
def by_root(prepared, tmp_path_factory):
    """The whole adversarial class graded by root, in one command."""
    return grade_the_class("root", prepared, tmp_path_factory.mktemp("adversarial-root"))


@pytest.fixture(scope="module")
def by_teacher(prepared, tmp_path_factory):
    """The students of BOTH_ROUTES graded by the teacher without root, in one command."""
    return grade_the_class("user", prepared, tmp_path_factory.mktemp("adversarial-user"),
                           [BY_NAME[name] for name in BOTH_ROUTES])


@pytest.fixture(scope="module", params=("root", "user"))
def graded(request):
    """The class as one route graded it: what must hold whoever grades."""
    return request.getfixturevalue("by_root" if request.param == "root" else "by_teacher")


def test_every_row_of_the_table_has_a_student():
    covered = {row for s in STUDENTS for row in s.rows}
    assert set(ROWS) <= covered, f"rows without a student: {set(ROWS) - covered}"
    readme = (COURSE / "README.md").read_text()
    for s in STUDENTS:
        if s.rows:
            assert f"`{s.name}`" in readme, f"course/README.md does not list {s.name}"


def test_the_routes_share_every_part_but_what_both_grade():
    """The teacher's route grades the students whose attacks meet the sandbox; the rows of
    those it leaves to root are about the reading, the scan, the trap and the pages."""
    assert set(BOTH_ROUTES) <= set(BY_NAME)
    left = {row for s in STUDENTS if s.name not in BOTH_ROUTES for row in s.rows}
    sandboxed = {"writes outside its folder", "processes left running", "infinite loop",
                 "exits the kernel", "reads the grader's environment", "beyond: fork bomb",
                 "beyond: memory", "beyond: disk", "beyond: network", "beyond: files",
                 "new namespaces in the sandbox", "floods the grader's channels",
                 "a record that unpacks to gigabytes", "records emptied", "ignores SIGINT"}
    assert not left & sandboxed, left & sandboxed


@pytest.mark.parametrize("student", STUDENTS, ids=[s.name for s in STUDENTS])
def test_score_is_what_the_work_deserves_by_root(by_root, student):
    deserved(by_root, student)


@pytest.mark.parametrize("student", [BY_NAME[name] for name in BOTH_ROUTES], ids=BOTH_ROUTES)
def test_score_is_what_the_work_deserves_by_the_teacher(by_teacher, student):
    deserved(by_teacher, student)


def deserved(graded, student):
    """The score is what the work deserves, and the teacher is told exactly when it says so."""
    entry = next(e for e in graded["report"]["submissions"] if e["student"] == student.name)
    why = json.dumps(entry, indent=1)[:3000]
    assert entry["error"] is None, why  # the grader's own failure: nothing in the gradebook
    grades, flagged = grades_of(graded["course"], student.assignment, student.name)
    auto = sum(a or 0 for a, _, kind in grades.values() if kind == "code")
    assert auto == student.deserved, f"{student.name}: {auto} points, deserves " \
                                     f"{student.deserved}\n{why}"
    assert flagged == student.attention, f"{student.name}: flagged {flagged}\n{why}"
    assert bool(entry["attention"]) == student.attention, why


def test_no_file_outside_the_sandbox_changed(graded):
    before, course = graded["before"], graded["course"]
    after = digest(course, skip=OUTPUTS)
    changed = {p for p in set(before["course"]) | set(after)
               if before["course"].get(p) != after.get(p)}
    assert not changed, f"files changed in the course: {sorted(changed)}"
    for folder, files in before["kit"].items():
        assert digest(ROOT / folder) == files, f"the kit's {folder}/ changed"
    assert (ROOT / "helpers" / "__init__.py").read_bytes() == before["helpers"]
    assert not Path("/tmp/owned").exists()


def test_no_other_students_grade_changed(graded):
    course = graded["course"]
    page, grades = graded["bystander"]
    assert grades_of(course, "a1_softmax", "bystander") == grades
    assert (course / "feedback" / "bystander" / "a1_softmax" / "softmax.html").read_bytes() == page
    from nbgrader.api import Gradebook, Grade
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "softmax-kit") as gb:
        manual = gb.db.query(Grade).filter(Grade.manual_score.isnot(None)).count()
    assert manual == 0, "a student's code set manual scores in the gradebook"


def test_no_process_outlived_grading(graded):
    uids = graded["report"]["uids"]
    if graded["mode"] == "root":
        assert len(uids) == WORKERS and all(uid >= UID_BASE for uid in uids)
    else:
        assert uids == [] and graded["report"]["mode"] == "user"
    assert graded["outlived"] == {"slot": [], "sleepers": []}


def test_everything_grading_wrote_belongs_to_the_teacher(graded):
    """As root too: a teacher must be able to delete what grading left in the course."""
    course, teacher = graded["course"], graded["teacher"]
    others = [str(p.relative_to(course)) for p in [course, *course.rglob("*")]
              if p.lstat().st_uid != teacher]
    assert not others, f"not the teacher's: {others[:5]}"


def test_no_secret_of_the_grader_reaches_a_student(graded):
    course = graded["course"]
    text = "".join(p.read_text(errors="replace") for folder in ("autograded", "feedback")
                   for p in (course / folder).rglob("*") if p.is_file())
    assert SECRET not in text
    nb = nbformat.read(course / "autograded" / "environ_reader" / "a1_softmax" / "softmax.ipynb",
                       as_version=4)
    seen = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "/proc/self/environ b'HOME=/home/student" in seen  # it did read its own
    assert str(graded["root"]) not in seen  # nor where the course is


def test_no_new_namespaces_in_the_sandbox(graded):
    seen = (graded["course"] / "autograded" / "unshare" / "a1_softmax" / "softmax.ipynb").read_text()
    runs = re.findall(r"unshare (?:-Ur id|-n true|-m true) exit (\d+)", seen)
    assert len(runs) == 3 and all(code != "0" for code in runs), seen[-2000:]


def test_records_cannot_exhaust_the_grader(graded):
    """A bomb of 1.3 GB in a 1.3 MB record, JSON nested 200,000 deep: read within bounds, listed."""
    report = graded["report"]
    assert report["peak_mb"] < 600, report["peak_mb"]
    entries = {e["student"]: e for e in report["submissions"]}
    assert any("records not read: test_softmax" in a for a in entries["record_bomb"]["attention"])
    assert any("nests deeper" in a for a in entries["deep_record"]["attention"])


def test_no_network(graded):
    assert graded["listener"].connections == 0
    out = (graded["course"] / "autograded" / "network" / "a1_softmax" / "softmax.ipynb").read_text()
    assert "no connection to 127.0.0.1" in out and "connected 127" not in out


def test_each_notebook_stayed_within_its_time_budget(graded):
    """3 x the source notebook's own time + 10 s, counted in the time charged to its kernel
    (grading/clock.py: waits for a CPU held by others are not charged, up to 5 x the budget in
    wall time), and a few seconds to start its kernels."""
    report, slow = graded["report"], {}
    for entry in report["submissions"]:
        budget = report["budgets"][f"{entry['assignment']}/{entry['notebook']}"]
        if entry["charged_seconds"] > budget + 10 or entry["seconds"] > 5 * budget + 10:
            slow[entry["student"]] = (entry["charged_seconds"], entry["seconds"], budget)
    assert not slow, f"slower than the budget allows: {slow}"
    assert report["budgets"]["a1_softmax/softmax"] < 60
    timed_out = {e["student"] for e in report["submissions"]
                 if any("ran longer than" in a for a in e["attention"])}
    assert {"infinite_loop", "long_sleep", "ignores_sigint"} <= timed_out
    sleepy = next(e for e in report["submissions"] if e["student"] == "sleepy")
    assert any("ran out of its time" in a for a in sleepy["attention"])


def test_the_summary_names_each_submission_needing_attention(graded):
    out = graded["proc"].stdout
    for s in graded["students"]:
        line = next((line for line in out.splitlines() if f"  {s.name}  " in line), None)
        assert (line is not None) == s.attention, f"{s.name} in the summary: {line}"
    said = {"infinite_loop": r"cell \d+ ran longer than 5 s",
            "exits_kernel": r"the kernel stopped during cell \d+",
            "not_json": r"unreadable: the notebook is not valid JSON \(line \d+"}
    for s in graded["students"]:
        if s.name in said:
            assert re.search(rf"  {s.name}  .*{said[s.name]}", out), s.name
    assert "not_json" in {s.name for s in graded["students"]} or graded["mode"] == "user"


def feedback_text(graded, student):
    s = BY_NAME[student]
    page = graded["course"] / "feedback" / student / s.assignment / f"{NOTEBOOKS[s.assignment]}.html"
    return page.read_text()


def test_feedback_keeps_the_friendly_messages(by_root):
    assert "nan in softmax(X) for logits around 1000" in feedback_text(by_root, "patched_numpy")
    assert "test_acc is 0.850, but the trained model&#x27;s accuracy on the test set is" in \
        feedback_text(by_root, "fake_accuracy")
    assert "cross_entropy uses cross_entropy from helpers.train" in \
        feedback_text(by_root, "helpers_train")
    assert "softmax uses stable_softmax from helpers.numerics" in \
        feedback_text(by_root, "kit_reference")


def test_no_feedback_page_shows_a_hidden_test(by_root):
    """Their messages, yes; their source (the inputs they try), no: not even a1's own."""
    hidden = set()
    for cell in nbformat.read(COURSE / "source" / "a1_softmax" / "softmax.ipynb", 4).cells:
        inside = False
        for line in cell.source.splitlines():
            if line.strip() in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
                inside = line.strip().startswith("### BEGIN")
            elif inside and line.strip():
                hidden.add(line.strip())
    assert hidden
    import html
    pages = [html.unescape(p.read_text()) for p in (by_root["course"] / "feedback").rglob("*.html")]
    shown = [line for line in hidden for page in pages if line in page]
    assert not shown, shown[:3]
    assert "logits around 1000" in html.unescape(feedback_text(by_root, "patched_numpy"))


def test_the_sandboxes_files_are_limited(graded):
    """Files are memory on a tmpfs: each writable folder holds at most 20,000."""
    seen = (graded["course"] / "autograded" / "tmpfs_inodes" / "a1_softmax" /
            "softmax.ipynb").read_text()
    made = int(re.search(r"made (\d+) files", seen)[1])
    assert 1000 < made <= 3 * 20_000 and "No space left on device" in seen


def test_feedback_leaks_no_solution_or_hidden_test(by_root):
    secret = set()
    for path in sorted(COURSE.glob("source/*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            text = cell.source
            for begin, end in (("### BEGIN SOLUTION", "### END SOLUTION"),
                               ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")):
                inside = False
                for line in text.splitlines():
                    if line.strip() in (begin, end):
                        inside = line.strip() == begin
                    elif inside and len(line.strip()) > 20:
                        secret.add(line.strip())
    secret |= {line.strip() for line in (ROOT / "grading" / "reference.py").read_text().splitlines()
               if len(line.strip()) > 30}
    import html
    page = html.unescape(feedback_text(by_root, "leaker"))
    leaked = [line for line in secret if line in page]
    assert not leaked, f"the leaker's feedback shows: {leaked[:3]}"


def test_feedback_runs_no_student_script(by_root, chromium):
    folder = by_root["course"] / "feedback"
    pages = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.html"))
    assert len(pages) == len(GRADED) + 1
    seen, texts = open_pages(chromium, folder, pages)
    text = texts["scripts/a1_softmax/softmax.html"]
    bad = {name: v for name, v in seen.items() if v != ("undefined", [])}
    assert not bad, f"student scripts ran: {bad}"
    assert "<script>window.__pwned = 1</script>" in text  # shown, as text
    assert "<script>window.__pwned = 7</script>" in text


def test_formgrader_shows_written_answers_as_text(by_root, chromium, tmp_path):
    """Links of every scheme, entities, raw HTML, MathJax's \\href: none forms in formgrader."""
    for student in ("md_links", "scripts"):
        nb = by_root["course"] / "autograded" / student / "a1_softmax" / "softmax.ipynb"
        (tmp_path / f"{student}.html").write_text(formgrader_page(nb))
    names = ["md_links.html", "scripts.html"]
    seen, texts = open_pages(chromium, tmp_path, names)
    assert seen == {name: ("undefined", []) for name in names}
    assert "[my derivation](javascript:window.__pwned=10)" in texts["md_links.html"]
    assert "<script>window.__pwned = 1</script>" in texts["scripts.html"]
    from tests.site_browser import serve
    server = serve(tmp_path)
    context = chromium.new_context()
    try:
        page = context.new_page()
        for name in names:
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{name}")
            bad = page.evaluate("""() => [...document.querySelectorAll('[href], [src]')]
                .map(e => e.getAttribute('href') || e.getAttribute('src'))
                .filter(u => /^\\s*(javascript|vbscript|data)\\s*(:|&)/i.test(u))""")
            assert bad == [], (name, bad)
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_nbgrader_feedback_is_inert_too(by_root, chromium):
    course = by_root["course"]
    nbgrader(course, "generate_feedback", "a1_softmax", "--student", "scripts", "--force")
    seen, texts = open_pages(chromium, course / "feedback", ["scripts/a1_softmax/softmax.html"])
    assert seen == {"scripts/a1_softmax/softmax.html": ("undefined", [])}
    assert "test_logsumexp" in texts["scripts/a1_softmax/softmax.html"]


def test_nbgrader_autograde_is_refused(by_root):
    proc = nbgrader(by_root["course"], "autograde", "a1_softmax", "--force", check=False)
    assert proc.returncode != 0
    assert "grade with `./kit grade <assignment>`" in proc.stderr
    assert (by_root["course"] / "autograded" / "correct" / "a1_softmax" / "softmax.ipynb").is_file()


def test_memory_disk_and_processes_are_limited(graded):
    def graded_text(student):
        return (graded["course"] / "autograded" / student / "a1_softmax" / "softmax.ipynb").read_text()
    gigabytes = int(re.search(r"no more memory after (\d+) GB", graded_text("memory_hog"))[1])
    assert gigabytes < 5  # 4 GB of address space per process
    assert "stopped filling . OSError" in graded_text("disk_filler")   # the home folder is full
    assert "stopped filling /tmp OSError" in graded_text("disk_filler")
    assert "fork failed: [Errno 11]" in graded_text("fork_bomb")       # the process limit


def test_written_answers_out_of_place_reach_the_teacher_as_written(by_root):
    """Typed under the placeholder, or in a cell added below: the answer cell holds the answer."""
    def answer_text(student):
        nb = nbformat.read(by_root["course"] / "autograded" / student / "a1_softmax" /
                           "softmax.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                    == "answer")
        return cell.metadata.get("grading", {}).get("text", cell.source)
    placeholder = answer_text("answer_under_placeholder")
    assert "with c the row's maximum no exp exceeds 1" in placeholder
    assert "My plot of part 2" not in placeholder
    below = answer_text("answer_below_stub")
    assert "YOUR ANSWER HERE" not in below and len(below) > 40
    grades, _ = grades_of(by_root["course"], "a1_softmax", "answer_below_stub")
    assert grades["answer"][0] is None  # left to the teacher, not "No response."
