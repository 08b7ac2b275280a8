"""grading/checks/: each check passes a right answer and names the fault of a wrong one.

This file: importing is cheap, the generic checks (common.py), the judges' registry,
records and grading mode, the two references agreeing, the messages. Each assignment's
checks are tested in tests/test_checks_a1.py ... test_checks_a8.py. The wrong answers are
the mistakes students make: the textbook softmax that overflows, the transpose, the sum
over the wrong axis, a mean instead of one loss per example, an update that rebinds
instead of writing in place, and so on. Each test asserts the message
a student would read, so a vaguer message fails it.
"""
import inspect
import subprocess
import sys

import numpy as onp
import pytest

from mxnet import np

from grading import checks
from tests.check_answers import naive_softmax, stable_softmax


def test_import_is_cheap():
    code = "import sys, grading.checks; print('mxnet' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


# ---------------------------------------------------------------- generic checks

def test_check_shape():
    checks.check_shape(onp.zeros((256, 10)), (256, 10))
    with pytest.raises(AssertionError, match=r"^softmax\(X\): expected shape \(256, 10\), "
                                             r"got \(10, 256\) \(the transpose"):
        checks.check_shape(onp.zeros((10, 256)), (256, 10), "softmax(X)")
    with pytest.raises(AssertionError, match=r"got \(256,\) \(an axis is missing"):
        checks.check_shape(onp.zeros(256), (256, 1))
    with pytest.raises(AssertionError, match=r"got \(\) \(a single number.*; one loss per"):
        checks.check_shape(onp.float32(1), (2,), hint="one loss per example")
    with pytest.raises(AssertionError, match="is None: did you forget a return"):
        checks.check_shape(None, (2,))


def test_check_dtype():
    checks.check_dtype(np.zeros(2, dtype="float64"), "float64")
    with pytest.raises(AssertionError, match="^X: expected dtype float32, got float64$"):
        checks.check_dtype(onp.zeros(2), "float32", "X")


def test_check_finite_names_the_entry():
    checks.check_finite(onp.ones((2, 3)))
    a = onp.ones((4, 3))
    a[2, 1] = onp.nan
    with pytest.raises(AssertionError, match=r"^nan in output for logits around 1000 "
                                             r"\(row 2, column 1\)$"):
        checks.check_finite(a, "output", "for logits around 1000")
    with pytest.raises(AssertionError, match=r"^inf in y \(entry 1\)$"):
        checks.check_finite(onp.array([0.0, onp.inf]), "y")


def test_check_probabilities_names_the_row_and_its_sum():
    checks.check_probabilities(onp.full((5, 4), 0.25))
    P = onp.full((5, 2), 0.5)
    P[3] = [0.9, 0.8]
    with pytest.raises(AssertionError, match=r"^rows must sum to 1; row 3 sums to 1\.7$"):
        checks.check_probabilities(P)
    P = onp.full((3, 2), 0.5)
    P[1] = [1.3, -0.3]
    with pytest.raises(AssertionError, match=r"non-negative; row 1, column 1 is -0\.3$"):
        checks.check_probabilities(P)
    with pytest.raises(AssertionError, match=r"expected a 2-d array .* got shape \(4,\)"):
        checks.check_probabilities(onp.full(4, 0.25))


def test_check_close_names_the_row():
    checks.check_close(onp.ones((2, 2)), onp.ones((2, 2)))
    with pytest.raises(AssertionError, match=r"^f\(X\): row 1 is \[1, 2\], expected \[1, 1\]$"):
        checks.check_close(onp.array([[1, 1], [1, 2]]), onp.ones((2, 2)), "f(X)")


# ---------------------------------------------------------------- plain data and grading mode

from grading.checks import records, session  # noqa: E402
from grading.checks.judge import JUDGES  # noqa: E402
from grading.checks import reference as student_reference  # noqa: E402
from grading import reference as grader_reference  # noqa: E402


def test_records_round_trip_plain_data():
    header = {"check": "softmax", "params": {"shape": [2, 3], "seed": 0}}
    record = {"P": onp.arange(6, dtype="float32").reshape(2, 3), "none": None, "text": "t",
              "items": [1, 2.5, True, "x"], "nested": {"names": onp.array(["a", "b"])},
              "object": object()}
    got_header, got = records.round_trip(header, record)
    assert got_header == header
    assert got["P"].dtype == onp.float32 and onp.array_equal(got["P"], record["P"])
    assert got["none"] is None and got["text"] == "t" and got["items"] == [1, 2.5, True, "x"]
    assert got["nested"]["names"].tolist() == ["a", "b"]
    assert got["object"] == {"__repr__": "object"}  # never the object itself


def _npz(**members):
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _npy(array):
    import io
    buffer = io.BytesIO()
    onp.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_records_refuse_what_is_not_plain():
    meta = _npy(onp.array('{"header": {"check": "x"}, "record": {}}'))
    assert records.read(_npz(**{"meta.npy": meta}))[0] == ({"check": "x"}, {})
    bad = {
        "not a zip": b"hello",
        "a pickled object": _npz(**{"meta.npy": meta,
                                    "a0.npy": _npy(onp.array([{"x": 1}], dtype=object))}),
        "an unknown member": _npz(**{"meta.npy": meta, "evil.py": b"print(1)"}),
        "no header": _npz(**{"a0.npy": _npy(onp.zeros(3))}),
        "a header that is not JSON": _npz(**{"meta.npy": _npy(onp.array("{nope"))}),
    }
    import io
    huge = io.BytesIO()  # a header that claims 10**12 values: refused before any is read
    onp.lib.format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False,
                                                 "shape": (10**12,)})
    bad["a huge array"] = _npz(**{"meta.npy": meta, "a0.npy": huge.getvalue()})
    for what, data in bad.items():
        with pytest.raises(records.RecordError):
            records.read(data)
            pytest.fail(f"read {what}")


def test_checks_record_when_graded_and_the_grader_judges(tmp_path, monkeypatch):
    """Graded, a check only writes what the student's code returned; the grader's judge decides."""
    monkeypatch.setenv(session.GRADING_DIR, str(tmp_path))
    monkeypatch.setenv(session.GRADING_SEED, "s3cret")
    session.begin("test_softmax")
    try:
        checks.check_softmax(naive_softmax, offset=1000)  # raises nothing when graded
        checks.check_softmax(stable_softmax, shape=(3, 5))
    finally:
        session.begin(None)
    checks.check_softmax(lambda X: None)  # outside a test cell: nothing is written
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["test_softmax.0.npz", "test_softmax.1.npz"]
    (header, record), _ = records.read((tmp_path / names[0]).read_bytes())
    assert header == {"check": "softmax", "params": {"shape": [256, 10], "dtype": "float32",
                                                     "offset": 1000, "seed": 0}}
    seed = session.derive_seed("s3cret", "test_softmax", 0, 0)
    assert seed != 0
    with pytest.raises(AssertionError, match=r"^nan in softmax\(X\) for logits around 1000"):
        JUDGES["softmax"](record, header["params"], seed, grader_reference)
    (header, record), _ = records.read((tmp_path / names[1]).read_bytes())
    JUDGES["softmax"](record, header["params"], session.derive_seed("s3cret", "test_softmax",
                                                                     1, 0), grader_reference)
    with pytest.raises(AssertionError, match="row 0 is"):  # other inputs: the answer is wrong
        JUDGES["softmax"](record, header["params"], 12345, grader_reference)


def test_the_two_references_agree():
    """The student's checks and the grader compare with two separate references (the grader's
    is never inside a sandbox, where a student's code could read or change it): the same
    answers, and the same names."""
    public = {n for n in dir(grader_reference) if not n.startswith("_") and
              callable(getattr(grader_reference, n)) and
              getattr(getattr(grader_reference, n), "__module__", "") == grader_reference.__name__}
    assert public == set(student_reference.__all__), public ^ set(student_reference.__all__)
    rng = onp.random.RandomState(3)
    x = rng.normal(0, 50, size=(7, 10))
    y = rng.randint(0, 10, size=7)
    p = student_reference.softmax(x)
    x3 = onp.random.RandomState(4).normal(0, 50, size=(2, 7, 3))
    for axis in (0, 1, -1):
        for name in ("softmax", "logsumexp"):
            a = getattr(student_reference, name)(x3, axis)
            b = getattr(grader_reference, name)(x3, axis)
            assert a.shape == b.shape and onp.allclose(a, b, rtol=1e-10, atol=1e-12), name
    for name, args in (("softmax", (x,)), ("logsumexp", (x,)), ("cross_entropy", (p, y)),
                       ("correct_count", (x, y)), ("loss", (x, y)),
                       ("sgd_step", (x, p, 0.1, 4)),
                       ("to_tensor", (rng.randint(0, 256, (3, 28, 28, 1)).astype("uint8"),)),
                       ("to_tensor", (onp.random.RandomState(6).randint(0, 256, (2, 32, 24, 3))
                                      .astype("uint8"),))):
        a, b = getattr(student_reference, name)(*args), getattr(grader_reference, name)(*args)
        assert onp.allclose(a, b, rtol=1e-10, atol=1e-12), name
        assert onp.asarray(a).dtype == onp.asarray(b).dtype, name
    assert student_reference.labels([9, 0, 3]) == grader_reference.labels([9, 0, 3])
    batches = [(rng.normal(size=(5, 4)), rng.randint(0, 3, 5)) for _ in range(3)]
    W0 = rng.normal(0, 0.01, (4, 3))
    for a, b in zip(student_reference.train_epoch(batches, W0, 0.5),
                    grader_reference.train_epoch(batches, W0, 0.5)):
        assert onp.allclose(a, b, rtol=1e-10)
    W, b = rng.normal(0, 0.01, (784, 10)), rng.normal(0, 0.01, 10)
    assert student_reference.test_accuracy(W, b) == grader_reference.test_accuracy(W, b)
    X, W, b = rng.normal(size=(7, 4)), rng.normal(size=(4, 10)), rng.normal(size=10)
    Y = 0.9 * onp.eye(10)[y] + 0.01
    assert onp.allclose(student_reference.softmax_ce_gradient(x, Y),
                        grader_reference.softmax_ce_gradient(x, Y), rtol=1e-10, atol=1e-12)
    from grading.checks.a6_gradient import smooth_problem
    f, parts, w = smooth_problem([(3, 4), (4,)], 5)
    points = [a for _, _, a in parts]
    for a, b_ in zip(student_reference.smooth_gradients(parts, w, points),
                     grader_reference.smooth_gradients(parts, w, points)):
        assert a.shape == b_.shape and onp.allclose(a, b_, rtol=1e-10, atol=1e-12)
    # The student's copy measures the regularized loss's gradients by finite differences,
    # the grader's states them: they agree to the differences' error.
    for reg in (0.0, 0.3):
        (la, *ga), (lb, *gb) = (student_reference.regularized_loss(X, y, W, b, reg),
                                grader_reference.regularized_loss(X, y, W, b, reg))
        assert onp.isclose(la, lb, rtol=1e-12)
        for a, b_ in zip(ga, gb):
            assert a.shape == b_.shape and onp.allclose(a, b_, rtol=1e-7, atol=1e-9)
    confidence = onp.concatenate([rng.uniform(0.1, 1, 500), onp.ones(20)])
    correct = rng.uniform(size=520) < 0.7
    for bins in (5, 15, 50):
        assert onp.isclose(student_reference.ece(confidence, correct, bins),
                           grader_reference.ece(confidence, correct, bins), rtol=1e-12)
    for T in (0.3, 1.0, 4.0):
        assert onp.isclose(student_reference.nll(x, y, T), grader_reference.nll(x, y, T),
                           rtol=1e-12)
    logits, labels = 2.5 * rng.normal(size=(300, 10)), rng.randint(0, 10, 300)
    T1, T2 = student_reference.best_temperature(logits, labels), grader_reference.best_temperature(logits, labels)
    assert abs(student_reference.nll(logits, labels, T1) - student_reference.nll(logits, labels, T2)) < 1e-9
    for count, fraction in ((60, 0.2), (13, 0.3), (7, 1 / 6)):
        assert student_reference.validation_count(count, fraction) == \
            grader_reference.validation_count(count, fraction)
    assert onp.array_equal(student_reference.one_hot(y, 10), grader_reference.one_hot(y, 10))
    from grading.checks.a5_devices import shard_sizes
    for sizes in shard_sizes(0) + shard_sizes(1):  # the student's side: right answers' digests
        for value in (sum(sizes), sum(sizes) + 1, sizes[0], len(sizes), 1):
            assert student_reference.step_argument_is(sizes, value) == \
                grader_reference.step_argument_is(sizes, value) == (value == sum(sizes))
    assert grader_reference.step_argument_is([86, 85, 85], 256)
    assert "def step_argument(" not in inspect.getsource(sys.modules["grading.checks.a5_devices"])
    results = [{"val_acc": v} for v in (0.8, 0.85, 0.85, 0.82)]
    assert student_reference.best_setting(results) == grader_reference.best_setting(results) == 1
    assert onp.array_equal(student_reference.dataset_labels("test"),
                           grader_reference.dataset_labels("test"))


def test_every_message_key_exists_and_a_translation_falls_back():
    import re
    from pathlib import Path
    from grading.checks import messages
    root = Path(checks.__file__).resolve().parents[2]
    used = set()
    for path in list((root / "grading" / "checks").glob("*.py")) + list((root / "grading").glob("*.py")):
        text = path.read_text()
        used |= set(re.findall(r'(?:say|fail)\(\s*["\']([a-z_.]+)["\']', text))
        used |= set(re.findall(r'number_of\([^,()]+,\s*"([a-z_.]+)"', text))
    assert used == set(messages.ENGLISH), (f"unknown: {used - set(messages.ENGLISH)}, "
                                           f"unused: {set(messages.ENGLISH) - used}")
    messages.LANGUAGES["xx"] = {"none": "{name} ist None"}
    try:
        messages.LANGUAGE = "xx"
        assert messages.say("none", name="P") == "P ist None"
        assert messages.say("dtype", name="P", expected="a", got="b").startswith("P: expected")
    finally:
        messages.LANGUAGE = "en"
        del messages.LANGUAGES["xx"]


# ---------------------------------------------------------------- one exercise, one place

def _check_names():
    """{check function: the name it records under (its start("name", ...))}."""
    import ast
    import inspect
    out = {}
    for name in checks.__all__:
        fn = getattr(checks, name)
        calls = [n for n in ast.walk(ast.parse(inspect.getsource(fn)))
                 if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "start"]
        assert len(calls) == 1, f"{name} should begin exactly one Run"
        out[fn] = calls[0].args[0].value
    return out


def test_every_check_is_judged_beside_it():
    """Each check's judge is registered (@judge) in the check's own module, and no judge is
    without its check."""
    from grading.checks.judge import UNGRADABLE, judge
    names = _check_names()
    for fn, name in names.items():
        assert name in JUDGES, f"{fn.__name__}: no judge registered for {name!r}"
        assert JUDGES[name].__module__ == fn.__module__, (fn.__name__, JUDGES[name].__module__)
    assert set(JUDGES) == set(names.values())
    assert UNGRADABLE == {"close"}
    def judge_softmax(record, params, seed, ref):
        pass
    with pytest.raises(ValueError, match="two judges for check 'softmax'"):
        judge(judge_softmax)


def test_each_assignment_module_holds_its_notebook_s_checks():
    """course/source/aN_x/ calls the checks of grading/checks/aN_x.py (and the generic ones,
    and an earlier assignment's), and every check of aN_x.py is called there."""
    import ast
    import json
    from pathlib import Path
    from grading.checks import common
    from grading.checks.tasks import ASSIGNMENTS
    root = Path(checks.__file__).resolve().parents[2]
    folders = sorted(p.name for p in (root / "course" / "source").iterdir() if p.is_dir())
    assert folders == list(ASSIGNMENTS)
    for k, folder in enumerate(folders):
        imported = set()
        for notebook in (root / "course" / "source" / folder).glob("*.ipynb"):
            for cell in json.loads(notebook.read_text())["cells"]:
                source = "".join(cell["source"])
                if cell["cell_type"] != "code" or "grading.checks" not in source:
                    continue
                for node in ast.walk(ast.parse(source)):
                    if isinstance(node, ast.ImportFrom) and node.module == "grading.checks":
                        imported |= {a.name for a in node.names}
        own = {n for n in checks.__all__ if getattr(checks, n).__module__ == ASSIGNMENTS[folder].__name__}
        allowed = own | {n for n in checks.__all__ if getattr(checks, n).__module__ in
                         [common.__name__] + [ASSIGNMENTS[f].__name__ for f in folders[:k]]}
        assert own <= imported, f"{folder} never calls {own - imported}"
        assert imported <= allowed, f"{folder} calls {imported - allowed} of a later assignment"


def test_every_student_function_is_called_through_the_run():
    """A check calls what the student passed only as run.call(fn, ...): the grader traps
    forbidden library calls there."""
    import ast
    import inspect
    for name in checks.__all__:
        tree = ast.parse(inspect.getsource(getattr(checks, name)))
        function = tree.body[0]
        params = {a.arg for a in function.args.args}
        direct = [n.func.id for n in ast.walk(function) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name) and n.func.id in params]
        assert not direct, f"{name} calls {direct} directly, not through run.call"


def test_message_keys_are_found_from_their_module():
    """A key an assignment's module says starts with one of its checks' names (or names no
    check: shared words such as "shape" or "one_loss_per_example"); a check's keys are said
    only in its module, and sit in its module's section of both catalogues."""
    import inspect
    import re
    from grading.checks import common, messages, messages_zh
    from grading.checks.tasks import ASSIGNMENTS
    modules = dict(ASSIGNMENTS, common=common)
    owners = {name: fn.__module__ for fn, name in _check_names().items()}
    for label, module in modules.items():
        text = inspect.getsource(module)
        keys = set(re.findall(r'(?:say|fail)\(\s*["\']([a-z_.]+)["\']', text)) | \
            set(re.findall(r'number_of\([^,()]+,\s*"([a-z_.]+)"', text))
        for key in keys:
            owner = owners.get(key.split(".")[0])
            assert owner in (None, module.__name__, common.__name__), \
                f"{label} says {key!r}, a key of {owner}"
        for source in (inspect.getsource(messages), inspect.getsource(messages_zh)):
            section = source.split(f"# {'-' * 64} {label}.py", 1)[1].split("# ---", 1)[0]
            for key in keys:
                owner = owners.get(key.split(".")[0])
                if owner == module.__name__ and module is not common:
                    assert f'"{key}":' in section, f"{key!r} is not in {label}.py's section"
