"""Fashion-MNIST, found, verified and served as Gluon data (notebook 02_fashion_mnist).

Where the four IDX files are looked for, in this order:

1. an explicit ``root=`` argument, else the ``FASHION_MNIST_DIR`` environment variable;
2. the kit's own cache folder (``FASHION_MNIST_CACHE``, default ``~/.cache/softmax-kit``);
3. Debian's package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``;
   ``FASHION_MNIST_SYSTEM_DIR`` names another system folder, e.g. an empty one in tests);
4. else the official release is downloaded into the cache folder.

Whatever the source, every file is checked before it is used: the IDX magic number,
the counts, 28x28 images, and the SHA-1 of the *decompressed* bytes, so that every faithful
copy of the current release passes, however it was compressed. Debian's files hold Zalando's
compressed data unchanged; only their gzip header differs from Zalando's (no file name,
another date), and with Zalando's header back they are Zalando's files byte for byte, with
the MD5s Zalando publishes.

Why not Gluon's own ``gluon.data.vision.FashionMNIST``: its download host is gone, and it
checks the SHA-1 of the *compressed* files against those of Zalando's first release
(2017-08-26). Zalando removed duplicate samples on 2017-08-31, and that is the release
published since: its labels differ from the first one's at 54,046 of the 60,000 training
and 8,962 of the 10,000 test positions, so no copy of it, Zalando's own included, passes
Gluon's check. In the kit's environment Gluon's dataset is served these verified files
instead (helpers/book_code.py).
Importing this module reads nothing.
"""
import functools
import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as onp

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_URL = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"

# name -> (file, magic, count, SHA-1 of the decompressed bytes)
FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", 2051, 60000,
                     "b9bd999c0106c9b8b4b0cefce58c9a6060f27095"),
    "train_labels": ("train-labels-idx1-ubyte.gz", 2049, 60000,
                     "4bccf37222e01638381eaa326bf730337a597267"),
    "test_images": ("t10k-images-idx3-ubyte.gz", 2051, 10000,
                    "880056926db704f9f713097915f99da346f5b1d1"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", 2049, 10000,
                    "958122e8b4b97fd4e71eca2d08ef754ed77c3ad9"),
}

class DataError(RuntimeError):
    """Fashion-MNIST is missing or a file of it failed verification."""


def cache_dir():
    """The kit's cache folder: ``FASHION_MNIST_CACHE`` or ``~/.cache/softmax-kit/fashion-mnist``."""
    env = os.environ.get("FASHION_MNIST_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "softmax-kit" / "fashion-mnist"


def _decode(raw, name, origin):
    """Check decompressed IDX bytes of file `name`; return the array, or raise DataError."""
    fname, magic, count, sha1 = FILES[name]
    where = f"{fname} in {origin}"
    header = 16 if magic == 2051 else 8
    if len(raw) < header:
        raise DataError(f"{where} is truncated: {len(raw)} bytes, shorter than its header.")
    got_magic = int.from_bytes(raw[0:4], "big")
    if got_magic != magic:
        kind = "images" if magic == 2051 else "labels"
        raise DataError(f"{where} has magic number {got_magic}, not {magic} (IDX {kind}); "
                        "it is not a Fashion-MNIST file of that name.")
    got_count = int.from_bytes(raw[4:8], "big")
    if got_count != count:
        raise DataError(f"{where} holds {got_count} items, not {count}.")
    if magic == 2051:
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        if (rows, cols) != (28, 28):
            raise DataError(f"{where} holds {rows}x{cols} images, not 28x28.")
        shape, size = (count, 28, 28, 1), count * 28 * 28
    else:
        shape, size = (count,), count
    if len(raw) - header != size:
        raise DataError(f"{where} is truncated or padded: {len(raw) - header} data bytes, "
                        f"expected {size}.")
    digest = hashlib.sha1(raw).hexdigest()
    if digest != sha1:
        raise DataError(f"{where} has SHA-1 {digest} (decompressed), expected {sha1}: "
                        "its content is not the official Fashion-MNIST release.")
    array = onp.frombuffer(raw, dtype=onp.uint8, offset=header).reshape(shape)
    return array if magic == 2051 else array.astype(onp.int32)


def _gunzip(path, name, origin):
    try:
        with open(path, "rb") as f:
            return gzip.decompress(f.read())
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{FILES[name][0]} in {origin} is not a readable gzip file ({e}). "
                        "Delete it (or reinstall its package) and run again.") from None


@functools.lru_cache(maxsize=8)
def _read_file(path, name, mtime_ns, size):
    """Read and verify one IDX file; cached per path and modification time."""
    origin = str(Path(path).parent)
    array = _decode(_gunzip(path, name, origin), name, origin)
    array.setflags(write=False)
    return array


def read_idx(path, name):
    """Return the verified array stored in IDX file `path` (one of the four in FILES)."""
    st = os.stat(path)
    return _read_file(str(path), name, st.st_mtime_ns, st.st_size)


def _complete(folder):
    return folder is not None and all((Path(folder) / f[0]).is_file() for f in FILES.values())


def _progress(done, total, fname):
    if total:
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r  {fname}: [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done / 2**20:5.1f}/{total / 2**20:.1f} MiB")
    else:
        sys.stderr.write(f"\r  {fname}: {done / 2**20:5.1f} MiB")
    sys.stderr.flush()


def download(name, cache=None, url=None, timeout=30):
    """Download one file into the cache: to a temporary file, verified, then renamed.

    A failed, wrong or interrupted download leaves nothing behind in the cache.
    """
    cache = Path(cache) if cache is not None else cache_dir()
    url = url or os.environ.get("FASHION_MNIST_URL") or DEFAULT_URL
    fname = FILES[name][0]
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{fname}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, \
                urllib.request.urlopen(url.rstrip("/") + "/" + fname, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                _progress(done, total, fname)
            sys.stderr.write("\n")
            if total and done != total:
                raise DataError(f"download of {fname} stopped after {done} of {total} bytes.")
        _decode(_gunzip(tmp, name, "the download"), name, f"the download from {url}")
        os.replace(tmp, cache / fname)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return cache / fname


def _not_found(looked, download=True):
    folders = "\n".join(f"  - {p}" for p in looked)
    return DataError(
        "Fashion-MNIST was not found"
        + (", and it could not be downloaded" if download else "") + ".\n"
        f"Looked in:\n{folders}\n"
        "Do one of these, then run again:\n"
        "  1. install the data package:  sudo apt-get install dataset-fashion-mnist\n"
        "  2. point the kit at a folder holding the four *-ubyte.gz files:\n"
        "       export FASHION_MNIST_DIR=/path/to/fashion-mnist\n"
        + ("  3. connect to the internet and retry (the files are downloaded into the cache)."
           if download else
           "  3. with a network, run ./kit setup in the kit's folder: it downloads them into\n"
           "     the cache."))


def system_dir_default():
    """The system folder: ``FASHION_MNIST_SYSTEM_DIR``, else Debian's DEBIAN_DIR."""
    return Path(os.environ.get("FASHION_MNIST_SYSTEM_DIR") or DEBIAN_DIR)


def find_data_dir(root=None, cache=None, system_dir=None, url=None, may_download=True):
    """Return the folder that holds the four files, downloading into the cache if needed.

    With ``may_download=False`` (what Gluon's FashionMNIST uses in the kit, helpers/book_code.py)
    a folder without them is an error at once, with no network attempt.
    """
    system_dir = system_dir if system_dir is not None else system_dir_default()
    root = root if root is not None else (os.environ.get("FASHION_MNIST_DIR") or None)
    if root is not None:
        root = Path(root)
        missing = [f[0] for f in FILES.values() if not (root / f[0]).is_file()]
        if missing:
            raise DataError(f"{root} (given as the data folder) lacks {', '.join(missing)}. "
                            "Put all four Fashion-MNIST *-ubyte.gz files there, or unset "
                            "FASHION_MNIST_DIR to use the cache or the Debian package.")
        return root
    cache = Path(cache) if cache is not None else cache_dir()
    for folder in (cache, system_dir):
        if _complete(folder):
            return Path(folder)
    if not may_download:
        raise _not_found([cache, system_dir], download=False)
    try:
        for name in FILES:
            if not (cache / FILES[name][0]).is_file():
                download(name, cache, url)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        err = _not_found([cache, system_dir])
        raise DataError(f"{err}\n(The download failed: {e}.)") from None
    return cache


def load_arrays(root=None, cache=None, system_dir=None, url=None):
    """Return the verified splits as NumPy arrays.

    Returns: dict with train_images (60000, 28, 28, 1) uint8, train_labels (60000,) int32,
    test_images (10000, 28, 28, 1) uint8, test_labels (10000,) int32. Read-only arrays,
    parsed once per process.
    """
    folder = find_data_dir(root, cache, system_dir, url)
    return {name: read_idx(folder / f[0], name) for name, f in FILES.items()}


def get_fashion_mnist_labels(labels):
    """Return the text labels of numeric labels (notebook 02_fashion_mnist).

    labels: (n,) integers in 0..9.
    """
    text_labels = ["t-shirt", "trouser", "pullover", "dress", "coat",
                   "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    return [text_labels[int(i)] for i in labels]


def get_workers(num_workers):
    """Return the number of DataLoader workers: 0 on Windows (notebook 02_fashion_mnist)."""
    return 0 if sys.platform.startswith("win") else num_workers


def fashion_mnist_datasets(root=None):
    """Return Gluon datasets (train, test) of (image uint8 (28, 28, 1), label int32) pairs."""
    from mxnet import gluon, nd, np
    from mxnet.util import is_np_array
    a = load_arrays(root)
    # mxnet.np arrays only with npx.set_np() on (as d2l does); else legacy NDArrays,
    # which the legacy image transforms need (Gluon's own MNIST dataset does the same).
    array = np.array if is_np_array() else nd.array
    return (gluon.data.ArrayDataset(array(a["train_images"], dtype="uint8"), a["train_labels"]),
            gluon.data.ArrayDataset(array(a["test_images"], dtype="uint8"), a["test_labels"]))


def load_data_fashion_mnist(batch_size, resize=None, root=None, num_workers=4):
    """Download Fashion-MNIST if needed and return (train_iter, test_iter) DataLoaders.

    Batches are (X: (batch_size, 1, 28, 28) float32 in [0, 1], y: (batch_size,) int32);
    with `resize`, X is (batch_size, 1, resize, resize). Train is shuffled.
    Defined in notebook 02_fashion_mnist.
    """
    from mxnet import gluon
    dataset = gluon.data.vision.transforms
    trans = [dataset.ToTensor()]
    if resize:
        trans.insert(0, dataset.Resize(resize))
    trans = dataset.Compose(trans)
    mnist_train, mnist_test = fashion_mnist_datasets(root)
    return (gluon.data.DataLoader(mnist_train.transform_first(trans), batch_size, shuffle=True,
                                  num_workers=get_workers(num_workers)),
            gluon.data.DataLoader(mnist_test.transform_first(trans), batch_size, shuffle=False,
                                  num_workers=get_workers(num_workers)))


def import_files(folder, cache=None):
    """Copy the four files from `folder` into the cache, each verified first (a bundle's data).

    A file already in the cache with the same bytes is left alone; nothing unverified is kept.
    Returns the number of files copied.
    """
    folder = Path(folder)
    cache = Path(cache) if cache is not None else cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    copied = 0
    for name, (fname, *_) in FILES.items():
        src, dst = folder / fname, cache / fname
        if not src.is_file():
            raise DataError(f"{folder} lacks {fname}.")
        _decode(_gunzip(src, name, str(folder)), name, str(folder))
        if dst.is_file() and dst.read_bytes() == src.read_bytes():
            continue
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{fname}.", suffix=".part")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        copied += 1
    return copied


def main(argv=None):
    """``python -m helpers.data --check``: find, verify and summarise the data.

    ``--import FOLDER`` first copies the four files of FOLDER (verified) into the cache.
    """
    import time
    argv = sys.argv[1:] if argv is None else argv
    tic = time.perf_counter()
    if argv[:1] == ["--import"]:
        try:
            copied = import_files(argv[1])
        except (DataError, IndexError, OSError) as e:
            print(e if not isinstance(e, IndexError) else "--import needs a folder",
                  file=sys.stderr)
            return 1
        if copied:
            print(f"kit: {copied} Fashion-MNIST files copied from {argv[1]} into "
                  f"{cache_dir()} (verified)")
        return 0
    try:
        folder = find_data_dir()
        a = load_arrays()
    except DataError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"kit: Fashion-MNIST verified in {folder} "
          f"({len(a['train_labels'])} train, {len(a['test_labels'])} test, "
          f"{time.perf_counter() - tic:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
