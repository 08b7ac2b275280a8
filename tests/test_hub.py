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
The class and what the machine shows of it: tests/hub_class.py; what its users do in the
browser: tests/hub_browser.py.
"""
import base64
import json
import os
import pwd
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers.distributed import free_port
from tests.hub_browser import (SHOTS, formgrader_action, log_in, read_feedback, shot,
                               student_works)
from tests.hub_class import (CHINESE_COURSE_ID, CORRECT, COURSE, COURSE_ID, HOSTILE, PARTLY,
                             ROOT, ROSTER, STUDENTS, TEACHER, class_processes, digest,
                             gradebook_scores, left_by, manual_score, stop,
                             wait_for)
from tools.course.hub_accounts import remove_accounts
from tools.course.hub_client import HubUser

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
         "the kit's tests": [kit + "/tests/check_answers.py",
                             kit + "/tests/classes/fixture_class.py"],
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


# ---------------------------------------------------------------- the class and its hub

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
