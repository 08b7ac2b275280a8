"""Claims of the lessons one can check: the figures show what the exercises produce, and
what lessons 03, 04, 05, 07 and 08 and a2's model answer say of their own results holds
(lesson 07's figures say what they show; 08's exercise says what was measured).

Most tests read the stored notebooks; those on the lessons' outputs read them as executed
once per run (`executed_lessons`, tests/conftest.py).
"""
import re

import nbformat
import pytest

from tests.lesson_text import ROOT, cells, code, lesson, markdown, prose_of, sections


# ---------------------------------------------------------------- figures

def test_the_training_chart_shows_losses_above_one_and_a_diverging_run():
    from helpers.plot import plot_history
    slow = plot_history({"train_loss": [1.37, 0.9], "train_acc": [0.6, 0.7],
                         "test_acc": [0.62, 0.7]}, "lr 0.01")
    assert slow.layout.yaxis.range[1] >= 1.37
    usual = plot_history({"train_loss": [0.6, 0.5], "train_acc": [0.8, 0.84]})
    assert tuple(usual.layout.yaxis.range) == (0, 1)
    diverged = plot_history({"train_loss": [2.1, float("nan")], "train_acc": [0.3, 0.1]}, "lr 1")
    assert "not finite from epoch 2" in diverged.layout.title.text
    assert diverged.data[0].y[1] is None


def test_image_titles_leave_the_images_above_them_alone():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as onp
    from helpers.plot import show_images
    titles = [f"ankle boot /\npullover {i}" for i in range(12)]
    axes = show_images(onp.zeros((12, 28, 28)), 2, 6, titles=titles, scale=1.8)
    fig = axes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for below, above in zip(axes[6:], axes[:6]):
        title = below.title.get_window_extent(renderer)
        image = above.get_window_extent(renderer)
        assert title.y1 <= image.y0, "a title overlaps the image above it"
    plt.close(fig)


# ---------------------------------------------------------------- lessons 03 and 04: claims one can check

def test_03_sends_the_reader_to_a_learning_rate_whose_loss_the_chart_can_show():
    """The chart's y axis grows for a loss above 1: 0.01's first epoch (1.37 measured); lr 1
    is nan from the first epoch, which the exercise says, and the chart marks (see above)."""
    for zh, axis, pointer in ((False, "y axis", "exercise 3"), (True, "y 轴", "练习 3")):
        texts = [text for _, text in sections(lesson("03", zh))]
        chart = next(t for t in texts if axis in t and pointer in t)
        sentence = next(s for s in re.split(r"(?<=\.)\s+|(?<=。)", chart) if pointer in s)
        assert "0.01" in sentence, sentence
        exercises = next(t for t in texts if "## Exercises" in t or "## 练习" in t)
        third = re.search(r"3\. (.+?) 4\. ", exercises).group(1)
        assert "0.01" in third and "`nan`" in third, third


def test_04_naive_loss_is_truly_naive_and_says_what_npx_softmax_does():
    """The naive loss uses the textbook softmax of 03 (exp as it is); MXNet's npx.softmax,
    which subtracts the maximum first, is shown apart. The cells run here as in the lesson."""
    nb = cells(lesson("04"))
    source = {c.get("id"): c.source for c in nb}
    assert re.search(r"^naive = -np\.log\(softmax\(logits\)", source["c04-08"], re.M)
    assert not re.search(r"^naive = .*npx\.softmax", source["c04-08"], re.M)
    namespace = {}
    for cell_id in ("c04-01", "c04-08", "c04-09"):
        exec(source[cell_id], namespace)  # the imports, the three losses, the lesson's checks
    import numpy as onp
    assert onp.isnan(namespace["naive"].asnumpy()[:2]).all()
    for zh, words in ((False, "subtracts the maximum"), (True, "减去最大值")):
        assert any(words in t and "`npx.softmax`" in t for _, t in sections(lesson("04", zh)))


# ---------------------------------------------------------------- lesson 05: claims one can check

def test_05_no_longer_quotes_figures_no_one_can_reproduce():
    text = " ".join("\n".join(markdown(lesson("05"))).split())
    assert "H100" not in text and "PyTorch" not in text
    assert "what memory allows" not in text


def test_05_times_the_cpu_copy_beside_numpy(executed_lessons):
    run = nbformat.read(executed_lessons["05_gpu"]["path"], as_version=4)
    cell = next(c for c in run.cells if c.cell_type == "code" and "copy_seconds" in c.source)
    printed = "".join(o.get("text", "") for o in cell.outputs)
    for size in ("one batch", "training set"):
        lines = [line for line in printed.splitlines() if line.strip().startswith(size)]
        assert any("MXNet" in line for line in lines) and any("NumPy" in line for line in lines)


# ---------------------------------------------------------------- lesson 07: figures that say what they show

def figures_of(cell):
    """The plotly figures a code cell of an executed notebook displayed, as dicts."""
    return [o["data"]["application/vnd.plotly.v1+json"] for o in cell.get("outputs", [])
            if "application/vnd.plotly.v1+json" in o.get("data", {})]


def test_07_labels_its_held_out_curve_val(executed_lessons):
    run = nbformat.read(executed_lessons["07_calibration"]["path"], as_version=4)
    training = next(c for c in run.cells if c.cell_type == "code" and "ProgressChart(" in c.source)
    names = [t["name"] for fig in figures_of(training) for t in fig["data"]]
    assert "val acc" in names and "test acc" not in names, names


def test_07_shows_before_and_after_on_the_same_split(executed_lessons):
    run = nbformat.read(executed_lessons["07_calibration"]["path"], as_version=4)
    pairs = [fig for c in run.cells if c.cell_type == "code" for fig in figures_of(c)
             if "before and after" in fig["layout"]["title"]["text"]]
    assert len(pairs) == 1, "one figure compares before and after"
    titles = [a["text"] for a in pairs[0]["layout"]["annotations"]]
    assert len(titles) == 2 and len({t.split(",")[0] for t in titles}) == 1, titles
    assert "T = 1:" in titles[0] and "T = 1:" not in titles[1]


def test_07_asserts_nothing_on_a_small_ece_difference_and_measures_its_noise():
    source = code(lesson("07"))
    assert not re.search(r"assert\s+ece_after\s*<\s*ece_before", source)
    assert "paired_bootstrap_ece" in source
    text = " ".join("\n".join(markdown(lesson("07"))).split())
    assert "nearly calibrated" in text and "noise" in text
    assert "why must a linear model" not in text.lower()


def test_07_weights_share_one_colour_scale():
    assert "weight_templates(W, labels)" in code(lesson("07"))
    assert "one colour scale" in " ".join("\n".join(markdown(lesson("07"))).split())


def test_07_chinese_edition_says_the_same():
    text = " ".join("\n".join(markdown(lesson("07", zh=True))).split())
    assert "接近校准" in text and "噪声" in text and "自助法" in text
    assert "共用一个以 0 为中心对称的色阶" in text


# ---------------------------------------------------------------- lesson 08's exercise, measured

def test_08_exercise_on_standardization_says_what_was_measured():
    text = " ".join(prose_of(lesson("08")).split())
    exercises = text[text.index("## Exercises"):]
    assert "Nothing diverges" in exercises and "0.844" in exercises
    text = " ".join(prose_of(lesson("08", zh=True)).split())
    exercises = text[text.index("## 练习"):]
    assert "训练不会发散" in exercises and "0.844" in exercises


# ---------------------------------------------------------------- a2's model answer

@pytest.mark.parametrize("zh", [False, True], ids=["en", "zh"])
def test_a2_model_answer_tells_debians_files_truly(zh):
    """Debian's files hold Zalando's compressed data unchanged; only the gzip header differs.
    Gluon refuses them because it pins the SHA-1s of the first release (2017-08-26)."""
    path = ROOT / "course" / ("source_zh" if zh else "source") / "a2_data" / "fashion_mnist.ipynb"
    answer = next(c.source for c in cells(path) if c.metadata.get("nbgrader", {})
                  .get("grade_id") == "answer2")
    answer = " ".join(answer.split())
    wrong = ("重新压缩了这些文件",) if zh else ("re-compresses", "recompresses")
    assert not any(w in answer for w in wrong), answer
    for words in (("gzip 文件头", "原样", "2017-08-26") if zh
                  else ("gzip header", "unchanged", "2017-08-26")):
        assert words in answer, (words, answer)
