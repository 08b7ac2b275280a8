"""KIT_LANG=zh beyond the exercise checks, and the Chinese edition a mainland-China student
can follow: the figures' and widgets' words, set-up's common messages, the glossary aligned
with d2l-zh, and README.zh-CN.md from start to finish.
"""
import os
import re
import subprocess
import sys

import nbformat
import pytest

from tools.zh import twins
from tests.kit_paths import ROOT

HAN = re.compile(r"[\u4e00-\u9fff]")
README_ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
GLOSSARY = (ROOT / "notebooks" / "zh" / "glossary.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- figures and widgets

def test_the_figures_and_widgets_speak_chinese_under_kit_lang_zh(monkeypatch):
    import numpy as onp

    from helpers.explorers import PredictionBrowser, SoftmaxExplorer, softmax_figure
    from helpers.metrics import reliability_bins
    from helpers.plot import confusion_figure, plot_history, reliability_figure
    history = {"train_loss": [0.6, float("nan")], "train_acc": [0.8, 0.1], "test_acc": [0.79, 0.1]}
    monkeypatch.setenv("KIT_LANG", "zh_CN.UTF-8")
    fig = plot_history(history, "t", held_out="val")
    assert [t.name for t in fig.data] == ["训练损失", "训练准确率", "验证准确率"]
    assert fig.layout.xaxis.title.text == "轮" and "从第 2 轮起" in fig.layout.title.text
    bins = reliability_bins(onp.array([0.3, 0.9]), onp.array([False, True]), 10)
    assert reliability_figure(bins).layout.yaxis.title.text == "准确率"
    assert confusion_figure(onp.eye(2), ["a", "b"]).layout.xaxis.title.text == "预测类别"
    assert softmax_figure([1.0, 0.0, -1.0]).layout.yaxis.title.text == "概率"
    assert SoftmaxExplorer().count.description == "类别数"
    probs = onp.full((2, 10), 0.01)
    probs[:, 3] = 0.91
    browser = PredictionBrowser(onp.zeros((2, 28, 28)), probs, onp.array([3, 4]),
                                [str(i) for i in range(10)])
    assert browser.next_button.description == "下一个错误"
    assert browser.figure.layout.annotations[0].text.startswith("真实：")
    monkeypatch.delenv("KIT_LANG")
    assert [t.name for t in plot_history(history).data][0] == "train loss"


def test_matplotlib_figures_draw_chinese_with_a_chinese_font(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    from helpers.plot import network_figure, text_style
    monkeypatch.setenv("KIT_LANG", "zh")
    style = text_style()
    assert style["fontfamily"][0] == "DejaVu Sans"
    ax = network_figure()
    assert {"输入层", "输出层"} <= {t.get_text() for t in ax.texts}
    matplotlib.pyplot.close("all")
    monkeypatch.setenv("KIT_LANG", "en")
    assert text_style() == {}


# --------------------------------------------------------------------------- set-up's messages

def setup_says(code, lang):
    env = {k: v for k, v in os.environ.items() if k != "KIT_LANG"}
    if lang:
        env["KIT_LANG"] = lang
    r = subprocess.run([sys.executable, "-c",
                        "from tools.setup import env as setup_env\n" + code], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("lang", ["zh", "zh-CN", "zh_CN.UTF-8"])
def test_setups_common_messages_are_chinese_under_kit_lang_zh(lang):
    code = ("for tag in ('windows-x86_64', 'macos-aarch64'):\n"
            "    try:\n        setup_env.check_platform(tag)\n"
            "    except setup_env.SetupError as e:\n        print(e)\n"
            "print(setup_env.explain_pip_failure('Failed to establish a new connection', "
            "'3.11.2', None))\n"
            "setup_env.say(setup_env.tr('ready'))\n"
            "print(setup_env.library_message(['libgomp.so.1'], 'mxnet'))\n")
    zh, en = setup_says(code, lang), setup_says(code, None)
    assert "Windows：MXNet 1.9.1 没有 Windows 版的 wheel" in zh and "WSL2" in zh
    assert "pip 连不上软件包索引" in zh and "PIP_INDEX_URL" in zh
    assert "kit: 本项目的环境 .venv/ 已经就绪" in zh
    assert "找不到 libgomp.so.1" in zh and "sudo apt-get install libgomp1" in zh
    assert not HAN.search(en) and "PIP_INDEX_URL" in en, "English by default, the hint too"


def test_every_setup_message_has_both_languages_and_the_same_fields():
    from tools.setup import env as setup_env
    import string
    for key, (english, chinese) in setup_env.MESSAGES.items():
        def fields(t):
            return {f for _, f, _, _ in string.Formatter().parse(t) if f}
        assert fields(english) == fields(chinese), key
        assert HAN.search(chinese) and not HAN.search(english), key


# --------------------------------------------------------------------------- the glossary and the twins

def glossary_rows():
    rows = {}
    for line in GLOSSARY.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and HAN.search(cells[1]):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_the_glossary_follows_d2l_zh_or_explains_the_difference():
    rows = glossary_rows()
    chinese, avoided = rows["logistic regression"]
    assert "对数几率回归" in chinese and "对数几率回归" not in avoided, "d2l-zh's own term"
    assert rows["entropy, nat, bit"] == ("熵、纳特、比特", "奈特"), "d2l-zh writes 纳特"
    assert rows["surprisal"][0].startswith("信息量") and "惊异" in rows["surprisal"][0]
    assert rows["kernel (GPU, CUDA)"][0] == "核函数"
    assert rows["notebook, cell, kernel (Jupyter)"][0].endswith("内核")
    for explained in ("小结", "核函数", "对数几率回归", "纳特", "精度", "迭代周期"):
        assert re.search(rf"d2l-zh[^\n]*{explained}|{explained}[^\n]*d2l-zh", GLOSSARY), explained


def test_the_chinese_lessons_keep_the_two_kernels_apart():
    for _, twin in twins.pairs():
        if not twin.is_file():
            continue
        for cell in nbformat.read(twin, as_version=4).cells:
            if cell.cell_type == "markdown":
                prose = twins.NOT_PROSE.sub(" ", cell.source)
                assert not re.search(r"GPU\s*内核|内核函数|启动.{0,6}内核", prose), \
                    f"{twin.name}, cell {cell.get('id')}: a GPU kernel is 核函数"


def test_the_chinese_edition_defines_the_original_lesson_and_uses_d2l_zh_terms():
    first = nbformat.read(ROOT / "notebooks" / "zh" / "01_softmax_operation.ipynb", as_version=4)
    text = "\n".join(c.source for c in first.cells if c.cell_type == "markdown")
    assert "“最初的这堂课”都是指它" in text and "my.oschina.net/u/4321684/blog/4626963" in text
    assert "纳特" in text and "对数几率回归" in text


# --------------------------------------------------------------------------- README.zh-CN.md

def test_the_chinese_readme_takes_a_mainland_student_from_start_to_finish():
    apt = "sudo apt-get install git python3.11 python3.11-venv libgomp1 libquadmath0 dataset-fashion-mnist"
    wsl = next(line for line in README_ZH.splitlines() if line.startswith("| Windows 10/11"))
    assert apt in wsl, "the WSL row gives the whole apt line"
    assert "## 在中国大陆安装" in README_ZH and "PIP_INDEX_URL=" in README_ZH
    for name in ("清华大学开源软件镜像站", "阿里云镜像站"):
        assert name in README_ZH, name
    section = README_ZH[README_ZH.index("## 数据"):]
    for way in ("dataset-fashion-mnist", "离线包", "FASHION_MNIST_DIR", "FASHION_MNIST_URL",
                "GitHub"):
        assert way in section, way
    assert "## 没有网络的教室" in README_ZH and "./kit bundle" in README_ZH
    header = next(line for line in README_ZH.splitlines() if line.startswith("| 你的机器"))
    assert "测试过" in header, "the platform table says what was tested here"
    assert "**课堂路线：第 01 至 05 节，分两次课，每次 90 分钟。**" in README_ZH
    assert not re.search(r"https?://(?!my\.oschina|127\.0\.0\.1)[a-z0-9.-]*(tuna|aliyun|ustc)",
                         README_ZH), "mirrors by name, not by host"


def test_the_two_readmes_give_the_same_planned_times():
    en = dict(re.findall(r"^\| (\d\d) \| [^|]+ \| (\d+) min", (ROOT / "README.md").read_text(),
                         re.M))
    zh = dict(re.findall(r"^\| (\d\d) \| [^|]+ \| (\d+) 分钟", README_ZH, re.M))
    assert en and en == zh
