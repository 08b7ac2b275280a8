"""The machine set-up runs on: the platforms MXNet 1.9.1 has a working wheel for, Debian's
packages (apt-get, as root), and the shared libraries libmxnet.so needs from the system.

Standard library only, like the rest of set-up (tools/setup/env.py).
"""
import os
import platform
import re
import shutil
import subprocess

from tools.setup.messages import SetupError, say, tr

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
