"""Unit tests of tools/setup/env.py: what set-up says when it cannot go on, and what it installs.

The pip outputs below are what pip 23 printed in the situations named (a pin that needs a
newer Python, a conflict, no network, an intercepting proxy); the real installs are in
tests/test_reach.py.
"""
import pytest

from tools.setup.env import (SetupError, check_platform, explain_pip_failure, install_plan,
                             library_message, missing_libraries, mxnet_package, pin_lines,
                             platform_tag, site_packages, venv_record)

REQUIRES_PYTHON = """\
Looking in links: /somewhere
ERROR: Ignored the following versions that require a different python version: 4.1.1 Requires-Python >=3.11.5; 4.1.2 Requires-Python >=3.11.5
ERROR: Could not find a version that satisfies the requirement soupsieve==4.1.2 (from versions: 2.9, 2.10, 3.0)
ERROR: No matching distribution found for soupsieve==4.1.2
"""
CONFLICT = """\
ERROR: Cannot install beautifulsoup4==4.15.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    beautifulsoup4 4.15.0 depends on soupsieve>=1.6.1
    The user requested (constraint) soupsieve==4.1.2

To fix this you could try to:
1. loosen the range of package versions you've specified

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/
"""
OFFLINE = """\
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 101] Network is unreachable')': /simple/alembic/
ERROR: Could not find a version that satisfies the requirement alembic==1.20.1 (from versions: none)
ERROR: No matching distribution found for alembic==1.20.1
"""
PROXY = """\
Could not fetch URL https://pypi.org/simple/alembic/: There was a problem confirming the ssl certificate: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /simple/alembic/ (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:992)'))) - skipping
ERROR: No matching distribution found for alembic==1.20.1
"""


def test_a_pin_that_needs_a_newer_python_is_named():
    msg = explain_pip_failure(REQUIRES_PYTHON, "3.11.2", None)
    assert "soupsieve==4.1.2 needs Python >=3.11.5" in msg
    assert "this Python is 3.11.2" in msg
    assert "constraints.txt" in msg


def test_a_conflict_names_the_pin_pip_reports():
    msg = explain_pip_failure(CONFLICT, "3.11.2", None,
                              probe=lambda pin: f"the pin {pin} needs Python >=3.11.5")
    assert "ResolutionImpossible" in msg
    assert "soupsieve==4.1.2 needs Python >=3.11.5" in msg
    assert "beautifulsoup4 4.15.0 depends on soupsieve>=1.6.1" in msg


def test_no_network_points_to_the_bundle():
    msg = explain_pip_failure(OFFLINE, "3.11.7", None)
    assert "could not reach the package index" in msg
    assert "classroom bundle" in msg


def test_an_intercepting_proxy_is_named_with_the_remedy():
    msg = explain_pip_failure(PROXY, "3.11.7", None)
    assert "CERTIFICATE_VERIFY_FAILED" in msg and "PIP_CERT=" in msg


def test_a_wheelhouse_without_the_wheel_says_rebuild_the_bundle(tmp_path):
    msg = explain_pip_failure("ERROR: No matching distribution found for numpy==1.23.5\n",
                              "3.11.2", tmp_path)
    assert "numpy==1.23.5" in msg and "./kit bundle" in msg


def test_an_unknown_failure_shows_the_end_of_pips_output_without_noise():
    output = ("WARNING: Location 'file:///x/' is ignored: it is neither a file nor a directory.\n"
              "ERROR: something new went wrong\n")
    msg = explain_pip_failure(output, "3.11.2", None)
    assert "something new went wrong" in msg and "is ignored" not in msg


@pytest.mark.parametrize("tag, words", [
    ("macos-aarch64", ["Apple Silicon", "container", "Rosetta"]),
    ("linux-aarch64", ["Arm Performance Libraries", "container"]),
    ("windows-x86_64", ["WSL2", "container"]),
    ("freebsd-amd64", ["container"]),
])
def test_platforms_without_a_working_wheel_get_their_route(tag, words):
    with pytest.raises(SetupError) as e:
        check_platform(tag)
    for word in words:
        assert word in str(e.value)


def test_platforms_with_wheels_pass_and_cuda_only_on_linux():
    check_platform("linux-x86_64")
    check_platform("macos-x86_64")
    check_platform("linux-x86_64", "mxnet-cu117")
    with pytest.raises(SetupError, match="Linux x86-64 only"):
        check_platform("macos-x86_64", "mxnet-cu117")


def test_platform_tags():
    assert platform_tag("Linux", "x86_64") == "linux-x86_64"
    assert platform_tag("Darwin", "arm64") == "macos-aarch64"
    assert platform_tag("Windows", "AMD64") == "windows-x86_64"


def test_kit_mxnet_chooses_the_package_and_refuses_others():
    assert mxnet_package({}) == "mxnet"
    assert mxnet_package({"KIT_MXNET": "mxnet-cu117"}) == "mxnet-cu117"
    with pytest.raises(SetupError) as e:
        mxnet_package({"KIT_MXNET": "mxnet-cu999"})
    assert "mxnet-cu117" in str(e.value) and "nvidia-smi" in str(e.value)


def test_the_plan_swaps_only_the_mxnet_pin(project):
    plan = install_plan(project, "mxnet-cu117")
    for name, text in plan.items():
        original = (project / name).read_text().splitlines()
        lines = text.splitlines()
        assert "mxnet-cu117==1.9.1" in lines and "mxnet==1.9.1" not in lines
        assert [a for a, b in zip(original, lines) if a != b] == ["mxnet==1.9.1"]
    assert pin_lines("mxnet==1.9.1\nnumpy==1.23.5\n", "mxnet") == "mxnet==1.9.1\nnumpy==1.23.5\n"


def test_the_venv_record_is_read_from_pyvenv_cfg(tmp_path):
    assert venv_record(tmp_path) is None
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n"
                                         "executable = /usr/bin/python3.11\n")
    record = venv_record(tmp_path)
    assert record["version"] == "3.11.2" and record["mxnet"] == "mxnet"
    (tmp_path / ".kit-mxnet").write_text("mxnet-cu117\n")
    assert venv_record(tmp_path)["mxnet"] == "mxnet-cu117"


def test_the_real_libmxnet_resolves(project):
    library = site_packages(project / ".venv") / "mxnet" / "libmxnet.so"
    assert library.is_file()
    assert missing_libraries(library) == []


def test_the_library_message_names_debian_packages_and_cuda():
    msg = library_message(["libgomp.so.1", "libquadmath.so.0"], "mxnet")
    assert "sudo apt-get install libgomp1 libquadmath0" in msg
    assert "dnf install" in msg
    msg = library_message(["libcudart.so.11.0"], "mxnet-cu117")
    assert "CUDA 11.7" in msg and "unset KIT_MXNET" in msg


@pytest.mark.parametrize("data_dir, says_download", [(None, True), ("given", False)])
def test_setup_speaks_of_a_download_only_when_the_data_has_no_other_source(
        tmp_path, monkeypatch, capsys, data_dir, says_download):
    from tools.setup.env import setup_system
    monkeypatch.setenv("KIT_SYSTEM_PACKAGES", "no")
    monkeypatch.setenv("FASHION_MNIST_SYSTEM_DIR", str(tmp_path / "no-such-folder"))
    if data_dir:
        monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    else:
        monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    setup_system(tmp_path, "run")
    out = capsys.readouterr().out
    assert ("will be downloaded" in out) == says_download
    assert ("dataset-fashion-mnist" in out) == says_download


def test_system_tools_are_commands_or_paths():
    from tools.setup.env import SYSTEM_TOOLS, present
    assert present("sh") and not present("no-such-command-here")
    assert present("/") and not present("/no/such/path")
    packages = [pkg for tool, pkg in SYSTEM_TOOLS["test"]]
    assert {"chromium", "bubblewrap", "podman", "fonts-noto-cjk", "postgresql"} <= set(packages)
