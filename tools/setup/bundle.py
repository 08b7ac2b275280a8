"""``./kit bundle``: one archive that sets up a classroom with no network at all.

Run once on a machine with network; it writes ``build/softmax-kit-bundle.tar`` holding

    softmax-kit/                   the kit's files (those git tracks, or would)
    softmax-kit/wheelhouse/<tag>/  every locked package as a wheel, per platform
    softmax-kit/data/fashion-mnist the four verified Fashion-MNIST files
    softmax-kit/BUNDLE.md          what is inside and the commands; SHA256SUMS

By default it is a *student* bundle: the kit's files without what only a teacher keeps
(TEACHER_ONLY: the assignments' solutions and hidden tests in course/source*, the fake
classes to try grading on, the grader and its reference answers, the kit's tests, which
hold right answers too, and the teacher's tools). ``--teacher`` packs every file, for a
teacher's own machines; its default name says so (softmax-kit-teacher-bundle.tar).

On each laptop, with no network: ``tar xf softmax-kit-bundle.tar && cd softmax-kit &&
./kit setup``. Set-up finds ``wheelhouse/<this platform>`` and installs from it alone
(``pip --no-index``), and copies the data into the kit's cache after verifying it.

Platforms: Linux x86-64 (manylinux wheels, glibc 2.28 or newer) and macOS x86-64 (12 or
newer), the two with MXNet 1.9.1 wheels. A pin with no wheel for a platform goes in as its
source archive and BUNDLE.md names it: it needs a compiler there.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
TOP = "softmax-kit"
SKIP = {".git", ".venv", "build", "wheelhouse", "data", "__pycache__", ".ipynb_checkpoints"}
# What a student bundle leaves out (paths relative to the kit; a folder ends in "/"), and why.
TEACHER_ONLY = {
    "course/source/": "the assignments with their solutions and hidden tests",
    "course/source_zh/": "their Chinese editions, solutions and hidden tests included",
    "grading/": ("the grader and its reference answers, but for grading/checks/ (the "
                 "checks the assignments' test cells import), which stays"),
    "tests/": ("the kit's tests, which hold right answers to the assignments, and the fake "
               "classes to try grading on (tests/classes/), built from the solutions"),
    "benchmarks/bars.py": "runs the assignments' solutions over many seeds",
    "benchmarks/grade_speed.py": "grades a class with the grader",
    "tools/course/grade.py": "./kit grade",
    "tools/zh/release.py": "makes the Chinese student copies from the sources",
    "tools/course/as_user.py": "grades as another user, for the grader's tests",
    ".ci/": "the kit's continuous integration",
}
# Inside those, what a student bundle keeps all the same: the checks the assignments' test
# cells import (a student runs them offline), with the package file that holds them.
STUDENTS_KEEP = ("grading/__init__.py", "grading/checks/")

_MANYLINUX = ([f"manylinux_2_{v}_x86_64" for v in range(28, 4, -1)]
              + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"])
PLATFORMS = {
    "linux-x86_64": {"pip": _MANYLINUX, "sys_platform": "linux", "platform_system": "Linux",
                     "label": "Linux x86-64 (glibc 2.28 or newer)"},
    "macos-x86_64": {"pip": ["macosx_12_0_x86_64"], "sys_platform": "darwin",
                     "platform_system": "Darwin", "label": "macOS x86-64 (macOS 12 or newer)"},
}
PYTHON = "3.11.2"  # the oldest 3.11 the lock supports: wheels are checked against it


def say(msg):
    print(f"kit bundle: {msg}", flush=True)


def locked_pins(root):
    """['name==version'] from constraints.txt."""
    pins = []
    for line in (root / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pins.append(line)
    return pins


def marker_env(tag):
    """The environment markers of Python 3.11 on platform `tag` (PEP 508)."""
    p = PLATFORMS[tag]
    return {"implementation_name": "cpython", "implementation_version": PYTHON,
            "os_name": "posix", "platform_machine": "x86_64",
            "platform_python_implementation": "CPython", "platform_release": "",
            "platform_system": p["platform_system"], "platform_version": "",
            "python_full_version": PYTHON, "python_version": "3.11",
            "sys_platform": p["sys_platform"], "extra": ""}


def pip_download(args, dest):
    """Run pip download into `dest`; return (ok, output)."""
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
           "--progress-bar", "off", "--no-deps", "-d", str(dest), *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def download_wheels(pins, tag, dest):
    """Download a wheel of each pin for `tag`; return the pins that have none (sdists instead)."""
    platform_args = [a for p in PLATFORMS[tag]["pip"] for a in ("--platform", p)]
    binary = ["--only-binary=:all:", *platform_args, "--python-version", PYTHON,
              "--implementation", "cp"]
    todo, no_wheel = list(pins), []
    while todo:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(todo) + "\n")
        try:
            ok, out = pip_download([*binary, "-r", f.name], dest)
        finally:
            os.unlink(f.name)
        if ok:
            break
        missing = re.findall(r"No matching distribution found for (\S+)", out)
        if not missing or missing[-1] not in todo:
            raise SystemExit(f"kit bundle: pip download failed for {tag}:\n{out[-2000:]}")
        no_wheel.append(missing[-1])
        todo.remove(missing[-1])
    for pin in no_wheel:
        ok, out = pip_download(["--no-binary=:all:", pin], dest)
        if not ok:
            raise SystemExit(f"kit bundle: {pin} has neither a wheel for {tag} nor a source "
                             f"archive:\n{out[-2000:]}")
    return no_wheel


def requirements_of(wheel):
    """The Requires-Dist lines of a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(name).decode("utf-8"))
    return meta.get_all("Requires-Dist") or []


def platform_extras(dest, tag, have):
    """Requirements of the wheels in `dest` that apply on `tag` and are not in `have`."""
    env, extra = marker_env(tag), []
    for wheel in sorted(dest.glob("*.whl")):
        for line in requirements_of(wheel):
            req = Requirement(line)
            if req.marker is not None and not Marker(str(req.marker)).evaluate(env):
                continue
            if canonicalize_name(req.name) not in have:
                have.add(canonicalize_name(req.name))
                extra.append(str(Requirement(f"{req.name}{req.specifier}")))
    return extra


def wheelhouse(root, tag, dest):
    """Fill `dest` with the lock for `tag` and what `tag` needs beyond it; return no-wheel pins."""
    pins = locked_pins(root)
    have = {canonicalize_name(p.split("==")[0]) for p in pins}
    no_wheel = download_wheels(pins, tag, dest)
    while True:
        extra = platform_extras(dest, tag, have)
        if not extra:
            return no_wheel
        say(f"{tag} needs beyond the lock: {', '.join(extra)}")
        no_wheel += download_wheels(extra, tag, dest)


def kit_files(root):
    """The kit's own files: what git tracks or would track; else the folder minus SKIP."""
    r = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       cwd=root, capture_output=True)
    if r.returncode == 0:
        names = [n for n in r.stdout.decode().split("\0") if n]
        return sorted(n for n in names if (root / n).is_file())
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP]
        found += [str(Path(dirpath, f).relative_to(root)) for f in filenames]
    return sorted(found)


def for_students(names):
    """`names` (paths relative to the kit) without what only a teacher keeps (TEACHER_ONLY,
    but STUDENTS_KEEP)."""
    return [n for n in names if n.startswith(STUDENTS_KEEP)
            or not n.startswith(tuple(TEACHER_ONLY))]


def data_files():
    """The four Fashion-MNIST files as the kit finds them, each verified."""
    from helpers.data import FILES, find_data_dir, read_idx
    folder = find_data_dir()
    for name, (fname, *_) in FILES.items():
        read_idx(folder / fname, name)
    return [folder / f[0] for f in FILES.values()]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def bundle_readme(tags, no_wheel, counts, teacher=False):
    rows = "\n".join(f"| {PLATFORMS[t]['label']} | `wheelhouse/{t}/` | {counts[t]} | "
                     f"{', '.join(no_wheel[t]) or 'none'} |" for t in tags)
    if teacher:
        kind = ("A **teacher** bundle (`./kit bundle --teacher`): every file of the kit, the "
                "assignments' solutions and hidden tests (`course/source/`, "
                "`course/source_zh/`), the grader and the kit's tests included. Keep it on "
                "the teacher's machines; students get the default, student bundle.")
    else:
        left = "\n".join(f"- `{path}`: {why}" for path, why in TEACHER_ONLY.items())
        kind = ("A **student** bundle (`./kit bundle`): the kit without what only a teacher "
                "keeps, so that no solution, hidden test or reference answer reaches a "
                "student's laptop. Left out:\n\n" + left + "\n\nThe assignments reach "
                "students as the student copies the teacher hands out (course/README.md). A "
                "teacher's own machine takes a teacher bundle: `./kit bundle --teacher`.")
    return f"""# Softmax regression kit: classroom bundle

Everything a laptop needs to take the course with no network: the kit, the four verified
Fashion-MNIST files (`data/fashion-mnist/`) and every pinned package as a wheel.

{kind}

| platform | wheels | files | pins with no wheel (they need a compiler there) |
|---|---|---|---|
{rows}

## On each laptop (no network needed)

You need a Python 3.11 (any 3.11.x; on Debian 12 `sudo apt-get install python3.11
python3.11-venv`, which a classroom mirror or the Debian DVD provides). Then:

```bash
tar xf softmax-kit-bundle.tar
cd softmax-kit
./kit setup     # installs from wheelhouse/ alone, copies the data into the kit's cache
./kit run       # or ./kit lab
```

`KIT_PYTHON=/path/to/python3.11` chooses the Python. Windows: use WSL2 (then the Linux
lines above), or the container (README.md). `SHA256SUMS` lists every file's checksum:
`sha256sum -c SHA256SUMS` (macOS: `shasum -a 256 -c SHA256SUMS`).
"""


def build(root, out, tags, teacher=False):
    """Write the bundle archive `out` for platforms `tags` (none: no wheelhouse), a student
    bundle unless `teacher`; return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kit-bundle-", dir=out.parent) as tmp:
        stage = Path(tmp) / TOP
        names = kit_files(root)
        for name in names if teacher else for_students(names):
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, stage / name)
        no_wheel, counts = {}, {}
        for tag in tags:
            dest = stage / "wheelhouse" / tag
            dest.mkdir(parents=True)
            say(f"downloading the wheels for {PLATFORMS[tag]['label']}")
            no_wheel[tag] = wheelhouse(root, tag, dest)
            counts[tag] = len(list(dest.iterdir()))
        data = stage / "data" / "fashion-mnist"
        data.mkdir(parents=True)
        for path in data_files():
            shutil.copyfile(path, data / path.name)
        (stage / "BUNDLE.md").write_text(bundle_readme(tags, no_wheel, counts, teacher))
        sums = [f"{sha256(p)}  {p.relative_to(stage)}"
                for p in sorted(stage.rglob("*")) if p.is_file()]
        (stage / "SHA256SUMS").write_text("\n".join(sums) + "\n")
        partial = Path(tmp) / out.name
        with tarfile.open(partial, "w") as tar:
            tar.add(stage, arcname=TOP)
        os.replace(partial, out)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="./kit bundle", description=__doc__.split("\n")[0])
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="a platform to include (repeatable; default: all)")
    parser.add_argument("--teacher", action="store_true",
                        help="a teacher's bundle: every file, the assignments' solutions and "
                             "hidden tests included (default: a student bundle, without them)")
    parser.add_argument("--out", type=Path, help="the archive to write (default: "
                        "build/softmax-kit-bundle.tar, or build/softmax-kit-teacher-bundle.tar)")
    args = parser.parse_args(argv)
    tags = args.platform or list(PLATFORMS)
    out = args.out or ROOT / "build" / ("softmax-kit-teacher-bundle.tar" if args.teacher
                                        else "softmax-kit-bundle.tar")
    out = build(ROOT, out.resolve(), tags, args.teacher)
    kind = "teacher bundle, solutions included: keep it from students" if args.teacher else \
        "student bundle: no solution, hidden test or reference answer"
    say(f"wrote {out} ({out.stat().st_size / 2**20:.0f} MiB), a {kind}; BUNDLE.md inside says "
        "how to install it with no network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
