"""tools/site/archives.py: a tar unpacks inside its folder, or not at all, on every Python 3.11.x.

Debian 12's python3.11 (3.11.2) has no `filter="data"`; the kit's own check stands in for
it there, and is tested here on any Python by hiding the filter.
"""
import io
import sys
import tarfile

import pytest

from tools.site import archives


def make_tar(path, members):
    """A tar at `path` of (name, kind, payload): kind "file" (payload: bytes), "symlink" or
    "hardlink" (payload: the link's target)."""
    with tarfile.open(path, "w") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
            info.linkname = payload
            tar.addfile(info)
    return path


BAD = {
    "a parent folder": [("../outside.txt", "file", b"x")],
    "a symlink out": [("kit/link", "symlink", "../../outside")],
    "an absolute symlink": [("kit/link", "symlink", "/etc/passwd")],
    "a hard link out": [("kit/hard", "hardlink", "../outside.txt")],
}


@pytest.fixture(params=["filter", "own check"])
def which(request, monkeypatch):
    """Both ways: tarfile's data filter (Python >= 3.11.4) and the kit's check (3.11.2)."""
    if request.param == "own check":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip(f"Python {sys.version.split()[0]} has no tarfile data filter")
    return request.param


def test_a_good_archive_unpacks(tmp_path, which):
    tar = make_tar(tmp_path / "good.tar", [("kit/README.md", "file", b"hello"),
                                           ("kit/docs/link", "symlink", "../README.md")])
    archives.extract(tar, tmp_path / "out")
    assert (tmp_path / "out" / "kit" / "README.md").read_bytes() == b"hello"
    assert (tmp_path / "out" / "kit" / "docs" / "link").is_symlink()


REFUSED = (archives.UnsafeArchive, getattr(tarfile, "FilterError", archives.UnsafeArchive))


@pytest.mark.parametrize("case", BAD)
def test_a_member_that_escapes_is_refused(tmp_path, which, case):
    tar = make_tar(tmp_path / "bad.tar", BAD[case])
    with pytest.raises(REFUSED):
        archives.extract(tar, tmp_path / "out")
    assert not (tmp_path / "outside.txt").exists()
    if which == "own check":  # refused before anything is written
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))


def test_an_absolute_name_is_never_written_there(tmp_path, which):
    """The filter unpacks /x as x inside the folder; the kit's check refuses it."""
    outside = tmp_path / "elsewhere" / "absolute.txt"
    tar = make_tar(tmp_path / "abs.tar", [(str(outside), "file", b"x")])
    try:
        archives.extract(tar, tmp_path / "out")
    except REFUSED:
        assert which == "own check"
    else:
        assert which == "filter"
        assert (tmp_path / "out" / str(outside).lstrip("/")).read_bytes() == b"x"
    assert not outside.exists()


def test_the_check_names_the_member(tmp_path):
    tar = make_tar(tmp_path / "bad.tar", BAD["a parent folder"])
    with tarfile.open(tar) as t, pytest.raises(archives.UnsafeArchive,
                                               match=r"'\.\./outside\.txt' would be written "
                                                     r"outside"):
        archives.check_members(t, tmp_path / "out")
