"""The classroom server (`./kit hub`): a whole term on it, in a real browser.

`./kit hub accounts` makes a teacher and three students (one reads the Chinese edition)
from a roster; `./kit hub start` serves them on 127.0.0.1 with a private exchange and
state. Then, in headless Chromium (Debian's, driven by Playwright) wherever a browser is
what a user has: the teacher logs in and generates and releases a1 in the formgrader, and
hands out its Chinese edition from a terminal; each student logs in, fetches a1 in the
Assignments panel, opens it in JupyterLab, types answers (one correct with a written
answer, one partly right: the textbook softmax, which overflows, in the Chinese edition,
whose validation says so in Chinese; one hostile: the adversarial class's `writer` and
`lingering`), validates and submits. The teacher
collects in the formgrader and from a terminal of the hub, grades with `kit grade` as
themselves (no root), reads the summary, grades the written answer in the formgrader,
rebuilds and releases the feedback; each student fetches theirs and opens it. Along the
way: each student sees one course, their own work only, and neither the solutions nor the
gradebook; nothing the hostile student wrote changed a file of anyone else's. Finally the
hub stops and leaves no process behind. Screenshots: build/screenshots/hub/.

The teacher's terminal commands are the ones course/README.md's "Classroom server" gives,
and the administrator's are README.md's (test_readme_commands_are_the_tested_ones).
"""
import base64
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import ssl
import string
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers.distributed import free_port
from tools.cli import class_module as course_module
from tools.course.hub_client import HubUser

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"




_adversarial = course_module("adversarial_class")
LINGERING, SCRIPTS_WRITTEN, WRITER, solutions = (
    _adversarial.LINGERING, _adversarial.SCRIPTS_WRITTEN, _adversarial.WRITER,
    _adversarial.solutions)
OVERFLOW = course_module("fixture_class").OVERFLOW  # the textbook softmax: exp(X) / sum

SHOTS = ROOT / "build" / "screenshots" / "hub"
TEACHER = "kit-hub-teacher"
CORRECT, PARTLY, HOSTILE = "kit-hub-ada", "kit-hub-bo", "kit-hub-cy"
STUDENTS = (CORRECT, PARTLY, HOSTILE)
ROSTER = f"{CORRECT}\n{PARTLY} zh   # reads the Chinese edition\n{HOSTILE}\n"
COURSE_ID, CHINESE_COURSE_ID = "softmax-kit", "softmax-kit-zh"
PASSED = "Success! Your notebook passes all the tests."
PARTLY_ANSWER = "1. 分子和分母同乘 exp(-c)，所以不变。\n2. 不知道。"
WRITTEN_POINTS = 3  # of 4, what the teacher gives the correct student's written answer

# What the teacher types into a terminal of the hub (course/README.md, "Classroom server").
HAND_OUT_CHINESE = ("cd ~/course && python $KIT/tools/zh/release.py a1_softmax && "
                    "nbgrader release_assignment a1_softmax --course=softmax-kit-zh "
                    "--CourseDirectory.release_directory=release_zh")
COLLECT_AND_GRADE = ("cd ~/course && nbgrader collect a1_softmax --course=softmax-kit-zh && "
                     "kit grade a1_softmax --course ~/course")
FEEDBACK = ("cd ~/course && kit grade --feedback a1_softmax --course ~/course && "
            "nbgrader release_feedback a1_softmax --course=softmax-kit-zh")
TEACHER_COMMANDS = (HAND_OUT_CHINESE, COLLECT_AND_GRADE, FEEDBACK)

# What a student's terminal tries: what must stay out of reach.
PROBE = r'''
import glob, json, os
kit, course, exchange = os.environ["KIT"], "{course}", os.environ["KIT_HUB_EXCHANGE"]
tries = {{"the solutions": [course + "/source/a1_softmax/softmax.ipynb",
                           kit + "/course/source/a1_softmax/softmax.ipynb",
                           kit + "/course/source_zh/a1_softmax/softmax.ipynb"],
         "the gradebook": [course + "/gradebook.db"],
         "the grader": [kit + "/grading/reference.py"],
         "the history": [kit + "/.git"],
         "the others' work": ["/home/" + s + "/a1_softmax/softmax.ipynb" for s in {others}],
         "the submissions": [exchange + "/" + c + "/inbound" for c in ("{c1}", "{c2}")],
         "the feedback": [exchange + "/" + c + "/feedback" for c in ("{c1}", "{c2}")]}}
reached = {{}}
for what, paths in tries.items():
    for path in paths:
        try:
            os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
            reached.setdefault(what, []).append(path)
        except OSError:
            pass
print("PROBE" + json.dumps({{"reached": reached, "lang": os.environ.get("KIT_LANG"),
                            "kernel": __import__("sys").executable}}))
'''


# ---------------------------------------------------------------- the machine's side

def remove_accounts(names):
    """Delete these local accounts and their homes (leftovers of an interrupted run too)."""
    from grading.sandbox import kill_users_processes
    for name in names:
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
        kill_users_processes(uid)
        subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)


def class_processes():
    """{pid: (user, command)} of the class's accounts' live processes (a zombie runs
    nothing: it waits for its parent, or for init, to reap it)."""
    uids = {}
    for name in (TEACHER, *STUDENTS):
        try:
            uids[pwd.getpwnam(name).pw_uid] = name
        except KeyError:
            pass
    out = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                uid = os.stat(entry.path).st_uid
                state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
                if uid in uids and state != "Z":
                    cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
                    out[int(entry.name)] = (uids[uid], cmd.decode(errors="replace").strip())
            except OSError:
                pass
    return out


def left_by(name):
    """Pids of `name`'s processes that no longer descend from their JupyterLab server:
    what their own code left running (a daemon, a process of a killed kernel)."""
    procs = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                cmd = Path(entry.path, "cmdline").read_bytes()
                procs[int(entry.name)] = (os.stat(entry.path).st_uid, int(stat[1]), cmd)
            except OSError:
                pass
    uid = pwd.getpwnam(name).pw_uid
    procs = {pid: info for pid, info in procs.items() if info[2]}  # no zombie
    servers = {pid for pid, (u, _, cmd) in procs.items() if u == uid and b"singleuser" in cmd}

    def under_server(pid):
        while pid > 1 and pid in procs:
            if pid in servers:
                return True
            pid = procs[pid][1]
        return False
    return sorted(pid for pid, (u, _, _) in procs.items() if u == uid and not under_server(pid))


def digest(paths):
    out = {}
    for top in paths:
        top = Path(top)
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def wait_for(url, seconds, proc, log, context=None):
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            pytest.fail(f"./kit hub start exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(url, timeout=5, context=context).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"the hub did not answer within {seconds} s:\n"
                            f"{log.read_text()[-4000:]}")
            time.sleep(0.5)


def stop(proc, seconds=120):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the hub did not stop within {seconds} s of SIGTERM")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    """The teacher and the three students, made by `./kit hub accounts` from a roster."""
    if os.geteuid() != 0:
        pytest.fail("the classroom server's test makes local accounts and starts JupyterHub: "
                    "run it as root, as ./kit test does", pytrace=False)
    proxy = ROOT / ".venv" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists() or not shutil.which("bwrap"):
        pytest.fail("the classroom server needs JupyterHub's proxy and bubblewrap: run "
                    "./kit setup hub as root (or ./kit test), which installs Node.js, npm, the "
                    "pinned proxy and bubblewrap", pytrace=False)
    remove_accounts((TEACHER, *STUDENTS))
    tmp = tmp_path_factory.mktemp("hub-accounts")
    roster = tmp / "roster.txt"
    roster.write_text(ROSTER)
    r = subprocess.run([str(ROOT / "kit"), "hub", "accounts", "--teacher", TEACHER, str(roster)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    passwords_file = Path(str(roster) + ".passwords")
    assert os.stat(passwords_file).st_mode & 0o777 == 0o600
    passwords = dict(line.split() for line in passwords_file.read_text().splitlines())
    assert set(passwords) == {TEACHER, *STUDENTS}, passwords
    for name in (TEACHER, *STUDENTS):
        assert os.stat(pwd.getpwnam(name).pw_dir).st_mode & 0o077 == 0, f"{name}'s home is open"
    # Run again, as for a latecomer: nobody's password changes, nothing is added.
    r = subprocess.run([str(ROOT / "kit"), "hub", "accounts", "--teacher", TEACHER, str(roster)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "0 accounts created" in r.stderr, r.stderr
    assert len(passwords_file.read_text().splitlines()) == 4
    yield passwords
    remove_accounts((TEACHER, *STUDENTS))


@pytest.fixture(scope="module")
def hub(accounts, tmp_path_factory):
    """`./kit hub start` for the class, on 127.0.0.1 with its own exchange and state."""
    tmp = tmp_path_factory.mktemp("hub")
    port, log = free_port(), tmp / "hub.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(ROOT / "kit"), "hub", "start", "--teacher", TEACHER, "--port", str(port),
             "--exchange", str(tmp / "exchange"), "--state", str(tmp / "state")],
            stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/hub/api", 120, proc, log)
        yield {"base": base, "proc": proc, "log": log, "exchange": tmp / "exchange",
               "course": Path(pwd.getpwnam(TEACHER).pw_dir) / "course", "port": port}
    finally:
        if proc.poll() is None:
            stop(proc)


# ---------------------------------------------------------------- the browser's side

def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def log_in(chromium, base, name, password):
    """A browser of one's own, logged in to the hub, in JupyterLab; (context, page)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    outside = []

    def route(r):
        if r.request.url.startswith((base, "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()
    context.route("**/*", route)
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
    for _ in range(60):  # saved when the file holds every answer (then validate reads it)
        page.keyboard.press("Control+s")
        page.wait_for_timeout(1000)
        cells = json.loads(saved.read_text())["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells]
        if all(any(text.strip() in source for source in sources) for text in typed):
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


# ---------------------------------------------------------------- the term

def test_a_term_on_the_classroom_server(hub, accounts, chromium):
    base, tic, times = hub["base"], time.perf_counter(), {}
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    course, exchange = hub["course"], hub["exchange"]
    fields = {"course": str(course), "kit": str(ROOT), "port": "9"}
    teacher_api = HubUser(base, TEACHER, accounts[TEACHER])
    teacher_api.login()

    def lap(what):
        times[what] = round(time.perf_counter() - tic, 1)

    # The machine as `start` left it: the course the teacher's alone, the exchange open.
    assert os.stat(course).st_uid == pwd.getpwnam(TEACHER).pw_uid
    assert os.stat(course).st_mode & 0o777 == 0o700
    assert os.stat(exchange).st_mode & 0o7777 == 0o1777
    before = digest([course / "source", course / "nbgrader_config.py", ROOT / "helpers",
                     ROOT / "grading"])

    # The teacher generates and releases a1 in the formgrader, and the Chinese edition
    # from a terminal.
    t_context, t_page = log_in(chromium, base, TEACHER, accounts[TEACHER])
    assert t_page.locator(".lm-MenuBar-item", has_text="Nbgrader").count() == 1
    formgrader_action(t_page, base, "assign", "Successfully created the student version")
    formgrader_action(t_page, base, "release", "Successfully released")
    shot(t_page, "teacher-1-released")
    status, out = teacher_api.terminal(HAND_OUT_CHINESE)
    assert status == 0 and "Released as: softmax-kit-zh a1_softmax" in out, out
    lap("handed out")

    # Three students work; the partly right one reads Chinese.
    pages = {}
    for name in STUDENTS:
        course_id = CHINESE_COURSE_ID if name == PARTLY else COURSE_ID
        pages[name] = student_works(chromium, base, name, accounts[name], course_id, fields)
        lap(f"{name} submitted")
    lingering = left_by(HOSTILE)

    # What each student can reach from a terminal of their own on the hub.
    for name in STUDENTS:
        user = HubUser(base, name, accounts[name])
        user.login()
        others = [s for s in STUDENTS if s != name]
        script = base64.b64encode(PROBE.format(course=course, others=others, c1=COURSE_ID,
                                               c2=CHINESE_COURSE_ID).encode()).decode()
        status, out = user.terminal(
            f"python -c \"import base64; exec(base64.b64decode('{script}'))\"")
        assert status == 0, out
        probe = json.loads(out.split("PROBE", 2)[-1].splitlines()[0])
        assert probe["reached"] == {}, f"{name} reached {probe['reached']}"
        assert probe["lang"] == ("zh" if name == PARTLY else None), probe
        assert probe["kernel"].startswith(str(ROOT / ".venv")), probe
        listed = user.assignments()["value"]
        assert {a["course_id"] for a in listed} == \
            {CHINESE_COURSE_ID if name == PARTLY else COURSE_ID}, listed
        assert {a.get("student_id", name) for a in listed} == {name}, listed
    # ... and from the browser: no other user's server, no formgrader.
    a_page = pages[CORRECT][1]
    for url in (f"{base}/user/{PARTLY}/lab", f"{base}/user/{TEACHER}/formgrader",
                f"{base}/user/{PARTLY}/api/contents/a1_softmax"):
        response = a_page.request.get(url)
        assert response.status in (403, 404), (url, response.status, response.text()[:300])
    lap("isolation checked")

    # The teacher collects (the formgrader, and a terminal for the Chinese edition) and
    # grades as themselves.
    formgrader_action(t_page, base, "collect", "Successfully collected")
    status, out = teacher_api.terminal(COLLECT_AND_GRADE, timeout=900)
    assert status in (0, 1), out
    assert "graded 3 submissions" in out, out
    summary = out.split("graded 3 submissions", 1)[1]
    assert HOSTILE in summary and CORRECT not in summary and PARTLY not in summary, summary
    lap("graded")
    scores = gradebook_scores(course)
    assert scores == {CORRECT: 6, PARTLY: 2, HOSTILE: 6}, scores

    # The written answer, graded by hand in the formgrader.
    t_page.goto(f"{base}/user/{TEACHER}/formgrader/gradebook/a1_softmax/softmax")
    t_page.locator("#main-table tr").filter(
        has=t_page.locator("a.name-shown", has_text=CORRECT)).locator("a.name-hidden").click()
    score = t_page.locator("input#answer")
    score.wait_for(timeout=60_000)
    t_page.wait_for_load_state("networkidle")  # the grades loaded, the inputs live
    with t_page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                and r.request.method == "PUT") as saved:
        score.fill(str(WRITTEN_POINTS))
        score.press("Tab")
    assert saved.value.ok
    t_page.wait_for_selector("mjx-container", timeout=60_000)  # the kit's MathJax, offline
    shot(t_page, "teacher-2-written-answer")
    assert manual_score(course, CORRECT) == WRITTEN_POINTS

    # Feedback: rebuilt with the written grade, released, fetched and read.
    status, out = teacher_api.terminal(FEEDBACK)
    assert status == 0 and "wrote 3 feedback pages" in out, out
    formgrader_action(t_page, base, "release-feedback", "Successfully released feedback")
    lap("feedback released")
    for name in STUDENTS:
        text = read_feedback(pages[name][1], name)
        expected = {CORRECT: 6 + WRITTEN_POINTS, PARTLY: 2, HOSTILE: 6}[name]
        assert re.search(rf"\b{expected}(\.0)? */ *10", text), f"{name}'s feedback: {text[:600]}"
        if name == PARTLY:  # the visible test's message, as graded
            assert "nan in softmax(X) for logits around 1000" in text, text
    lap("feedback read")
    outside = [u for _, page in pages.values() for u in page.outside] + t_page.outside
    for context, _ in [*pages.values(), (t_context, t_page)]:
        context.close()
    assert not outside, f"the hub's pages asked other hosts: {outside}"

    # Nothing the hostile student wrote changed anyone's file.
    after = digest([course / "source", course / "nbgrader_config.py", ROOT / "helpers",
                    ROOT / "grading"])
    assert after == before
    assert not Path("/tmp/owned").exists()
    for name in (CORRECT, PARTLY):
        submitted = course / "submitted" / name / "a1_softmax" / "softmax.ipynb"
        assert "touch /tmp/owned" not in submitted.read_text()

    # The hub stops, and leaves nothing running.
    assert stop(hub["proc"]) == 0, hub["log"].read_text()[-3000:]
    lap("stopped")
    log = hub["log"].read_text()
    assert class_processes() == {}, class_processes()
    assert not [p for p in os.scandir("/proc") if p.name.isdigit() and
                f"--port {hub['port']}".encode() in Path(p.path, "cmdline").read_bytes()]
    for pid in lingering:  # what the hostile student's validation left behind
        assert f"stopped process {pid} of {HOSTILE} left running" in log, (lingering, log)
    swept = [line for line in log.splitlines() if "left running" in line]
    print(f"\na term on the classroom server (seconds since the hub answered): {times}; "
          f"the hostile student's processes stopped with the hub: {swept}")


def gradebook_scores(course):
    """{student: autograded points of a1} from the teacher's gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return {s: round(gb.find_submission_notebook("softmax", "a1_softmax", s).code_score, 3)
                for s in STUDENTS}


def manual_score(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return gb.find_grade("answer", "softmax", "a1_softmax", student).score


# ---------------------------------------------------------------- HTTPS, refusals, the README

def test_https_on_the_address_given(accounts, tmp_path):
    """--ip and --ssl-cert/--ssl-key: HTTPS on that address only, the login page served."""
    if not shutil.which("openssl"):
        pytest.fail("openssl is missing (it makes the test's certificate): run ./kit test, "
                    "whose set-up installs Debian's openssl", pytrace=False)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.2", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    port, log = free_port(), tmp_path / "hub.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(ROOT / "kit"), "hub", "start", "--teacher", TEACHER, "--ip", "127.0.0.2",
             "--port", str(port), "--ssl-cert", str(cert), "--ssl-key", str(key),
             "--exchange", str(tmp_path / "exchange"), "--state", str(tmp_path / "state")],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        wait_for(f"https://127.0.0.2:{port}/hub/login", 120, proc, log, context)
        with urllib.request.urlopen(f"https://127.0.0.2:{port}/hub/login", context=context) as r:
            assert "username_input" in r.read().decode()
        with pytest.raises(OSError):  # nothing on 127.0.0.1
            urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/login", timeout=5)
    finally:
        assert stop(proc) == 0, log.read_text()[-3000:]


def test_the_hub_refuses_what_would_not_work(tmp_path):
    """A bad roster changes nothing; no root, no teacher, a squatted exchange: said so."""
    from tools.course.hub_accounts import accounts as create_accounts
    from tools.course.hub_accounts import read_roster
    from tools.course.hub_common import HubError
    from tools.course.hub_folders import prepare_course, prepare_exchange, prepare_state
    for text, message in (("Ada\n", "not a login name"), ("bo bo\n", "only 'zh' may follow"),
                          ("cy\ncy\n", "listed twice")):
        with pytest.raises(HubError, match=message):
            read_roster(text)
    assert read_roster("# the class\nada\nbo zh # reads Chinese\n\n") == [
        ("ada", False), ("bo", True)]
    r = subprocess.run([sys.executable, "-m", "tools.course.hub", "start", "--teacher",
                        "kit-hub-nobody", "--state", str(tmp_path / "state")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "there is no account kit-hub-nobody" in r.stderr, r.stderr
    squatter = pwd.getpwnam("nobody")
    exchange = tmp_path / "exchange"
    (exchange / COURSE_ID).mkdir(parents=True)
    os.chown(exchange / COURSE_ID, squatter.pw_uid, squatter.pw_gid)
    with pytest.raises(HubError, match="belongs to nobody, not to the teacher"):
        prepare_exchange(exchange, pwd.getpwnam("root"))
    # Root follows no link a user could have planted where it writes.
    (tmp_path / "elsewhere").mkdir()
    for name in ("passwords", "state", "course"):
        (tmp_path / name).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(HubError, match="not a file of root's|cannot write"):
        create_accounts([("kit-hub-nobody", False)], None, tmp_path / "passwords")
    with pytest.raises(HubError, match="is a symbolic link"):
        prepare_state(tmp_path / "state")
    with pytest.raises(HubError, match="is a symbolic link"):
        prepare_course(tmp_path / "course", pwd.getpwnam("nobody"))
    assert list((tmp_path / "elsewhere").iterdir()) == []
    with pytest.raises(KeyError):
        pwd.getpwnam("kit-hub-nobody")


def test_readme_commands_are_the_tested_ones():
    """The administrator's commands (README.md) and the teacher's (course/README.md) in
    their "Classroom server" sections are the ones the tests above run."""
    def section(path):
        text = path.read_text()
        start = text.index("## Classroom server")
        end = text.find("\n## ", start + 3)
        return text[start:end if end > 0 else None]

    def commands(text):
        blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
        return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()
                if line.strip() and not line.startswith("#")]

    admin = commands(section(ROOT / "README.md"))
    hub_lines = [c.removeprefix("sudo ") for c in admin if "./kit hub" in c]
    assert any(" accounts " in c for c in hub_lines) and any(" start " in c for c in hub_lines)
    tested_options = {"accounts": {"--teacher"},
                      "start": {"--teacher", "--ip", "--port", "--ssl-cert", "--ssl-key",
                                "--exchange", "--state"}}
    for line in hub_lines:
        sub = line.split()[2]
        assert set(re.findall(r"--[\w-]+", line)) <= tested_options[sub], line
    teacher = section(COURSE / "README.md")
    for command in TEACHER_COMMANDS:
        for part in command.split(" && "):
            assert part in teacher, f"course/README.md does not say {part!r}"
    said = commands(teacher)
    tested = {part for command in TEACHER_COMMANDS for part in command.split(" && ")}
    assert set(said) <= tested, f"course/README.md names untested commands: {set(said) - tested}"
