"""helpers.data: finding, verifying, caching and serving Fashion-MNIST."""
import contextlib
import gzip
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as onp
import pytest

from helpers import data
from helpers.data import FILES, DataError
from helpers.distributed import free_port

ORDER = list(FILES)  # the order load_arrays reads and downloads the files in


def fname(name):
    return FILES[name][0]


@pytest.fixture(autouse=True)
def _isolated(no_data_env):
    pass


@pytest.fixture(scope="module")
def gz(fashion_mnist_dir):
    """The real .gz files' bytes, by file name."""
    return {f[0]: (fashion_mnist_dir / f[0]).read_bytes() for f in FILES.values()}


@pytest.fixture(scope="module")
def raw(gz):
    """The real decompressed IDX bytes, by name (train_images, ...)."""
    return {name: gzip.decompress(gz[fname(name)]) for name in FILES}


@pytest.fixture
def folder(tmp_path, fashion_mnist_dir):
    """A data folder holding copies of the four real files."""
    root = tmp_path / "data"
    root.mkdir()
    for f in FILES.values():
        shutil.copy2(fashion_mnist_dir / f[0], root)
    return root


@pytest.fixture
def cache(tmp_path, gz):
    """A cache folder with some content, to check that a failure leaves it untouched."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / fname("test_labels")).write_bytes(gz[fname("test_labels")])
    (cache / "notes.txt").write_text("not ours\n")
    return cache


def snapshot(folder):
    """Every file under `folder` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def stats(folder):
    return [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(folder).iterdir())]


def gzipped(raw_bytes):
    return gzip.compress(raw_bytes, compresslevel=0, mtime=0)  # stored: fast even for 47 MB


def patched(raw_bytes, offset, new):
    """`raw_bytes` with `new` written at `offset`."""
    b = bytearray(raw_bytes)
    b[offset:offset + len(new)] = new
    return bytes(b)


def flipped(raw_bytes):
    """Header intact, last data byte changed: only the SHA-1 can tell."""
    return patched(raw_bytes, len(raw_bytes) - 1, bytes([raw_bytes[-1] ^ 0xFF]))


# Real files

def test_real_files(folder, cache):
    a = data.load_arrays(root=folder, cache=cache)
    for split, n in (("train", 60000), ("test", 10000)):
        X, y = a[f"{split}_images"], a[f"{split}_labels"]
        assert X.shape == (n, 28, 28, 1) and X.dtype == onp.uint8
        assert y.shape == (n,) and y.dtype == onp.int32
        assert y.min() == 0 and y.max() == 9
        assert onp.bincount(y, minlength=10).tolist() == [n // 10] * 10
    for X in a.values():  # read-only: the arrays are cached and shared by every caller
        with pytest.raises(ValueError):
            X[0] = 1


def test_parsed_once_per_process(fashion_mnist_dir, monkeypatch):
    data._read_file.cache_clear()
    calls = []
    gunzip = data._gunzip
    monkeypatch.setattr(data, "_gunzip", lambda *args: calls.append(args) or gunzip(*args))
    first = data.load_arrays(root=fashion_mnist_dir)
    second = data.load_arrays(root=fashion_mnist_dir)
    assert len(calls) == 4
    assert data._read_file.cache_info().hits == 4
    assert all(second[name] is first[name] for name in FILES)


# Gluon DataLoaders

@pytest.fixture(params=["np", "legacy"])
def mode(request):
    """MXNet's NumPy mode (npx.set_np(), as d2l and the notebooks use) or legacy NDArrays."""
    from mxnet import util
    before = util.is_np_shape(), util.is_np_array()
    on = request.param == "np"
    util.set_np(shape=on, array=on)
    yield request.param
    util.set_np(*before)


def first_batch(data_iter, mode):
    import mxnet as mx
    X, y = next(iter(data_iter))
    kind = mx.np.ndarray if mode == "np" else mx.nd.NDArray
    assert isinstance(X, kind) and isinstance(y, kind)
    return X.asnumpy(), y.asnumpy()


def test_load_data_fashion_mnist(fashion_mnist_dir, mode):
    train_iter, test_iter = data.load_data_fashion_mnist(256, root=fashion_mnist_dir,
                                                         num_workers=0)
    X, y = first_batch(train_iter, mode)
    assert X.shape == (256, 1, 28, 28) and X.dtype == onp.float32
    assert X.min() >= 0 and X.max() <= 1 and X.max() > 0.5
    assert y.shape == (256,) and y.dtype == onp.int32
    X2, y2 = first_batch(train_iter, mode)
    assert not (onp.array_equal(X, X2) and onp.array_equal(y, y2)), "train is not shuffled"

    a = data.load_arrays(root=fashion_mnist_dir)
    X, y = first_batch(test_iter, mode)
    X2, y2 = first_batch(test_iter, mode)
    assert onp.array_equal(X, X2) and onp.array_equal(y, y2), "test is shuffled"
    assert onp.array_equal(y, a["test_labels"][:256])
    assert onp.allclose(X[:, 0], a["test_images"][:256, :, :, 0] / 255)


def test_load_data_fashion_mnist_resize(fashion_mnist_dir, mode):
    train_iter, test_iter = data.load_data_fashion_mnist(256, resize=32, root=fashion_mnist_dir,
                                                         num_workers=0)
    for data_iter in (train_iter, test_iter):
        X, y = first_batch(data_iter, mode)
        assert X.shape == (256, 1, 32, 32) and X.dtype == onp.float32
        assert X.min() >= 0 and X.max() <= 1
        assert y.shape == (256,) and y.dtype == onp.int32


def test_text_labels():
    assert data.get_fashion_mnist_labels([0, 9]) == ["t-shirt", "ankle boot"]
    assert data.get_fashion_mnist_labels(onp.array([3, 7], dtype=onp.int32)) == ["dress", "sneaker"]


@pytest.mark.parametrize("platform, workers", [("win32", 0), ("linux", 4), ("darwin", 4)])
def test_get_workers(monkeypatch, platform, workers):
    monkeypatch.setattr(sys, "platform", platform)
    assert data.get_workers(4) == workers


# Bad files: a clear DataError, and neither the cache nor the data folder changed

BAD = {  # case -> (file, how to make its .gz from (raw, gz), what the message must say)
    "corrupt gzip": ("train_labels",
                     lambda raw, gz: patched(gz, len(gz) // 2, bytes(16)),
                     "not a readable gzip file"),
    "not gzip": ("test_labels", lambda raw, gz: b"<html>Not Found</html>\n",
                 "not a readable gzip file"),
    "truncated gzip": ("train_labels", lambda raw, gz: gz[:len(gz) // 2],
                       "not a readable gzip file"),
    "truncated header": ("test_labels", lambda raw, gz: gzipped(raw[:6]),
                         "is truncated: 6 bytes"),
    "truncated data": ("train_labels", lambda raw, gz: gzipped(raw[:-100]),
                       "truncated or padded: 59900 data bytes, expected 60000"),
    "wrong magic": ("train_labels",
                    lambda raw, gz: gzipped(patched(raw, 0, (2051).to_bytes(4, "big"))),
                    "magic number 2051, not 2049"),
    "wrong count": ("test_labels",
                    lambda raw, gz: gzipped(patched(raw, 4, (9999).to_bytes(4, "big"))),
                    "holds 9999 items, not 10000"),
    "wrong image size": ("test_images",
                         lambda raw, gz: gzipped(patched(raw, 12, (27).to_bytes(4, "big"))),
                         "holds 28x27 images, not 28x28"),
    "one flipped byte": ("train_labels", lambda raw, gz: gzipped(flipped(raw)), "SHA-1"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_file(case, folder, cache, raw, gz):
    name, make, message = BAD[case]
    (folder / fname(name)).write_bytes(make(raw[name], gz[fname(name)]))
    before, files = snapshot(cache), stats(folder)
    with pytest.raises(DataError) as e:
        data.load_arrays(root=folder, cache=cache)
    assert message in str(e.value)
    assert fname(name) in str(e.value) and str(folder) in str(e.value)
    assert snapshot(cache) == before
    assert stats(folder) == files


@pytest.mark.parametrize("name", ORDER)
def test_missing_file(name, folder, cache):
    (folder / fname(name)).unlink()
    before = snapshot(cache)
    with pytest.raises(DataError, match=f"lacks {fname(name)}") as e:
        data.load_arrays(root=folder, cache=cache)
    assert str(folder) in str(e.value) and "FASHION_MNIST_DIR" in str(e.value)
    assert snapshot(cache) == before


# Downloads from a local HTTP server

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path.rsplit("/", 1)[-1])
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if self.server.drop else body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(files, drop=False):
    """Serve `files` (name -> bytes) on 127.0.0.1; with `drop`, cut every body in half."""
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.files, server.drop, server.requests = files, drop, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fashion/", server.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert not thread.is_alive()


def test_download(tmp_path, gz, raw):
    cache = tmp_path / "cache"
    cache.mkdir()
    with serve(gz) as (url, requests):
        a = data.load_arrays(cache=cache, system_dir=tmp_path / "nowhere", url=url)
        assert sorted(requests) == sorted(f"/fashion/{fname(n)}" for n in FILES)
        assert data.load_arrays(cache=cache, system_dir=tmp_path / "nowhere", url=url)
        assert len(requests) == 4, "a complete cache was downloaded again"
    assert listing(cache) == sorted(gz)
    assert snapshot(cache) == gz
    assert onp.array_equal(a["test_labels"], onp.frombuffer(raw["test_labels"], onp.uint8, offset=8))
    assert a["train_images"].shape == (60000, 28, 28, 1)


def test_download_dropped_mid_transfer(tmp_path, gz):
    cache = tmp_path / "cache"
    cache.mkdir()
    with serve(gz, drop=True) as (url, requests):
        with pytest.raises(DataError, match="stopped after"):
            data.load_arrays(cache=cache, system_dir=tmp_path / "nowhere", url=url)
    assert requests
    assert listing(cache) == []


@pytest.mark.parametrize("bad", ["train_images", "train_labels"])
def test_download_wrong_content(tmp_path, gz, raw, bad):
    cache = tmp_path / "cache"
    cache.mkdir()
    files = dict(gz, **{fname(bad): gzipped(flipped(raw[bad]))})
    with serve(files) as (url, requests):
        with pytest.raises(DataError, match="SHA-1") as e:
            data.load_arrays(cache=cache, system_dir=tmp_path / "nowhere", url=url)
    assert fname(bad) in str(e.value) and url in str(e.value)
    # Nothing of the wrong file; the files verified before it stay, for the next run.
    kept = ORDER[:ORDER.index(bad)]
    assert listing(cache) == sorted(fname(n) for n in kept)
    assert snapshot(cache) == {fname(n): gz[fname(n)] for n in kept}


def test_offline_without_data(tmp_path):
    cache, nowhere = tmp_path / "cache", tmp_path / "nowhere"
    cache.mkdir()
    with pytest.raises(DataError) as e:
        data.load_arrays(cache=cache, system_dir=nowhere, url=f"http://127.0.0.1:{free_port()}/")
    message = str(e.value)
    for part in (str(cache), str(nowhere), "sudo apt-get install dataset-fashion-mnist",
                 "export FASHION_MNIST_DIR=", "connect to the internet and retry"):
        assert part in message
    assert listing(cache) == []
    assert not nowhere.exists()


# python -m helpers.data --check

def check(project, **env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASHION_MNIST_")} | env
    return subprocess.run([sys.executable, "-m", "helpers.data", "--check"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=60)


def test_check_ok(project, fashion_mnist_dir):
    r = check(project, FASHION_MNIST_DIR=str(fashion_mnist_dir))
    assert r.returncode == 0, r.stderr
    assert f"verified in {fashion_mnist_dir} (60000 train, 10000 test" in r.stdout


def test_check_without_data(project, tmp_path):
    cache, nowhere = tmp_path / "cache", tmp_path / "nowhere"
    cache.mkdir()
    r = check(project, FASHION_MNIST_CACHE=str(cache), FASHION_MNIST_SYSTEM_DIR=str(nowhere),
              FASHION_MNIST_URL=f"http://127.0.0.1:{free_port()}/")
    assert r.returncode == 1
    assert r.stdout == ""
    for part in (str(cache), str(nowhere), "apt-get install dataset-fashion-mnist",
                 "FASHION_MNIST_DIR", "connect to the internet and retry"):
        assert part in r.stderr
    assert listing(cache) == []
