"""Podman as the container tests run it: no registry, vfs storage, runc, lowered ulimits.

No container registry is needed: the base image is made here from Debian's packages
(mmdebstrap, then `podman import` as debian:bookworm-slim), once per test run whichever
worker asks first (tests/conftest.py, `base_image`).
"""
import subprocess

BASE = "docker.io/library/debian:bookworm-slim"
PODMAN = ["podman", "--storage-driver", "vfs", "--runtime", "runc",
          "--cgroup-manager", "cgroupfs"]
LIMITS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]


def podman(*args, timeout=1200, check=True):
    r = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"podman {' '.join(args[:3])}:\n{r.stdout[-3000:]}{r.stderr[-3000:]}"
    return r


def make_base_image(folder):
    """debian:bookworm-slim, made from Debian's packages in `folder` when podman lacks it."""
    if podman("image", "exists", BASE, check=False).returncode != 0:
        rootfs = folder / "rootfs.tar"
        r = subprocess.run(["mmdebstrap", "--variant=minbase", "--mode=root", "bookworm",
                            str(rootfs)], capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr[-3000:]
        podman("import", str(rootfs), BASE)
        rootfs.unlink()
    return BASE
