"""The book's own code runs as printed in the kit's environment, offline (helpers/book_code.py).

Gluon's ``FashionMNIST`` serves the kit's verified data as upstream would serve its own,
and d2l gets d2l 0.17's names; nothing is downloaded. A corrupt or missing file is the
kit's error; switched off, Gluon is upstream's. The data is Zalando's current release,
which Gluon's checksums refuse. The whole programs, d2l 0.17's and d2l 1.0's, run in
tests/test_book_code_programs.py.

Every network attempt goes to a local server that records it (`recorder`,
tests/conftest.py): Gluon's repository (``MXNET_GLUON_REPO``), the kit's download
(``FASHION_MNIST_URL``) and any proxied request (``http_proxy``/``https_proxy``). The
programs run in a fresh Python with an empty ``HOME`` and ``MXNET_HOME``, as a student's
first notebook would (tests/book_code_env.py).
"""
import gzip
import hashlib

import numpy as onp
import pytest

from helpers import book_code
from helpers.data import FILES, DataError
from tests.book_code_env import NETWORK_VARS, NOTICE, last_json, offline_env, run_python
from tests.kit_paths import ROOT

HOOK_MODULE = "_softmax_kit_book_code"  # the name the environment's .pth line loads it as


# --------------------------------------------------------------------------- fixtures

def linked(folder, source):
    """`folder` holding links to the four files of `source`."""
    folder.mkdir(parents=True)
    for f in FILES.values():
        (folder / f[0]).symlink_to(source / f[0])
    return folder


@pytest.fixture
def offline(monkeypatch, tmp_path, recorder, fashion_mnist_dir, no_data_env):
    """This process, offline: every download goes to `recorder`; the kit finds its data in a
    system folder of its own (links to the real files), so each test gets its notice."""
    monkeypatch.delenv(book_code.ENV, raising=False)
    monkeypatch.setenv("MXNET_GLUON_REPO", recorder.url)
    monkeypatch.setenv("FASHION_MNIST_URL", recorder.url)
    for var in NETWORK_VARS:
        monkeypatch.setenv(var, recorder.url)
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # the recorder itself; any other host too
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("FASHION_MNIST_CACHE", str(tmp_path / "cache"))
    system = linked(tmp_path / "system", fashion_mnist_dir)
    monkeypatch.setenv("FASHION_MNIST_SYSTEM_DIR", str(system))
    book_code.install()  # done at start by the environment; here in case pytest ran without
    return system


def datasets_module():
    from mxnet.gluon.data.vision import datasets
    return datasets


# --------------------------------------------------------------------------- the hook

def test_the_environment_loads_the_hook_and_nothing_else(tmp_path, recorder, fashion_mnist_dir):
    code = ("import json, sys; print(json.dumps({'modules': sorted(sys.modules), "
            "'finders': [type(f).__module__ for f in sys.meta_path]}))")
    r = run_python(code, offline_env(tmp_path, recorder, fashion_mnist_dir), tmp_path)
    assert r.returncode == 0, r.stderr
    out = last_json(r.stdout)
    assert HOOK_MODULE in out["modules"], "the environment's .pth line did not load the hook"
    assert out["finders"][0] == HOOK_MODULE and out["finders"].count(HOOK_MODULE) == 1
    heavy = [m for m in out["modules"] if m.split(".")[0] in ("mxnet", "d2l", "numpy", "helpers")]
    assert heavy == [], "interpreter start imported " + ", ".join(heavy)
    assert r.stderr == ""


def test_d2l_gets_only_d2l_017s_names_and_gluon_only_its_data(tmp_path, recorder,
                                                                fashion_mnist_dir):
    code = ("import json, inspect; from d2l import mxnet as d2l; "
            "from mxnet.gluon.data.vision import datasets as ds; "
            "print(json.dumps({'d2l': sorted(vars(d2l)), 'gluon': sorted(vars(ds)), "
            "'methods': {k: v.__code__.co_filename for k, v in "
            "vars(ds.FashionMNIST).items() if inspect.isfunction(v)}, "
            "'mnist': {k: v.__code__.co_filename for k, v in "
            "vars(ds.MNIST).items() if inspect.isfunction(v)}}))")
    on, off = (last_json(run_python(code, offline_env(tmp_path, recorder, fashion_mnist_dir,
                                                      **env), tmp_path).stdout)
               for env in ({}, {book_code.ENV: "off"}))
    assert set(on["d2l"]) - set(off["d2l"]) == set(book_code.D2L_017_NAMES)
    assert set(off["d2l"]) <= set(on["d2l"])
    assert on["gluon"] == off["gluon"]
    gluons = datasets_module().__file__
    ours = str(ROOT / "helpers" / "book_code.py")
    assert off["methods"] == {"__init__": gluons}  # _get_data is MNIST's
    assert on["methods"] == {"__init__": ours, "_get_data": ours}
    assert on["mnist"] == off["mnist"] == {"__init__": gluons, "_get_data": gluons}
    assert recorder.requests == []


# --------------------------------------------------------------------------- Gluon's dataset

@pytest.mark.parametrize("np_mode", [True, False], ids=["mxnet.np", "ndarray"])
@pytest.mark.parametrize("train", [False, True], ids=["test", "train"])
def test_gluon_serves_the_kits_data_as_upstream_serves_its_own(offline, tmp_path, recorder,
                                                               monkeypatch, capsys, np_mode,
                                                               train):
    """The kit's dataset against upstream's own code reading the same files, which Gluon
    takes for its own here (its checksum check accepts them): the same types, values,
    samples and transforms."""
    from mxnet import gluon, npx
    npx.set_np() if np_mode else npx.reset_np()
    root = tmp_path / "mxnet" / "datasets" / "fashion-mnist"
    ours = gluon.data.vision.FashionMNIST(root=str(root), train=train)
    assert NOTICE + str(offline) in capsys.readouterr().err
    assert not (tmp_path / "mxnet").exists(), "an empty folder was left where Gluon made one"

    gluons = linked(tmp_path / "gluons", offline)
    from mxnet.gluon import utils
    for module in (datasets_module(), utils):
        monkeypatch.setattr(module, "check_sha1", lambda path, sha1: True)
    theirs = gluon.data.vision.FashionMNIST(root=str(gluons), train=train)
    assert NOTICE not in capsys.readouterr().err, "Gluon's own valid files were not its own"

    n = 60000 if train else 10000
    assert type(ours) is type(theirs) is gluon.data.vision.FashionMNIST
    assert len(ours) == len(theirs) == n
    for a, b in ((ours._data, theirs._data), (ours._label, theirs._label)):
        assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
        assert onp.array_equal(getattr(a, "asnumpy", lambda: a)(),
                               getattr(b, "asnumpy", lambda: b)())
    assert ours._data.shape == (n, 28, 28, 1) and ours._data.dtype == onp.uint8
    for i in (0, n - 1):
        (X, y), (X_up, y_up) = ours[i], theirs[i]
        assert type(X) is type(X_up) and X.shape == (28, 28, 1) and X.dtype == onp.uint8
        assert type(y) is type(y_up) and y == y_up
    to_tensor = gluon.data.vision.transforms.ToTensor()
    X, y = ours.transform_first(to_tensor)[5]
    X_up, _ = theirs.transform_first(to_tensor)[5]
    assert X.shape == (1, 28, 28) and X.dtype == onp.float32
    assert onp.array_equal(X.asnumpy(), X_up.asnumpy())
    ours._label[0] = 3  # upstream's labels are an array of the dataset's own, writable
    assert recorder.requests == []
    npx.set_np()


def test_a_root_holding_the_current_release_is_read_from_there(offline, tmp_path, recorder,
                                                               capsys):
    from mxnet import gluon
    root = linked(tmp_path / "mine", offline)
    test = gluon.data.vision.FashionMNIST(root=str(root), train=False)
    err = capsys.readouterr().err
    assert NOTICE + str(root) in err and str(offline) not in err
    assert len(test) == 10000 and recorder.requests == []


def test_half_of_gluons_own_files_is_no_mix_of_releases(offline, tmp_path, recorder,
                                                        monkeypatch, capsys):
    """A root holding one of Gluon's own files (the first release) and not its partner: the
    split comes whole from the kit, never half from each release, and nothing is fetched."""
    from mxnet import gluon
    root = tmp_path / "half"
    root.mkdir()
    (root / "t10k-labels-idx1-ubyte.gz").symlink_to(offline / "t10k-labels-idx1-ubyte.gz")
    monkeypatch.setattr(datasets_module(), "check_sha1",  # Gluon takes that file for its own
                        lambda path, sha1: path.endswith("t10k-labels-idx1-ubyte.gz"))
    test = gluon.data.vision.FashionMNIST(root=str(root), train=False)
    assert NOTICE + str(offline) in capsys.readouterr().err
    assert len(test) == 10000 and recorder.requests == []


def corrupt_copy(folder, source, name):
    """`folder` with copies of the four files of `source`, the file `name` with one byte of
    its content changed."""
    folder.mkdir()
    for key, f in FILES.items():
        raw = gzip.decompress((source / f[0]).read_bytes())
        if key == name:
            raw = raw[:-1] + bytes([raw[-1] ^ 0xFF])
        (folder / f[0]).write_bytes(gzip.compress(raw, compresslevel=1))
    return folder


def test_a_corrupt_file_is_the_kits_error_not_a_download(offline, tmp_path, recorder,
                                                          monkeypatch, capsys):
    from mxnet import gluon
    bad = corrupt_copy(tmp_path / "bad", offline, "train_labels")
    monkeypatch.setenv("FASHION_MNIST_DIR", str(bad))
    root = tmp_path / "mxnet" / "datasets" / "fashion-mnist"
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz in .* has SHA-1") as e:
        gluon.data.vision.FashionMNIST(root=str(root), train=True)
    assert str(bad) in str(e.value) and "not the official Fashion-MNIST release" in str(e.value)
    out = capsys.readouterr()
    assert "Downloading" not in out.out + out.err and NOTICE not in out.err
    assert recorder.requests == []
    assert not (tmp_path / "mxnet").exists()
    # The test split's files are sound: it is served.
    assert len(gluon.data.vision.FashionMNIST(root=str(root), train=False)) == 10000


def test_a_corrupt_file_in_root_is_the_kits_error(offline, tmp_path, recorder):
    from mxnet import gluon
    bad = corrupt_copy(tmp_path / "bad", offline, "test_images")
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz in .* has SHA-1") as e:
        gluon.data.vision.FashionMNIST(root=str(bad), train=False)
    assert "given this folder as its root" in str(e.value) and "Delete it" in str(e.value)
    assert recorder.requests == []


def test_missing_data_is_the_kits_error_not_a_download(offline, tmp_path, recorder,
                                                       monkeypatch, capsys):
    from mxnet import gluon
    monkeypatch.setenv("FASHION_MNIST_SYSTEM_DIR", str(tmp_path / "nowhere"))
    root = tmp_path / "mxnet" / "datasets" / "fashion-mnist"
    with pytest.raises(DataError) as e:
        gluon.data.vision.FashionMNIST(root=str(root), train=True)
    message = str(e.value)
    assert "Fashion-MNIST was not found." in message
    for part in (str(tmp_path / "cache"), str(tmp_path / "nowhere"),
                 "apt-get install dataset-fashion-mnist", "FASHION_MNIST_DIR", "./kit setup"):
        assert part in message
    out = capsys.readouterr()
    assert "Downloading" not in out.out + out.err
    assert recorder.requests == []
    assert not (tmp_path / "mxnet").exists() and not (tmp_path / "cache").exists()


def test_switched_off_gluon_is_upstreams(offline, tmp_path, recorder, monkeypatch, capsys):
    """KIT_BOOK_CODE=off: Gluon checks its own checksums, refuses the current release and
    tries its own download, leaving its folder behind, as it does without the kit."""
    from mxnet import gluon
    monkeypatch.setenv(book_code.ENV, "off")
    root = linked(tmp_path / "current", offline)
    with pytest.raises(Exception, match="Failed downloading url"):
        gluon.data.vision.FashionMNIST(root=str(root), train=False)
    assert recorder.requests[0] == \
        "GET /gluon/dataset/fashion-mnist/t10k-images-idx3-ubyte.gz HTTP/1.1"
    out = capsys.readouterr()
    assert "Downloading" in out.out and NOTICE not in out.err
    empty = tmp_path / "mxnet" / "datasets" / "fashion-mnist"
    with pytest.raises(Exception, match="Failed downloading url"):
        gluon.data.vision.FashionMNIST(root=str(empty), train=True)
    assert recorder.requests[-1] == \
        "GET /gluon/dataset/fashion-mnist/train-images-idx3-ubyte.gz HTTP/1.1"
    assert empty.is_dir()


def test_switched_off_from_the_start_gluon_and_d2l_are_upstreams(tmp_path, recorder,
                                                                 fashion_mnist_dir):
    code = ("from d2l import mxnet as d2l\n"
            "from mxnet import gluon\n"
            "assert not hasattr(d2l, 'train_ch3')\n"
            "gluon.data.vision.FashionMNIST(train=True)\n")
    env = offline_env(tmp_path, recorder, fashion_mnist_dir, **{book_code.ENV: "off"})
    r = run_python(code, env, tmp_path)
    assert r.returncode == 1 and "Failed downloading url" in r.stderr, r.stderr
    assert NOTICE not in r.stderr
    assert recorder.requests[0] == \
        "GET /gluon/dataset/fashion-mnist/train-images-idx3-ubyte.gz HTTP/1.1"
    assert (tmp_path / "home" / ".mxnet" / "datasets" / "fashion-mnist").is_dir()


# --------------------------------------------------------------------------- the account

# Zalando's published MD5s (their README) and the gzip headers of their files: each names
# its file and carries the time it was written (2017-08-31, after duplicates were removed).
ZALANDO = {
    "train-images-idx3-ubyte.gz": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", 1504176606),
    "train-labels-idx1-ubyte.gz": ("25c81989df183df01b3e8a0aad5dffbe", 1504176606),
    "t10k-images-idx3-ubyte.gz": ("bef4ecab320f06d8554ea6380940ec79", 1504176627),
    "t10k-labels-idx1-ubyte.gz": ("bb300cfdad3c16e7a12a480ee83cd310", 1504176627),
}


def zalandos_header(fname, mtime):
    """The 10-byte gzip header (deflate, FNAME set, Unix) and the file name Zalando's has."""
    return (b"\x1f\x8b\x08\x08" + mtime.to_bytes(4, "little") + b"\x00\x03"
            + fname[:-3].encode() + b"\x00")


def test_the_data_is_zalandos_current_release_which_gluon_refuses(fashion_mnist_dir):
    """What lesson 02 and helpers/data.py say: Debian's files hold Zalando's compressed data
    unchanged, only the gzip header differs; with Zalando's header they are Zalando's files
    (their published MD5s), and Gluon's checksums refuse them all the same."""
    from mxnet.gluon.utils import check_sha1
    pins = gluon_pins()
    assert pins["train-labels-idx1-ubyte.gz"] == "236021d52f1e40852b06a4c3008d8de8aef1e40b"
    for fname, (md5, mtime) in ZALANDO.items():
        gz = (fashion_mnist_dir / fname).read_bytes()
        if gz[3] & 0x08 == 0:  # no file name: Debian's header, 10 bytes, nothing else
            assert gz[3] == 0, f"{fname}: an unexpected gzip header"
            gz = zalandos_header(fname, mtime) + gz[10:]
        assert hashlib.md5(gz).hexdigest() == md5, fname
        assert hashlib.sha1(gz).hexdigest() != pins[fname]
        assert not check_sha1(str(fashion_mnist_dir / fname), pins[fname])


def gluon_pins():
    """{file name: SHA-1} as Gluon's FashionMNIST sets them, its loading left out."""
    cls = datasets_module().FashionMNIST
    ds = cls.__new__(cls)
    base = datasets_module().dataset._DownloadedDataset
    with pytest.MonkeyPatch.context() as m:
        m.setattr(base, "__init__", lambda self, root, transform: None)
        cls.__init__(ds, root="unused", train=True)
    return dict([ds._train_data, ds._train_label, ds._test_data, ds._test_label])
