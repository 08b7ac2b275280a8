"""Off the happy path, each failure ends in one line that says what happened and what to do,
leaves nothing half-made, and the next run recovers.

- a full disk during set-up (a small tmpfs over a copy's folder), before and during pip;
- Ctrl-C during the first install (a fake pip that waits) and during a lesson;
- a kit folder it may not write in (the project bound read-only in a mount namespace);
- `./kit run 01` after a run of every lesson keeps the other lessons' pages in the site;
- a lesson's DataLoader workers leave no multiprocessing folders (pymp-*) behind;
- the container build takes the CA certificate of a proxy that inspects HTTPS.

(An unknown command and a missing lesson: tests/test_cli.py.) The mount namespaces need
root, as `./kit test` runs; a Ctrl-C is a SIGINT to the command's process group, as a
terminal sends it.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.containers import LIMITS, podman
from tools.lessons.notebooks import notebook_paths
from tools.setup.env import MODULE_FILES, venv_record
from tests.kit_paths import ROOT

SETUP_FILES = ("kit", "requirements.txt", "constraints.txt", "pyproject.toml", *MODULE_FILES)
NEEDS_ROOT = "mounts a tmpfs or binds a folder read-only: run as root, as ./kit test does"

# pip, as far as these tests go: announces itself (FAKE_PIP_STARTED), then either waits to
# be interrupted or fills the environment's disk and fails as pip does (FAKE_PIP=fill).
FAKE_PIP = '''\
import os, sys, time
open(os.environ["FAKE_PIP_STARTED"], "w").close()
print("Collecting mxnet==1.9.1", flush=True)
if os.environ.get("FAKE_PIP") == "fill":
    try:
        with open(os.path.join(sys.prefix, "mxnet-1.9.1.whl"), "wb") as f:
            while True:
                f.write(bytes(2**20))
                f.flush()
    except OSError as e:
        print(f"ERROR: Could not install packages due to an OSError: {e}", file=sys.stderr)
        sys.exit(1)
time.sleep(300)
'''


def last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def assert_one_sentence(r, *words):
    """No traceback; the last line of stderr says what happened and names `words`."""
    assert "Traceback" not in r.stderr and "Error:" not in r.stderr, r.stderr
    last = last_line(r.stderr)
    assert last.startswith("kit"), r.stderr
    for word in words:
        assert word in last, f"{word!r} not in the last line:\n{r.stderr}"


def student_env(tmp_path, **extra):
    """A student's shell: no pip configuration, no KIT_ or data variables, no apt-get."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "KIT_", "FASHION_MNIST_", "VIRTUAL_ENV", "PYTHON"))}
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(HOME=str(tmp_path / "home"), PIP_CONFIG_FILE=os.devnull,
               KIT_SYSTEM_PACKAGES="no",
               KIT_PYTHON=venv_record(ROOT / ".venv")["executable"])
    env.update({k: str(v) for k, v in extra.items()})
    return env


def setup_copy(folder):
    """The files `./kit setup` needs, in `folder`."""
    for name in SETUP_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)
    return folder


def fake_pip(tmp_path):
    """A folder that, on PYTHONPATH, makes `python -m pip` the fake above."""
    folder = tmp_path / "fake-pip"
    (folder / "pip").mkdir(parents=True)
    (folder / "pip" / "__init__.py").write_text("")
    (folder / "pip" / "__main__.py").write_text(FAKE_PIP)
    return folder


def namespace(script, env, timeout=300):
    """`script` (sh) as root in a mount namespace of its own: its mounts vanish with it."""
    if os.geteuid() != 0:
        pytest.fail(NEEDS_ROOT)
    return subprocess.run(["unshare", "-m", "sh", "-euc", script], env=env, capture_output=True,
                          text=True, timeout=timeout)


def steps(out, n):
    """The (status, stdout, stderr) of each step a namespace script wrote into `out`."""
    return [subprocess.CompletedProcess([], int((out / f"{i}.rc").read_text()),
                                        (out / f"{i}.out").read_text(),
                                        (out / f"{i}.err").read_text()) for i in range(1, n + 1)]


def step(i, command, out):
    """A line of a namespace script: run `command`, keep its output and status in `out`."""
    return (f"rc=0; {command} >{out}/{i}.out 2>{out}/{i}.err || rc=$?; echo $rc >{out}/{i}.rc; "
            f"ls -A . >{out}/{i}.ls")


# ---------------------------------------------------------------- a full disk

def test_a_full_disk_is_refused_before_anything_is_written(tmp_path):
    """50 MB free: set-up says so at once, writes nothing, says it again; with room, it goes on."""
    kit, out = setup_copy(tmp_path / "source"), tmp_path / "out"
    disk = tmp_path / "disk"
    disk.mkdir()
    out.mkdir()
    empty = tmp_path / "empty-wheelhouse"
    empty.mkdir()
    script = "\n".join([
        f"mount -t tmpfs -o size=50m tmpfs {disk}", f"cp -a {kit}/. {disk}", f"cd {disk}",
        step(1, "bash kit setup", out), step(2, "bash kit setup", out),
        f"mount -o remount,size=2g {disk}",
        step(3, f"env KIT_WHEELHOUSE={empty} bash kit setup", out)])
    r = namespace(script, student_env(tmp_path))
    assert r.returncode == 0, r.stderr
    first, again, roomy = steps(out, 3)
    for attempt in (first, again):
        assert attempt.returncode == 1, attempt.stdout + attempt.stderr
        assert_one_sentence(attempt, "MB free", "needs about 1200 MB", "nothing was written",
                            "Free some space")
    assert (out / "1.ls").read_text() == (out / "2.ls").read_text()
    assert ".venv" not in (out / "1.ls").read_text().split()
    # With room, the same copy goes on to the install (here: a wheelhouse with no wheels).
    assert roomy.returncode == 1 and "has no wheel for" in roomy.stderr, roomy.stderr
    assert "creating the project environment" in roomy.stdout


def test_a_disk_that_fills_during_the_install_leaves_no_half_made_venv(tmp_path):
    """Room enough to begin, then pip fills the disk: one sentence, the .venv/ removed."""
    kit, out = setup_copy(tmp_path / "source"), tmp_path / "out"
    disk = tmp_path / "disk"
    disk.mkdir()
    out.mkdir()
    script = "\n".join([f"mount -t tmpfs -o size=1210m tmpfs {disk}", f"cp -a {kit}/. {disk}",
                        f"cd {disk}", step(1, "bash kit setup", out)])
    env = student_env(tmp_path, PYTHONPATH=fake_pip(tmp_path), FAKE_PIP="fill",
                      FAKE_PIP_STARTED=tmp_path / "started")
    r = namespace(script, env)
    assert r.returncode == 0, r.stderr
    (full,) = steps(out, 1)
    assert (tmp_path / "started").exists(), "pip never ran: " + full.stderr
    assert full.returncode == 1, full.stdout + full.stderr
    assert_one_sentence(full, "the disk filled up", "removed", "free some space")
    assert ".venv" not in (out / "1.ls").read_text().split()


# ---------------------------------------------------------------- Ctrl-C

def ctrl_c(cmd, cwd, env, when, timeout=180):
    """Start `cmd` as a terminal does (a process group of its own), wait until `when(stdout
    so far)` is true, then SIGINT the whole group, as Ctrl-C does; the CompletedProcess."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = [], []
    readers = [threading.Thread(target=lambda f=f, into=into: into.extend(f), daemon=True)
               for f, into in ((proc.stdout, out), (proc.stderr, err))]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    try:
        while not when("".join(out)):
            assert proc.poll() is None, "".join(out + err)
            assert time.monotonic() < deadline, "never reached the moment to interrupt"
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for reader in readers:
        reader.join(10)
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(out), "".join(err))


def test_ctrl_c_during_the_first_install(tmp_path):
    kit = setup_copy(tmp_path / "kit")
    started = tmp_path / "started"
    env = student_env(tmp_path, PYTHONPATH=fake_pip(tmp_path), FAKE_PIP_STARTED=started)
    r = ctrl_c(["bash", "kit", "setup"], kit, env, lambda out: started.exists())
    assert r.returncode == 130, r.stdout + r.stderr
    assert "KeyboardInterrupt" not in r.stderr
    assert_one_sentence(r, "interrupted", "removed", "Run the same command again")
    assert not (kit / ".venv").exists()
    # The next run starts clean (and reaches the install: a wheelhouse with no wheels here).
    empty = tmp_path / "empty"
    empty.mkdir()
    r = subprocess.run(["bash", "kit", "setup"], cwd=kit, capture_output=True, text=True,
                       env=student_env(tmp_path, KIT_WHEELHOUSE=empty), timeout=300)
    assert r.returncode == 1 and "has no wheel for" in r.stderr, r.stdout + r.stderr


@pytest.fixture
def short_tmp():
    """A temporary folder of this test's own with a short path: a DataLoader worker's socket
    lives in it, and a socket's path has at most 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="kit-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def processes_with(text):
    """The pids whose environment contains `text`."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if text.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("lesson, after", [("01_softmax_operation", 0.5),
                                           ("03_softmax_scratch", 4.0)],
                         ids=["starting", "running"])
def test_ctrl_c_during_a_lesson(tmp_path, short_tmp, lesson, after):
    """While the kernel starts or runs a cell: the kernel is stopped, nothing of the lesson
    is written, the site stays as it was. 'running' interrupts a lesson that trains for far
    longer than 4 s, so a fast machine does not finish it first."""
    build, tmp = tmp_path / "build", short_tmp
    (build / "site").mkdir(parents=True)
    (build / "site" / ".course-site").write_text("made by tools/site/build.py\n")
    (build / "site" / "index.html").write_text("the site of an earlier run")
    env = dict(os.environ, TMPDIR=str(tmp))
    began = []

    def running(out):  # a few seconds into the lesson: its kernel runs the first cells
        if not began and f"running {lesson}" in out:
            began.append(time.monotonic())
        return began and time.monotonic() - began[0] > after
    r = ctrl_c(["bash", "kit", "run", lesson[:2], "--build", str(build)], ROOT, env, running)
    assert r.returncode == 130, r.stdout + r.stderr[-3000:]
    assert "AssertionError" not in r.stderr
    assert_one_sentence(r, f"interrupted during {lesson}", "kernel is stopped",
                        "Run ./kit run again")
    assert not list((build / "notebooks").glob("*.ipynb")), "a half-run lesson was written"
    assert (build / "site" / "index.html").read_text() == "the site of an earlier run"
    deadline = time.monotonic() + 15  # a loaded machine takes a moment to reap the kernel
    while processes_with(f"TMPDIR={tmp}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_with(f"TMPDIR={tmp}"), "the lesson's kernel outlived the run"
    assert not list(tmp.iterdir()), list(tmp.iterdir())


# ---------------------------------------------------------------- a read-only kit

def test_a_read_only_kit_says_so_before_any_lesson_runs(tmp_path):
    env = dict(os.environ, KIT_SYSTEM_PACKAGES="no")
    r = namespace(f"mount --bind {ROOT} {ROOT} && mount -o remount,bind,ro {ROOT} && "
                  f"cd {ROOT} && exec bash kit run 01", env, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "running" not in r.stdout, "a lesson ran before the folder was checked"
    assert_one_sentence(r, "cannot write", "Read-only file system", "nothing ran",
                        "./kit run --build")


# ---------------------------------------------------------------- the site and temp folders

def test_one_lesson_run_keeps_the_other_lessons_pages(tmp_path):
    """`./kit run 01` after a run of every lesson: 9 English and 9 Chinese pages, not 2;
    a lesson that failed then is still marked failed."""
    build = tmp_path / "build"
    (build / "notebooks").mkdir(parents=True)
    lessons = notebook_paths()
    for path in lessons:  # what an earlier run of every lesson left
        nb = nbformat.read(path, as_version=4)
        if path.stem.startswith("05"):
            cell = next(c for c in nb.cells if c.cell_type == "code")
            cell.outputs = [nbformat.v4.new_output("error", ename="RuntimeError",
                                                   evalue="out of memory", traceback=[])]
        nbformat.write(nb, build / "notebooks" / path.name)
    r = subprocess.run(["bash", "kit", "run", "01", "--build", str(build)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    site = build / "site"
    assert len(list(site.glob("[0-9][0-9]_*.html"))) == len(lessons)
    assert len(list((site / "zh").glob("[0-9][0-9]_*.html"))) == len(lessons)
    index = (site / "index.html").read_text()
    assert all(f"{p.stem}.html" in index for p in lessons)
    assert index.count("course-failed") == 1, "the earlier failure of 05 is no longer shown"
    assert f"with {len(lessons) - 1} lesson(s) as an earlier run left them" in r.stdout


def test_a_lessons_dataloader_workers_leave_no_temporary_folders(tmp_path, short_tmp):
    """Gluon's DataLoader workers each leave a multiprocessing folder (pymp-*) in the
    temporary folder: two workers here, 12 folders per run of lesson 02."""
    code = ("from mxnet import gluon, np, npx\n"
            "npx.set_np()\n"
            "X, y = np.arange(256, dtype='float32').reshape(64, 4), np.arange(64)\n"
            "loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=16,\n"
            "                               num_workers=2)\n"
            "print(sum(len(X_batch) for X_batch, y_batch in loader))")
    nbformat.write(new_notebook(cells=[new_code_cell(code)]), tmp_path / "loader.ipynb")
    tmp = short_tmp
    run = ("import sys\nfrom pathlib import Path\nfrom tools.lessons.run import execute\n"
           "ok, _, nb, error = execute(Path(sys.argv[1]), Path(sys.argv[2]))\n"
           "assert ok and nb.cells[0].outputs[0]['text'] == '64\\n', (error, nb.cells[0])")
    r = subprocess.run([sys.executable, "-c", run, tmp_path / "loader.ipynb", tmp_path / "out"],
                       env=dict(os.environ, TMPDIR=str(tmp)), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert not list(tmp.iterdir()), sorted(p.name for p in tmp.iterdir())


# ---------------------------------------------------------------- the container's CA

@pytest.mark.container
def test_the_container_build_takes_a_proxys_ca_certificate(base_image, tmp_path):
    """The Dockerfile's set-up step, built with a stand-in `kit` that shows what pip would
    be given: with `--secret id=ca,src=...`, Debian's CAs and the proxy's; without, nothing
    changed; in neither case is the certificate left in the image."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    setup = dockerfile[dockerfile.index("RUN --mount=type=secret"):dockerfile.index("EXPOSE")]
    assert "./kit setup" in setup
    (tmp_path / "kit").write_text(
        '#!/bin/sh\n[ "$2" = "" ] && [ "$1" = setup ] || exit 3\n'
        'if [ -n "${PIP_CERT:-}" ]; then echo "pip is given:"; cat "$PIP_CERT"; '
        'else echo "pip is given no certificate"; fi\n')
    (tmp_path / "kit").chmod(0o755)
    (tmp_path / "proxy-ca.pem").write_text("PROXY-CA-CERTIFICATE\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base_image}\n"
        "RUN mkdir -p /etc/ssl/certs && echo DEBIAN-CAS > /etc/ssl/certs/ca-certificates.crt"
        " && useradd --create-home student\n"
        "USER student\nWORKDIR /home/student/softmax-kit\n"
        "COPY --chown=student:student kit .\n" + setup)
    tag = f"localhost/softmax-kit-ca-test-{os.getpid()}"
    try:
        built = podman("build", "--layers=false", *LIMITS, "--secret",
                       f"id=ca,src={tmp_path / 'proxy-ca.pem'}", "-t", tag, str(tmp_path))
        given = built.stdout[built.stdout.index("pip is given"):]
        assert "DEBIAN-CAS" in given and "PROXY-CA-CERTIFICATE" in given, built.stdout
        left = podman("run", "--rm", *LIMITS, tag, "sh", "-c", "cat /tmp/kit-ca.pem /run/secrets/ca "
                      "2>/dev/null; true").stdout
        assert "PROXY-CA" not in left, "the certificate stayed in the image"
        plain = podman("build", "--layers=false", *LIMITS, "-t", tag, str(tmp_path))
        assert "pip is given no certificate" in plain.stdout, plain.stdout
    finally:
        podman("rmi", "-f", tag, check=False)
