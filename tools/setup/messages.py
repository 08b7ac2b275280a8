"""What set-up says: its errors, and its sentences in English and in Chinese (KIT_LANG=zh).

Also the two ways set-up acts that keep a failure to one sentence: each command in a session
of its own (Ctrl-C reaches set-up alone), each file it marks written whole. Standard library
only, like the rest of set-up (tools/setup/env.py).
"""
import os
import subprocess


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


def write_atomically(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
