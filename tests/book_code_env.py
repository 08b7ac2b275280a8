"""A fresh Python process for the book's code, offline (tests/test_book_code*.py).

Its environment has an empty ``HOME`` and ``MXNET_HOME`` and sends every network attempt to
the `recorder` (tests/conftest.py): Gluon's repository (``MXNET_GLUON_REPO``), the kit's
download (``FASHION_MNIST_URL``) and any proxied request (``http_proxy``/``https_proxy``).
"""
import json
import os
import subprocess
import sys

from helpers import book_code

NOTICE = "kit: Gluon's FashionMNIST reads the kit's verified Fashion-MNIST from "
NETWORK_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")


def offline_env(tmp_path, recorder, data_dir, **extra):
    """A fresh process's environment: empty HOME and MXNET_HOME, every download to
    `recorder`, the kit's data in `data_dir` (as Debian's package would be)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    drop = ("FASHION_MNIST_", "MXNET_", "XDG_", "MPL", "DISPLAY", "WAYLAND_", book_code.ENV)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(drop) and k.lower() not in ("http_proxy", "https_proxy",
                                                         "all_proxy", "no_proxy")}
    env.update({var: recorder.url for var in NETWORK_VARS},
               no_proxy="127.0.0.1", HOME=str(home), MXNET_HOME=str(home / ".mxnet"), MXNET_GLUON_REPO=recorder.url,
               FASHION_MNIST_URL=recorder.url, FASHION_MNIST_SYSTEM_DIR=str(data_dir),
               **extra)
    return env


def run_python(code, env, cwd, timeout=120):
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                       text=True, timeout=timeout)
    return r


def last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])
