"""Set up the kit's environment: .venv/ with the pinned packages, MXNet's system libraries, the data.

``./kit`` runs this file with the Python 3.11 it chose (any 3.11.x from 3.11.2 up); it uses
only the standard library, because .venv/ may not exist yet. In order:

1. refuse, with the route that works, a platform MXNet 1.9.1 has no working wheel for;
2. (re)build .venv/ when it was made from another interpreter or another MXNet package
   (``KIT_MXNET``, e.g. ``mxnet-cu117`` for a CUDA 11.7 GPU);
3. install the pins (``requirements.txt`` locked by ``constraints.txt``), from PyPI or, with
   no network, from a classroom bundle's ``wheelhouse/`` (``./kit bundle``); a failure is
   explained in one message naming its cause, the whole pip log kept in .venv/; then the
   kit itself, as an editable package (``pip install -e .``: helpers, grading, tools,
   benchmarks, importable from anywhere), and the ``.pth`` line that lets the book's own
   code run (``helpers/book_code.py``; written on every run, since it names this folder);
4. check that ``libmxnet.so`` finds its shared libraries (``ldd``), installing the Debian
   packages as root, otherwise naming them; then import MXNet and compute with it;
5. only then write the stamp that lets the next run skip all this;
6. the system packages the command needs (the data, and for ``./kit test`` the browser,
   the sandbox and container tools, Node.js and npm), JupyterHub's proxy for ``./kit hub``
   and ``./kit test`` (npm, pinned by course/hub/proxy/package-lock.json), and the data check.

``KIT_SYSTEM_PACKAGES=no`` keeps it from installing anything with apt-get.

A failure ends in one line saying what happened and what to do, and leaves nothing
half-made: a full disk or Ctrl-C removes the .venv/ this run began (an older one stays,
unstamped, for the next run to finish); a folder set-up may not write in is named.
"""
import errno
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN_FILES = ("requirements.txt", "constraints.txt", "pyproject.toml")

# The MXNet 1.9.1 packages on PyPI: the CPU wheel, and CUDA builds (Linux x86-64 only).
MXNET_PACKAGES = ("mxnet", "mxnet-cu101", "mxnet-cu102", "mxnet-cu110", "mxnet-cu112",
                  "mxnet-cu113", "mxnet-cu116", "mxnet-cu117")

# Shared libraries libmxnet.so needs from the system -> the Debian package that ships them.
DEBIAN_PACKAGES = {
    "libgomp.so.1": "libgomp1",
    "libquadmath.so.0": "libquadmath0",
    "libgfortran.so.5": "libgfortran5",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
}
# The same for other distributions, for the message when we may not install.
OTHER_DISTROS = ("Fedora/RHEL: sudo dnf install libgomp libquadmath\n"
                 "       Arch: sudo pacman -S gcc-libs\n"
                 "       Alpine has no glibc: use the container (README, 'Every platform')")

# What each command needs from the system besides the data: (a command on PATH, or a path
# when it starts with "/"; the Debian package that provides it).
# The classroom server (`./kit hub`) grades too, and runs JupyterHub's proxy on Node.js.
HUB_TOOLS = (("bwrap", "bubblewrap"), ("node", "nodejs"), ("npm", "npm"))
SYSTEM_TOOLS = {
    "test": (("chromium", "chromium"), ("bwrap", "bubblewrap"), ("podman", "podman"),
             ("mmdebstrap", "mmdebstrap"), ("runc", "runc"),
             ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "fonts-noto-cjk"),
             ("/usr/share/postgresql-common/pg_wrapper", "postgresql"),
             ("node", "nodejs"), ("npm", "npm"), ("openssl", "openssl")),
    "grade": (("bwrap", "bubblewrap"),),
    "hub": HUB_TOOLS,
}
# JupyterHub's proxy, configurable-http-proxy, from npm: course/hub/proxy/ pins it and every
# package it needs (package-lock.json, with their hashes); set-up installs it with `npm ci`
# into .venv/hub-proxy/ for the commands that start a hub.
PROXY_COMMANDS = ("hub", "test")
PROXY_PINS = ("package.json", "package-lock.json")
PROXY_BIN = Path("hub-proxy") / "node_modules" / ".bin" / "configurable-http-proxy"


def present(tool):
    """True if `tool` (a command, or a path starting with "/") is on this machine."""
    return os.path.exists(tool) if tool.startswith("/") else shutil.which(tool) is not None
DATA_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DATA_DIR = "/usr/share/datasets/fashion-mnist"  # FASHION_MNIST_SYSTEM_DIR overrides it


# What a .venv/ takes on disk: 1192 MB measured (du -sm .venv, the CPU mxnet); a CUDA
# build of MXNet takes more.
VENV_MB = 1200


class SetupError(RuntimeError):
    """Set-up cannot go on; the message says why and what to do."""

    code = 1  # the exit status


class DiskFull(SetupError):
    """The disk filled up while set-up wrote .venv/."""


class Interrupted(SetupError):
    """Ctrl-C (SIGINT) or SIGTERM during set-up."""

    code = 130


# The messages a student meets most often, in English and in Chinese: KIT_LANG=zh (or zh-CN,
# zh_CN.UTF-8 ...) picks Chinese, as it does for the exercise checks and the figures. The
# rarer messages (a broken lock, a conflict pip reports) stay in English.
MESSAGES = {
    "creating": ("creating the project environment .venv/ with {executable} ({version})",
                 "正在用 {executable}（{version}）创建本项目的环境 .venv/"),
    "rebuilding": ("rebuilding .venv/: it was made from {old} ({old_version}, {old_mxnet}), "
                   "and this is {new} ({new_version}, {new_mxnet})",
                   "重建 .venv/：它是用 {old}（{old_version}，{old_mxnet}）创建的，而现在用的是 "
                   "{new}（{new_version}，{new_mxnet}）"),
    "installing": ("installing the pinned packages into .venv/ {where} (once; a few minutes)",
                   "正在把固定版本的包安装到 .venv/ 中，{where}（只需一次，几分钟）"),
    "from PyPI": ("from PyPI", "来源是 PyPI（或 PIP_INDEX_URL 指定的镜像）"),
    "from bundle": ("from the bundle's wheelhouse {source}", "来源是离线包的 wheel 文件夹 {source}"),
    "ready": ("the project environment .venv/ is ready", "本项目的环境 .venv/ 已经就绪"),
    "gpus": ("{mxnet} works and sees {gpus} GPU(s)", "{mxnet} 可以正常工作，看到了 {gpus} 块 GPU"),
    "apt": ("installing Debian packages: {packages}", "正在安装 Debian 包：{packages}"),
    "apt failed": ("could not install {packages}", "无法安装 {packages}"),
    "download later": ("; the data will be downloaded when first needed",
                       "；第一次用到数据时会下载它（在中国大陆常常连不上，请看 README.zh-CN.md 的“数据”一节）"),
    "no data package": ("not installing {package} (not root on Debian/Ubuntu, or "
                        "KIT_SYSTEM_PACKAGES=no); the data will be downloaded when first needed",
                        "没有安装 {package}（不是 Debian/Ubuntu 上的 root 用户，或设置了 "
                        "KIT_SYSTEM_PACKAGES=no）；第一次用到数据时会下载它。在中国大陆请先执行 "
                        "sudo apt-get install {package}，或者用离线包（README.zh-CN.md 的“数据”一节）"),
    "no tools": ("not installing {packages} (not root on Debian/Ubuntu, or "
                 "KIT_SYSTEM_PACKAGES=no); install them for './kit {command}'",
                 "没有安装 {packages}（不是 Debian/Ubuntu 上的 root 用户，或设置了 "
                 "KIT_SYSTEM_PACKAGES=no）；运行 './kit {command}' 需要先装好它们"),
    "install failed": ("installing the pinned packages failed: {why}\n     pip's whole output: {log}",
                       "安装固定版本的包失败：{why}\n     pip 的完整输出：{log}"),
    "no network": ("pip could not reach the package index (PyPI): {error}.\n     Connect to the "
                   "internet and run again, or install from a classroom bundle with no network "
                   "(README, 'A classroom without network'). Where PyPI is slow or blocked, set "
                   "PIP_INDEX_URL to a PyPI mirror and run again.",
                   "pip 连不上软件包索引（PyPI）：{error}。\n     请连上网络后再运行一次；在 PyPI "
                   "很慢或连不上的地方（例如中国大陆），设置 PIP_INDEX_URL 为一个 PyPI 镜像再运行，"
                   "例如 PIP_INDEX_URL=<镜像的 simple 地址> ./kit setup（README.zh-CN.md 的“在中国大陆"
                   "安装”一节）；也可以用离线包安装，完全不需要网络。"),
    "certificate": ("pip could not verify the package index's certificate "
                    "(CERTIFICATE_VERIFY_FAILED): a proxy or firewall on this network intercepts "
                    "HTTPS.\n     Ask for its CA certificate and run again with "
                    "PIP_CERT=/path/to/ca-bundle.pem, or install from a classroom bundle "
                    "(README, 'A classroom without network').",
                    "pip 无法验证软件包索引的证书（CERTIFICATE_VERIFY_FAILED）：这个网络上的代理或"
                    "防火墙拦截了 HTTPS。\n     向网络管理员要它的 CA 证书，然后用 "
                    "PIP_CERT=/path/to/ca-bundle.pem 再运行一次；或者用离线包安装"
                    "（README.zh-CN.md 的“没有网络的教室”一节）。"),
    "disk full": ("the disk is full (pip: No space left on device). Free some space and run again.",
                  "磁盘满了（pip：No space left on device）。腾出一些空间后再运行一次。"),
    "no room": ("the disk holding {folder} has {free} MB free, and .venv/ needs about "
                "{need} MB (more with a CUDA build of MXNet): nothing was written. Free some "
                "space, or put the kit on a disk with room, and run again.",
                "{folder} 所在的磁盘只剩 {free} MB，而 .venv/ 需要约 {need} MB（MXNet 的 CUDA "
                "版需要更多）：什么也没有写入。请腾出一些空间，或者把本套件放到空间足够的磁盘上，"
                "然后再运行一次。"),
    "filled up": ("the disk filled up during set-up (No space left on device; {free}); "
                  "{cleanup}. .venv/ needs about {need} MB: free some space and run again.",
                  "安装过程中磁盘满了（No space left on device；{free}）；{cleanup}。.venv/ "
                  "需要约 {need} MB：请腾出一些空间后再运行一次。"),
    "free now": ("{free} MB free now in {folder}", "{folder} 现在剩 {free} MB"),
    "interrupted": ("set-up was interrupted; {cleanup}. Run the same command again.",
                    "安装被中断了；{cleanup}。再运行一次同一条命令即可。"),
    "removed": (".venv/ (begun by this run) was removed, nothing half-installed is left",
                "本次运行开始创建的 .venv/ 已经删除，没有留下装了一半的环境"),
    "kept": (".venv/ is kept but not marked ready: the next run finishes it",
             ".venv/ 保留了下来，但没有标记为就绪：下一次运行会把它装完"),
    "intact": (".venv/ itself is ready and untouched", ".venv/ 本身已经就绪，没有受到影响"),
    "read-only": ("cannot write in {folder} ({error}): set-up keeps .venv/ in the kit's "
                  "folder. Set the kit up where you may write (copy it to a folder of yours), "
                  "or ask whoever installed it to run ./kit setup there.",
                  "无法在 {folder} 中写入（{error}）：安装程序把 .venv/ 放在本套件的文件夹里。请在"
                  "你有写权限的地方安装（把本套件复制到你自己的文件夹），或者请安装它的人在那里运行 "
                  "./kit setup。"),
    "libraries": ("MXNet's library libmxnet.so cannot load: {missing} not found.",
                  "MXNet 的库 libmxnet.so 无法加载：找不到 {missing}。"),
    "run again": ("     Then run the same command again.", "     然后再运行同一条命令。"),
    "broken mxnet": ("MXNet is installed but does not work: {last}\n"
                     "     Run again; if it persists, delete .venv/ and run again.",
                     "MXNet 已经安装，但不能正常工作：{last}\n"
                     "     请再运行一次；如果问题依旧，删除 .venv/ 后再运行。"),
    "no ensurepip": ("{executable} cannot create a virtual environment: its 'venv' module lacks "
                     "ensurepip. Install it, then run again:\n       sudo apt-get install {package}",
                     "{executable} 无法创建虚拟环境：它的 venv 模块缺少 ensurepip。先安装它，"
                     "再运行一次：\n       sudo apt-get install {package}"),
    "data not ready": ("the data is not ready (above).", "数据还没有准备好（原因见上面的信息）。"),
    "bundle data": ("the bundle's data in {folder} failed verification (above).",
                    "离线包中 {folder} 里的数据没有通过校验（原因见上面的信息）。"),
    "windows": ("Windows: MXNet 1.9.1 has no Windows wheel. Use WSL2 (Ubuntu or Debian inside "
                "Windows; then the Linux route) or the container.",
                "Windows：MXNet 1.9.1 没有 Windows 版的 wheel。请使用 WSL2（在 Windows 中运行 "
                "Debian 或 Ubuntu，然后按 Linux 的方法做）或容器。"),
    "apple": ("Apple Silicon: MXNet 1.9.1 has no arm64 wheel for macOS. Use the container (it "
              "runs as linux/amd64 under emulation), or an x86-64 Python 3.11 under Rosetta: "
              "KIT_PYTHON=/path/to/x86_64/python3.11.",
              "Apple 芯片：MXNet 1.9.1 没有 macOS 的 arm64 版 wheel。请使用容器（它以 linux/amd64 "
              "仿真运行），或者在 Rosetta 下使用 x86-64 的 Python 3.11："
              "KIT_PYTHON=/path/to/x86_64/python3.11。"),
    "arm": ("Linux arm64: MXNet 1.9.1's aarch64 wheel needs the Arm Performance Libraries "
            "(libarmpl_lp64_mp.so), which no package registry ships, so it does not import. Use "
            "the container under amd64 emulation (docker run --platform linux/amd64 ...).",
            "Linux arm64：MXNet 1.9.1 的 aarch64 版 wheel 需要 Arm Performance Libraries "
            "（libarmpl_lp64_mp.so），而没有任何软件包仓库提供它，所以无法导入。请在 amd64 "
            "仿真下使用容器（docker run --platform linux/amd64 ...）。"),
    "other platform": ("{tag}: MXNet 1.9.1 publishes no wheel for this platform. Use the "
                       "container (README, 'Every platform').",
                       "{tag}：MXNet 1.9.1 没有为这个平台发布 wheel。请使用容器"
                       "（README.zh-CN.md 的“各平台”一节）。"),
    "routes": ("\n     README.md, 'Every platform', has the commands.",
               "\n     README.zh-CN.md 的“各平台”一节给出了具体命令。"),
}


def language():
    """The language of the messages: 'zh' when KIT_LANG names Chinese, else 'en'."""
    value = (os.environ.get("KIT_LANG") or "en").split(".")[0].replace("_", "-").lower()
    return "zh" if value.split("-")[0] == "zh" else "en"


def tr(key, **fields):
    """The message `key` in the language KIT_LANG picks, its {fields} filled in."""
    english, chinese = MESSAGES[key]
    return (chinese if language() == "zh" else english).format(**fields)


def say(msg):
    print(f"kit: {msg}", flush=True)


def run(cmd, **kwargs):
    """subprocess.run in a session of its own: Ctrl-C reaches set-up alone, which stops the
    command and says so in one line (the command would print its own traceback)."""
    return subprocess.run(cmd, start_new_session=True, **kwargs)


# 1. The platform

def platform_tag(system=None, machine=None):
    """The wheelhouse folder name of this platform: 'linux-x86_64', 'macos-x86_64', ..."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    system = {"darwin": "macos"}.get(system, system)
    return f"{system}-{machine}"


def check_platform(tag, mxnet="mxnet"):
    """Raise SetupError with the route that works where MXNet 1.9.1 has no working wheel."""
    if tag == "linux-x86_64":
        return
    if tag == "macos-x86_64" and mxnet == "mxnet":
        return
    if mxnet != "mxnet":
        raise SetupError(f"{mxnet} (MXNet with CUDA) exists for Linux x86-64 only; this is "
                         f"{tag}. Unset KIT_MXNET to install the CPU package.")
    routes = {"macos-aarch64": "apple", "linux-aarch64": "arm", "windows-x86_64": "windows"}
    raise SetupError(tr(routes.get(tag, "other platform"), tag=tag) + tr("routes"))


# 2. The environment and what it was made from

def interpreter():
    """This Python: its real path and full version ('3.11.2')."""
    return {"executable": os.path.realpath(sys.executable),
            "version": platform.python_version()}


def venv_record(venv):
    """What .venv/ was made from: pyvenv.cfg's interpreter and version, the MXNet package."""
    cfg = venv / "pyvenv.cfg"
    if not cfg.is_file():
        return None
    fields = dict(line.split(" = ", 1) for line in cfg.read_text().splitlines() if " = " in line)
    executable = fields.get("executable") or str(Path(fields.get("home", "")) / "python3")
    mxnet = venv / ".kit-mxnet"
    return {"executable": os.path.realpath(executable),
            "version": fields.get("version") or fields.get("version_info", ""),
            "mxnet": mxnet.read_text().strip() if mxnet.is_file() else "mxnet"}


def mxnet_package(env=os.environ):
    """The MXNet package to install: KIT_MXNET (default 'mxnet', the CPU wheel)."""
    name = (env.get("KIT_MXNET") or "mxnet").strip().lower()
    if name not in MXNET_PACKAGES:
        raise SetupError(f"KIT_MXNET={name!r} is not an MXNet 1.9.1 package. Use one of: "
                         f"{', '.join(MXNET_PACKAGES)} (mxnet-cuXYZ matches CUDA X.YZ; "
                         "nvidia-smi shows the CUDA version the driver supports).")
    return name


def pin_lines(text, mxnet):
    """The lines of a pin file with `mxnet==...` replaced by the chosen MXNet package."""
    out = []
    for line in text.splitlines():
        if re.match(r"mxnet\s*==", line):
            line = re.sub(r"^mxnet", mxnet, line)
        out.append(line)
    return "\n".join(out) + "\n"


def install_plan(root, mxnet):
    """{file name: content} of the requirements and constraints pip is given."""
    return {name: pin_lines((root / name).read_text(), mxnet)
            for name in ("requirements.txt", "constraints.txt")}


def stamp_value(root, who, mxnet):
    """What a finished install is stamped with: the pins, the interpreter, the MXNet package."""
    h = hashlib.sha256()
    for name in PIN_FILES:
        h.update((root / name).read_bytes())
    h.update(json.dumps([who, mxnet], sort_keys=True).encode())
    return h.hexdigest()


def wheelhouse(root, tag):
    """A classroom bundle's wheels for this platform (KIT_WHEELHOUSE or wheelhouse/<tag>)."""
    env = os.environ.get("KIT_WHEELHOUSE")
    folder = Path(env) if env else root / "wheelhouse" / tag
    if env and not folder.is_dir():
        raise SetupError(f"KIT_WHEELHOUSE={env} is not a folder of wheels.")
    return folder if folder.is_dir() else None


def may_install_system():
    """True where set-up may run apt-get: root on Debian/Ubuntu, unless KIT_SYSTEM_PACKAGES=no."""
    return (os.environ.get("KIT_SYSTEM_PACKAGES", "yes").lower() not in ("no", "0", "false")
            and shutil.which("apt-get") is not None and os.geteuid() == 0)


def apt_install(packages):
    """apt-get install `packages` (an update first if the lists are stale); True if it worked."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    say(tr("apt", packages=" ".join(packages)))
    if subprocess.run(cmd, env=env, capture_output=True).returncode == 0:
        return True
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
    return subprocess.run(cmd, env=env, capture_output=True).returncode == 0


def create_venv(venv, who):
    """python -m venv .venv; on Debian without ensurepip, install python3.X-venv as root."""
    say(tr("creating", executable=who["executable"], version=who["version"]))
    cmd = [sys.executable, "-m", "venv", str(venv)]
    r = run(cmd, capture_output=True, text=True)
    if r.returncode != 0 and "ensurepip" in r.stdout + r.stderr:
        package = "python%d.%d-venv" % sys.version_info[:2]
        shutil.rmtree(venv, ignore_errors=True)
        if may_install_system() and apt_install([package]):
            r = run(cmd, capture_output=True, text=True)
        else:
            raise SetupError(tr("no ensurepip", executable=who["executable"], package=package))
    if r.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        if "No space left on device" in r.stdout + r.stderr:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise SetupError(f"could not create .venv/ with {who['executable']}:\n"
                         + (r.stderr or r.stdout).strip())


# 3. The packages

def pip_install(venv, plan, source, log_path):
    """pip install the plan into .venv/; return (ok, pip's whole output).

    First every locked pin with --no-deps: the lock is complete, so nothing is resolved and
    a pin that cannot install here (its Requires-Python, no wheel) fails at once by name,
    where pip's resolver would backtrack for many minutes before its ResolutionImpossible.
    Then the requirements within the lock, which adds only what this platform needs beyond
    it (appnope on macOS, say).
    """
    python = [str(venv / "bin" / "python"), "-m", "pip", "install",
              "--disable-pip-version-check", "--progress-bar", "off"]
    if source is not None:
        python += ["--no-index", "--find-links", str(source)]
    output = ""
    with tempfile.TemporaryDirectory(prefix="kit-pins-") as tmp:
        for name, text in plan.items():
            Path(tmp, name).write_text(text)
        lock, reqs = str(Path(tmp, "constraints.txt")), str(Path(tmp, "requirements.txt"))
        for step in ([*python, "--no-deps", "-r", lock],
                     [*python, "-r", reqs, "-c", lock]):
            r = run(step, capture_output=True, text=True)
            output += r.stdout + r.stderr
            write_atomically(log_path, output)
            if r.returncode != 0:
                return False, output
    return True, output


def requires_python_conflicts(output):
    """[(version list, specifier)] from pip's 'Ignored ... require a different python' line."""
    m = re.search(r"require a different python version: (.*)", output)
    if not m:
        return []
    return re.findall(r"([^\s;]+) Requires-Python ([^;\n]+)", m.group(1))


def explain_pip_failure(output, version, source, probe=None):
    """One message naming why pip failed, from its output (`probe(pin)` re-asks pip about one pin)."""
    network = re.search(r"(Failed to establish a new connection|Temporary failure in name "
                        r"resolution|Network is unreachable|No route to host|Could not fetch "
                        r"URL|Max retries exceeded|Name or service not known|timed out)", output)
    missing = re.findall(r"No matching distribution found for (\S+)", output)
    if "CERTIFICATE_VERIFY_FAILED" in output and source is None:
        return tr("certificate")
    if "No space left on device" in output:
        return tr("disk full")
    if network and source is None:
        return tr("no network", error=network.group(1))
    if missing:
        pin = missing[-1]
        python = requires_python_conflicts(output)
        if python:
            needs = python[-1][1].strip()
            return (f"the pin {pin} needs Python {needs}, and this Python is {version}. "
                    "The lock should hold only versions that install on every Python 3.11 from "
                    "3.11.2; pick an older release of it in constraints.txt, or use a newer "
                    "Python 3.11 (KIT_PYTHON=/path/to/python3.11).")
        if source is not None:
            return (f"the bundle's wheelhouse {source} has no wheel for {pin} on this platform "
                    f"and Python {version}. Rebuild the bundle with './kit bundle' on a machine "
                    "with network, for this platform.")
        return (f"pip found no distribution of {pin} for this platform ({platform_tag()}, "
                f"Python {version}).")
    if "ResolutionImpossible" in output:
        conflict = re.search(r"The conflict is caused by:\n(.*?)\n\n", output, re.S)
        lines = conflict.group(1).strip().splitlines() if conflict else []
        causes = []
        for pin in re.findall(r"The user requested \(constraint\) (\S+==\S+)", output):
            why = probe(pin) if probe else ""
            if why:
                causes.append(why)
        detail = "\n       ".join(line.strip() for line in lines)
        head = ("the pinned versions cannot be installed together on Python "
                f"{version} (pip: ResolutionImpossible).")
        if causes:
            head += "\n     " + "\n     ".join(causes)
        return head + (f"\n     pip says:\n       {detail}" if detail else "")
    lines = [line for line in output.strip().splitlines() if "is ignored: it is" not in line]
    tail = "\n       ".join(lines[-12:])
    return f"pip failed; the end of its output:\n       {tail}"


def probe_pin(venv, source):
    """A function telling, for one pin, why pip cannot install it here ('' if it can)."""
    def probe(pin):
        cmd = [str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--no-deps",
               "--ignore-installed", "--disable-pip-version-check", pin]
        if source is not None:
            cmd += ["--no-index", "--find-links", str(source)]
        r = run(cmd, capture_output=True, text=True)
        conflicts = requires_python_conflicts(r.stdout + r.stderr)
        if r.returncode != 0 and conflicts:
            return (f"the pin {pin} needs Python {conflicts[-1][1].strip()}, and this Python "
                    f"is {platform.python_version()}: pick an older release of it in "
                    "constraints.txt, or use a newer Python 3.11.")
        return ""
    return probe


# 4. MXNet's shared libraries

def site_packages(venv):
    found = sorted((venv / "lib").glob("python3.*/site-packages"))
    return found[0] if found else None


def missing_libraries(library):
    """The shared libraries `library` needs that the dynamic loader cannot find (ldd)."""
    r = subprocess.run(["ldd", str(library)], capture_output=True, text=True)
    missing = re.findall(r"^\s*(\S+) => not found", r.stdout, re.M)
    if r.returncode != 0 and not missing:
        missing = re.findall(r"(\S+\.so[.\d]*): cannot open shared object file",
                             r.stdout + r.stderr)
    return list(dict.fromkeys(missing))  # once each, in ldd's order


def library_message(missing, mxnet):
    """What to install for the libraries `missing`, on Debian and elsewhere."""
    debian = sorted({DEBIAN_PACKAGES[m] for m in missing if m in DEBIAN_PACKAGES})
    cuda = [m for m in missing if m.startswith(("libcu", "libnv", "libcudnn", "libnccl"))]
    lines = [tr("libraries", missing=", ".join(missing))]
    if debian:
        lines.append(f"     Debian/Ubuntu: sudo apt-get install {' '.join(debian)}")
        lines.append(f"       {OTHER_DISTROS}")
    if cuda:
        lines.append(f"     {mxnet} needs the CUDA toolkit's libraries of its version "
                     f"(CUDA {mxnet[len('mxnet-cu'):-1]}.{mxnet[-1]}) and an NVIDIA driver: "
                     "install them, or unset KIT_MXNET for the CPU package.")
    lines.append(tr("run again"))
    return "\n".join(lines)


def check_libraries(venv, mxnet):
    """Make sure libmxnet.so resolves; install the Debian packages where we may."""
    if platform.system() != "Linux" or shutil.which("ldd") is None:
        return
    library = site_packages(venv) / "mxnet" / "libmxnet.so"
    if not library.is_file():
        raise SetupError(f"{library} is missing: the MXNet install is incomplete. "
                         "Run again; if it persists, delete .venv/.")
    missing = missing_libraries(library)
    wanted = sorted({DEBIAN_PACKAGES[m] for m in missing if m in DEBIAN_PACKAGES})
    if missing and wanted and may_install_system():
        apt_install(wanted)
        missing = missing_libraries(library)
    if missing:
        raise SetupError(library_message(missing, mxnet))


SMOKE_TEST = """
from mxnet import np, npx
npx.set_np()
X = np.ones((2, 3))
assert float((X @ np.ones(3)).sum()) == 6.0
print(npx.num_gpus())
"""


def check_import(venv):
    """Import MXNet in .venv/ and compute with it; raise SetupError with its error if not."""
    r = run([str(venv / "bin" / "python"), "-c", SMOKE_TEST],
                       capture_output=True, text=True, cwd=tempfile.gettempdir())
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SetupError(tr("broken mxnet", last=last))
    return int(r.stdout.strip().splitlines()[-1])


# 5. The whole environment

def write_atomically(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def free_mb(folder):
    """The MB free on the disk holding `folder` (its nearest existing parent)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free // 2**20


def check_room(root):
    """Refuse, before writing anything, to begin a .venv/ on a disk without room for it."""
    free = free_mb(root)
    if free < VENV_MB:
        raise SetupError(tr("no room", folder=root, free=free, need=VENV_MB))


def setup_venv(root=ROOT):
    """Make .venv/ match the pins, this interpreter and KIT_MXNET; stamp it only when it works.

    A full disk, Ctrl-C or a folder set-up may not write in ends in one sentence (SetupError):
    a .venv/ this run began is removed, an older one stays unstamped for the next run.
    """
    venv, began = root / ".venv", []
    try:
        return _setup_venv(root, venv, began)
    except (KeyboardInterrupt, DiskFull, OSError) as e:
        if isinstance(e, OSError) and e.errno not in (errno.ENOSPC, errno.EDQUOT):
            if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise SetupError(tr("read-only", folder=root, error=e.strerror)) from None
            raise
        cleanup = tr("intact") if is_ready(root) else tr("kept")
        if began:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: finish the cleanup
            shutil.rmtree(venv, ignore_errors=True)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            cleanup = tr("removed")
        if isinstance(e, KeyboardInterrupt):
            raise Interrupted(tr("interrupted", cleanup=cleanup)) from None
        where = {root: free_mb(root), Path(tempfile.gettempdir()): free_mb(tempfile.gettempdir())}
        free = ", ".join(tr("free now", free=mb, folder=folder) for folder, mb in where.items()
                         if mb < VENV_MB or folder == root)
        raise DiskFull(tr("filled up", free=free, cleanup=cleanup, need=VENV_MB)) from None


def _setup_venv(root, venv, began):
    stamp = venv / ".kit-installed"
    who, mxnet, tag = interpreter(), mxnet_package(), platform_tag()
    check_platform(tag, mxnet)
    want = stamp_value(root, who, mxnet)
    record = venv_record(venv)
    ready = stamp.is_file() and stamp.read_text().strip() == want
    if ready and (venv / "bin" / "python").exists():
        check_libraries(venv, mxnet)  # a library removed since: say so before a notebook fails
        install_book_code_hook(venv, root)
        return venv
    made_from = dict(who, mxnet=mxnet)
    if record is not None and record != made_from:
        say(tr("rebuilding", old=record["executable"], old_version=record["version"],
               old_mxnet=record["mxnet"], new=who["executable"], new_version=who["version"],
               new_mxnet=mxnet))
        shutil.rmtree(venv)
    if not (venv / "bin" / "python").exists():
        shutil.rmtree(venv, ignore_errors=True)
        check_room(root)
        began.append(venv)
        create_venv(venv, who)
        write_atomically(venv / ".kit-mxnet", mxnet + "\n")
    stamp.unlink(missing_ok=True)
    source = wheelhouse(root, tag)
    where = tr("from bundle", source=source) if source else tr("from PyPI")
    say(tr("installing", where=where))
    log = venv / "kit-install.log"
    ok, output = pip_install(venv, install_plan(root, mxnet), source, log)
    if not ok:
        if "No space left on device" in output:
            raise DiskFull(output)
        why = explain_pip_failure(output, who["version"], source, probe_pin(venv, source))
        raise SetupError(tr("install failed", why=why, log=log))
    install_project(venv, root)
    r = run([str(venv / "bin" / "python"), "-m", "pip", "check"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SetupError(f"the installed packages conflict (pip check):\n{r.stdout.strip()}")
    install_book_code_hook(venv, root)
    check_libraries(venv, mxnet)
    gpus = check_import(venv)
    if mxnet != "mxnet":
        say(tr("gpus", mxnet=mxnet, gpus=gpus))
    write_atomically(stamp, want + "\n")
    say(tr("ready"))
    return venv


def install_project(venv, root):
    """The kit itself into .venv/, editable (pip install -e .): its packages (pyproject.toml)
    import from anywhere and stay the files of this folder. No index, no build isolation:
    the pinned setuptools is already there, so this works with no network."""
    (site_packages(venv) / "softmax-kit.pth").unlink(missing_ok=True)  # an older kit's line
    r = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps",
                        "--no-index", "--no-build-isolation", "--disable-pip-version-check",
                        "--editable", str(root)], capture_output=True, text=True)
    if r.returncode != 0:
        if "No space left on device" in r.stdout + r.stderr:
            raise DiskFull(r.stderr)
        tail = "\n       ".join((r.stdout + r.stderr).strip().splitlines()[-8:])
        raise SetupError(f"installing the kit itself (pip install -e .) failed:\n       {tail}")


def is_ready(root=ROOT):
    """True when .venv/ is set up for this interpreter, the pins and KIT_MXNET (its stamp)."""
    stamp = root / ".venv" / ".kit-installed"
    try:
        want = stamp_value(root, interpreter(), mxnet_package())
        return (root / ".venv" / "bin" / "python").exists() and stamp.read_text().strip() == want
    except (OSError, SetupError):
        return False


def book_code_pth(root):
    """The line that loads helpers/book_code.py's import hook at interpreter start.

    It loads that one file under a private name (not the ``helpers`` package, which a
    user's own code may also have) and adds the hook; MXNet, d2l and the data are touched
    only when the code imports them (README, "Running the book's own code").
    """
    path = root / "helpers" / "book_code.py"
    # Once per process: site reads the site-packages folder twice where lib64 links to lib.
    # importlib.machinery, not importlib.util: the latter imports contextlib, functools and
    # collections, some 4 ms at every start.
    code = ("if NAME not in sys.modules:\n"
            " from importlib.machinery import SourceFileLoader\n"
            " loader = SourceFileLoader(NAME, PATH)\n"
            " m = sys.modules[NAME] = type(sys)(NAME)\n"
            " m.__file__, m.__loader__ = PATH, loader\n"
            " loader.exec_module(m)\n"
            " m.install()\n")
    code = code.replace("NAME", repr("_softmax_kit_book_code")).replace("PATH", repr(str(path)))
    return f"import sys; exec({code!r})\n"


def install_book_code_hook(venv, root):
    """Write .venv's softmax-kit-book-code.pth (each set-up: it names this folder)."""
    pth = site_packages(venv) / "softmax-kit-book-code.pth"
    line = book_code_pth(root)
    if not pth.is_file() or pth.read_text() != line:
        write_atomically(pth, line)


# 6. System packages and data

def bundle_data(root):
    """A classroom bundle's data folder, if this kit came in one."""
    folder = root / "data" / "fashion-mnist"
    return folder if folder.is_dir() else None


def setup_system(root, command):
    """Install what `command` needs from Debian: the data package unless the data is elsewhere."""
    want = [pkg for tool, pkg in SYSTEM_TOOLS.get(command, ()) if not present(tool)]
    data_elsewhere = bool(os.environ.get("FASHION_MNIST_DIR")) or bundle_data(root) is not None
    system_data = Path(os.environ.get("FASHION_MNIST_SYSTEM_DIR") or DEBIAN_DATA_DIR)
    if not data_elsewhere and not system_data.is_dir():
        want.insert(0, DATA_PACKAGE)
    if not want:
        return
    if may_install_system():
        if not apt_install(want):
            say(tr("apt failed", packages=" ".join(want))
                + (tr("download later") if DATA_PACKAGE in want else ""))
    elif DATA_PACKAGE in want and len(want) == 1:
        say(tr("no data package", package=DATA_PACKAGE))
    else:
        say(tr("no tools", packages=" ".join(want), command=command))


def setup_data(root, venv):
    """Put a bundle's data into the cache (verified), then verify the data the kit will use."""
    python = str(venv / "bin" / "python")
    folder = bundle_data(root)
    if folder is not None and not os.environ.get("FASHION_MNIST_DIR"):
        r = run([python, "-m", "helpers.data", "--import", str(folder)], cwd=root)
        if r.returncode != 0:
            raise SetupError(tr("bundle data", folder=folder))
    r = run([python, "-m", "helpers.data", "--check"], cwd=root)
    if r.returncode != 0:
        raise SetupError(tr("data not ready"))


def proxy_stamp(root):
    h = hashlib.sha256()
    for name in PROXY_PINS:
        h.update((root / "course" / "hub" / "proxy" / name).read_bytes())
    return h.hexdigest()


def setup_proxy(root, venv):
    """configurable-http-proxy into .venv/hub-proxy/ (npm ci, from the lock); None when it is
    ready, else what is wrong and the command that mends it."""
    folder, binary = venv / "hub-proxy", venv / PROXY_BIN
    stamp, want = folder / ".kit-installed", proxy_stamp(root)
    if binary.exists() and stamp.is_file() and stamp.read_text().strip() == want:
        return None
    missing = [pkg for tool, pkg in HUB_TOOLS[1:] if not present(tool)]
    if missing:
        return (f"the classroom server's proxy needs Node.js and npm, and {' '.join(missing)} "
                f"is missing: sudo apt-get install {' '.join(missing)} (as root, set-up "
                "installs them itself), then run again")
    say("installing JupyterHub's proxy (configurable-http-proxy, pinned) into .venv/hub-proxy/")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in PROXY_PINS:
        shutil.copy2(root / "course" / "hub" / "proxy" / name, folder / name)
    r = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                        "--omit=dev"], cwd=folder, capture_output=True, text=True)
    if r.returncode != 0 or not binary.exists():
        log = folder / "npm.log"
        log.write_text(r.stdout + r.stderr)
        tail = "\n       ".join((r.stdout + r.stderr).strip().splitlines()[-6:])
        return (f"npm could not install the proxy (exit {r.returncode}); its whole output: "
                f"{log}\n       {tail}")
    write_atomically(stamp, want + "\n")
    return None


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        prog="./kit setup", description="Set up the kit: .venv/ with the pinned packages and "
        "the kit itself, MXNet's system libraries, the data. Idempotent: a later run redoes "
        "only what changed.")
    parser.add_argument("command", nargs="?", default="setup", help="also install what this "
                        f"command needs from the system ({', '.join(SYSTEM_TOOLS)}: as root)")
    command = parser.parse_args(sys.argv[1:] if argv is None else argv).command
    # ./kit starts this Python with Ctrl-C ignored (no traceback from its start-up): now on.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        try:
            venv = setup_venv(ROOT)
            setup_system(ROOT, command)
            if command in PROXY_COMMANDS:
                problem = setup_proxy(ROOT, venv)
                if problem and command == "hub":
                    raise SetupError(problem)
                if problem:  # ./kit test goes on: the hub's test names the problem and fails
                    say(problem)
            setup_data(ROOT, venv)
        except KeyboardInterrupt:
            raise Interrupted(tr("interrupted", cleanup=tr("intact"))) from None
    except SetupError as e:
        print(f"kit: {e}", file=sys.stderr)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
