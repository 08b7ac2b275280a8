"""Unpacking a tar archive safely on every Python 3.11.x.

``tarfile``'s ``filter="data"`` (which refuses members that would land outside the target
folder, links that point outside it and device files) arrived in Python 3.11.4; Debian 12's
own python3.11 is 3.11.2. ``extract`` uses the filter where it exists and makes the same
refusals itself where it does not.
"""
import tarfile
from pathlib import Path


class UnsafeArchive(ValueError):
    """A member of the archive would be written outside the target folder."""


def _inside(path, folder):
    return path == folder or folder in path.parents


def check_members(tar, dest):
    """Raise UnsafeArchive unless every member of `tar` stays inside `dest` when unpacked."""
    dest = Path(dest).resolve()
    for m in tar.getmembers():
        target = (dest / m.name).resolve()
        if not _inside(target, dest):
            raise UnsafeArchive(f"{m.name!r} would be written outside {dest}")
        if m.isdev():
            raise UnsafeArchive(f"{m.name!r} is a device file")
        if m.issym() or m.islnk():
            base = target.parent if m.issym() else dest
            if Path(m.linkname).is_absolute() or not _inside((base / m.linkname).resolve(), dest):
                raise UnsafeArchive(f"{m.name!r} links outside {dest} ({m.linkname!r})")


def extract(archive, dest):
    """Unpack `archive` (a path or an open TarFile) into `dest`, refusing what would escape it."""
    if not isinstance(archive, tarfile.TarFile):
        with tarfile.open(archive) as tar:
            return extract(tar, dest)
    if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
        archive.extractall(dest, filter="data")
    else:
        check_members(archive, dest)
        archive.extractall(dest)
