"""The container (Dockerfile): built with podman from a Debian bookworm-slim base, then run with
no network, where the default command serves JupyterLab with every lesson and `./kit run`
passes two lessons with the image's own Python, libraries and data: reading the data (02)
and training (04). Every lesson runs on the host in the same pinned environment
(tests/test_lessons.py).

No container registry is needed: the base image is made here from Debian's packages
(tests/containers.py, once per run). The image is built from an
unpacked Linux-only classroom bundle, the route a teacher without a fast connection takes,
so the build needs Debian's mirror and nothing else. Several minutes: `-m "not container"`
skips it locally; `./kit test` (and so CI) runs it.
"""
import json
import re
import time
import uuid

import pytest

from tests.containers import LIMITS, podman
from tools.lessons.notebooks import notebook_paths
from tools.site.archives import extract

pytestmark = pytest.mark.container

@pytest.fixture(scope="module")
def image(base_image, classroom_bundle, tmp_path_factory):
    """The kit's image, built from the Dockerfile in an unpacked classroom bundle."""
    context = tmp_path_factory.mktemp("context")
    extract(classroom_bundle, context)
    tag = f"localhost/softmax-kit-test-{uuid.uuid4().hex[:8]}"
    tic = time.perf_counter()
    # --layers=false: one working container for all steps (vfs copies every layer in full).
    podman("build", "--layers=false", *LIMITS, "-t", tag, str(context / "softmax-kit"),
           timeout=1800)
    print(f"\ncontainer: built in {time.perf_counter() - tic:.0f} s")
    yield tag
    podman("rmi", "-f", tag, check=False)


@pytest.fixture(scope="module")
def container(image):
    """One container of the image, started with its default command and no network."""
    name = f"kit-lab-{uuid.uuid4().hex[:8]}"
    podman("run", "-d", "--network", "none", "--name", name, *LIMITS, image)
    yield name
    podman("rm", "-f", name, check=False)


def test_the_default_command_serves_jupyterlab_with_the_lessons(container):
    token, logs = None, ""
    for _ in range(120):
        logs = podman("logs", container, check=False).stderr
        m = re.search(r"http://127\.0\.0\.1:8888/lab\?token=(\w+)", logs)
        if m:
            token = m.group(1)
            break
        time.sleep(1)
    assert token, f"JupyterLab did not start:\n{logs[-3000:]}"
    probe = ("import json, urllib.request as u\n"
             f"t = '{token}'\n"
             "lab = u.urlopen('http://127.0.0.1:8888/lab?token=' + t).read().decode()\n"
             "files = json.load(u.urlopen('http://127.0.0.1:8888/api/contents?token=' + t))\n"
             "print(json.dumps({'lab': 'JupyterLab' in lab,"
             " 'files': sorted(f['name'] for f in files['content'])}))\n")
    r = podman("exec", container, ".venv/bin/python", "-c", probe)
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen["lab"]
    assert [p.name for p in notebook_paths()] == [f for f in seen["files"] if f.endswith(".ipynb")]
    user = podman("exec", container, "id", "-un").stdout.strip()
    assert user == "student"  # not root


def test_kit_run_passes_in_the_container_with_no_network(container):
    r = podman("exec", container, "./kit", "run", "02", "04", timeout=1800)
    print(r.stdout[-800:])
    assert "2 passed, 0 failed" in r.stdout
    assert "Python 3.11" not in r.stderr  # no refusal: Debian's own python3.11 is used


def test_the_devcontainer_uses_the_dockerfile(project):
    config = json.loads((project / ".devcontainer" / "devcontainer.json").read_text())
    assert (project / ".devcontainer" / config["build"]["dockerfile"]).resolve() == \
        project / "Dockerfile"
    assert 8888 in config["forwardPorts"]
    assert "linux/amd64" in " ".join(config["runArgs"])
    dockerfile = (project / "Dockerfile").read_text()
    assert re.search(r"(?m)^FROM debian:bookworm-slim$", dockerfile)
    assert re.search(r"(?m)^EXPOSE 8888$", dockerfile)
