"""The book's own code, run as printed in the kit's environment (README, "Running the book's own code").

d2l (English 1.0 and 《动手学深度学习》 2.0) and the original lesson load Fashion-MNIST with
Gluon: ``gluon.data.vision.FashionMNIST(train=True)``, directly or through
``d2l.FashionMNIST`` (d2l 1.0) and ``d2l.load_data_fashion_mnist`` (d2l 0.17). Gluon cannot
fetch it any more: its download host is gone, and the SHA-1s it checks are those of Zalando's
first release of 2017-08-26, which no one serves; it refuses every copy of today's release
(helpers/data.py tells the whole story). And the d2l pinned here (1.0) no longer has the
training functions of d2l 0.17, the edition 《动手学深度学习》 2.0 prints.

Set-up installs a line into the environment (a ``.pth`` file in .venv's site-packages) that
calls :func:`install` at interpreter start. It adds an import hook and nothing else: no
MXNet, no d2l, no data is touched until the code itself imports them. Then, and only then:

* when ``mxnet.gluon.data.vision.datasets`` is imported, Gluon's ``FashionMNIST`` gets the
  kit's data: a folder ``root=`` holding Gluon's own valid files (its SHA-1s) is read by
  Gluon itself, as upstream; a folder holding the four files of the current release is read
  from there; otherwise the kit's verified data is served (``helpers.data``: a folder named
  in ``FASHION_MNIST_DIR``, the kit's cache, Debian's package). The dataset is Gluon's own
  class, with the same samples as upstream: ``(28, 28, 1)`` uint8 images, int32 labels,
  ``transform_first`` and the rest. Serving data prints one line that says so, once per
  folder and process. A corrupt or missing file raises ``helpers.data.DataError``; nothing
  is ever downloaded. ``d2l.FashionMNIST`` and ``d2l.load_data_fashion_mnist`` build on it.
* when ``d2l.mxnet`` is imported, it gets d2l 0.17's ``train_epoch_ch3``, ``train_ch3`` and
  ``predict_ch3`` (section 3.6), with their behaviour, where d2l lacks them.

Nothing else changes. ``KIT_BOOK_CODE=off`` (or ``no``, ``0``, ``false``) in the environment
switches both off: set it before starting Python, or at least before importing MXNet.
What it serves is the current Fashion-MNIST release (2017-08-31) under Gluon's name, not the
2017-08-26 files Gluon's checksums name: the same images, without the duplicates Zalando
removed, in another order.
"""
import os
import sys

ENV = "KIT_BOOK_CODE"
GLUON_DATASETS = "mxnet.gluon.data.vision.datasets"
D2L = "d2l.mxnet"
# The names of d2l 0.17 (《动手学深度学习》 2.0, section 3.6) that the pinned d2l lacks.
D2L_017_NAMES = ("train_epoch_ch3", "train_ch3", "predict_ch3")
SPLITS = {True: ("train_images", "train_labels"), False: ("test_images", "test_labels")}
_told = set()  # folders the notice was printed for, in this process


def enabled(env=None):
    """True unless ``KIT_BOOK_CODE`` is off, no, 0 or false."""
    value = (os.environ if env is None else env).get(ENV, "on")
    return value.strip().lower() not in ("off", "no", "0", "false")


# --------------------------------------------------------------------------- the hook

class _Finder:
    """A meta path finder that finds nothing itself: it wraps the loader of two modules so
    that each is patched right after it ran."""

    def find_spec(self, fullname, path=None, target=None):
        patch = PATCHES.get(fullname)
        if patch is None or not enabled():
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _PatchingLoader(spec.loader, patch)
        return spec


class _PatchingLoader:
    """The module's own loader, then the patch."""

    def __init__(self, loader, patch):
        self._loader, self._patch = loader, patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name):  # get_source, get_filename, ...: the loader's own
        return getattr(self._loader, name)


def install():
    """Add the import hook (once), and patch what is imported already (unless switched off).

    The environment's ``.pth`` line calls it at interpreter start; a notebook run outside
    the kit's environment (conda, Binder) may call it itself, before or after importing MXNet.
    """
    if not any(type(f).__name__ == "_Finder" for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    if enabled():
        for name, patch in PATCHES.items():
            if name in sys.modules:
                patch(sys.modules[name])


# --------------------------------------------------------------------------- Gluon

def _absent_folders(root):
    """The folders of `root` that do not exist yet, deepest first."""
    absent, folder = [], os.path.abspath(os.path.expanduser(root))
    while not os.path.exists(folder):
        absent.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return absent


def _gluons_own(dataset, pins, check_sha1):
    """The names of the files of `dataset`'s split that its root holds with Gluon's SHA-1s."""
    return {name for name, sha1 in pins
            if os.path.isfile(path := os.path.join(dataset._root, name))
            and check_sha1(path, sha1)}


def kit_split(root, train, gluons_own=()):
    """(images, labels, folder): one split, from `root` when it holds the current release's
    two files, else from the kit's data; verified. Raises helpers.data.DataError.

    `gluons_own`: file names in `root` that are Gluon's own (its first release), left alone.
    """
    from pathlib import Path

    from helpers import data
    names = SPLITS[bool(train)]
    root = Path(os.path.expanduser(root))
    files = {name: root / data.FILES[name][0] for name in names
             if data.FILES[name][0] not in gluons_own}
    present = {name: f for name, f in files.items() if f.is_file()}
    if present:
        try:
            arrays = [data.read_idx(f, name) for name, f in present.items()]
        except data.DataError as e:
            raise data.DataError(
                f"{e}\nGluon's FashionMNIST was given this folder as its root; the file is "
                "neither Gluon's own nor of the current release. Delete it (the kit then "
                "serves its own verified copy), or pass another root=.") from None
        if len(arrays) == 2:
            return arrays[0], arrays[1], root
    folder = data.find_data_dir(may_download=False)
    images, labels = (data.read_idx(folder / data.FILES[name][0], name) for name in names)
    return images, labels, folder


def _notice(folder):
    if str(folder) in _told:
        return
    _told.add(str(folder))
    print(f"kit: Gluon's FashionMNIST reads the kit's verified Fashion-MNIST from {folder}: "
          "Zalando's current release, not the 2017-08-26 files Gluon's checksums name "
          f"(README, 'Running the book's own code'; {ENV}=off switches this off)",
          file=sys.stderr, flush=True)


def patch_gluon(module):
    """Give `module` (mxnet.gluon.data.vision.datasets)'s FashionMNIST the kit's data."""
    import functools
    cls = module.FashionMNIST
    if "_kit_original" in vars(cls):
        return
    original_init, original_get_data = cls.__init__, cls._get_data

    @functools.wraps(original_init)
    def __init__(self, root=original_init.__defaults__[0], train=True, transform=None):
        absent = _absent_folders(root) if enabled() else []
        try:
            original_init(self, root=root, train=train, transform=transform)
        finally:  # leave no empty folder behind where Gluon made one for a download
            for folder in absent:
                try:
                    os.rmdir(folder)
                except OSError:
                    break

    @functools.wraps(original_get_data)
    def _get_data(self):
        pins = (self._train_data, self._train_label) if self._train else \
            (self._test_data, self._test_label)
        if not enabled():
            return original_get_data(self)
        gluons_own = _gluons_own(self, pins, module.check_sha1)
        if len(gluons_own) == 2:  # the first release's files: Gluon reads them, as upstream
            return original_get_data(self)
        from mxnet import nd
        from mxnet import numpy as mx_np
        from mxnet.util import is_np_array
        images, labels, folder = kit_split(self._root, self._train, gluons_own)
        labels = labels.copy()  # upstream's labels are a NumPy int32 array of its own
        if is_np_array():
            labels = mx_np.array(labels, dtype=labels.dtype)
        array = mx_np.array if is_np_array() else nd.array
        self._data = array(images, dtype=images.dtype)
        self._label = labels
        _notice(folder)

    cls.__init__, cls._get_data = __init__, _get_data
    cls._kit_original = (original_init, original_get_data)


# --------------------------------------------------------------------------- d2l 0.17

def train_epoch_ch3(net, train_iter, loss, updater):
    """Train `net` for one epoch; return (mean loss, accuracy) on the training data.

    d2l 0.17's function (section 3.6), provided by the kit for the pinned d2l 1.0, which
    lacks it. `updater` is a ``gluon.Trainer`` or a function of the batch size.
    """
    from mxnet import autograd, gluon
    d2l = sys.modules[D2L]
    if isinstance(updater, gluon.Trainer):
        updater = updater.step
    metric = d2l.Accumulator(3)  # sum of losses, correct predictions, examples
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        updater(X.shape[0])
        metric.add(float(l.sum()), d2l.accuracy(y_hat, y), y.size)
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train `net` for `num_epochs`, plotting loss and accuracies after each epoch.

    d2l 0.17's function (section 3.6), provided by the kit for the pinned d2l 1.0, which
    lacks it. Like d2l 0.17's, it asserts at the end that the final training loss is below
    0.5 and both accuracies above 0.7.
    """
    d2l = sys.modules[D2L]
    animator = d2l.Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9],
                            legend=["train loss", "train acc", "test acc"])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = d2l.evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))
    train_loss, train_acc = train_metrics
    assert train_loss < 0.5, train_loss
    assert 0.7 < train_acc <= 1, train_acc
    assert 0.7 < test_acc <= 1, test_acc


def predict_ch3(net, test_iter, n=6):
    """Show the first `n` images of `test_iter`'s first batch, titled true / predicted class.

    d2l 0.17's function (section 3.6), provided by the kit for the pinned d2l 1.0, which
    lacks it.
    """
    d2l = sys.modules[D2L]
    X, y = next(iter(test_iter))
    trues = d2l.get_fashion_mnist_labels(y)
    preds = d2l.get_fashion_mnist_labels(d2l.argmax(net(X), axis=1))
    titles = [true + "\n" + pred for true, pred in zip(trues, preds)]
    d2l.show_images(d2l.reshape(X[0:n], (n, 28, 28)), 1, n, titles=titles[0:n])


def patch_d2l(module):
    """Give `module` (d2l.mxnet) d2l 0.17's training names where it lacks them."""
    for name in D2L_017_NAMES:
        if not hasattr(module, name):
            setattr(module, name, globals()[name])


PATCHES = {GLUON_DATASETS: patch_gluon, D2L: patch_d2l}
