"""The linter gate: ruff over the whole project, notebooks included (pyproject.toml's rules)."""
import subprocess
import sys


def test_ruff_finds_nothing(project):
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                        "."], cwd=project, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"ruff check . (fix with: .venv/bin/ruff check --fix .):\n{r.stdout}"


def test_the_gate_bites(project, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--config",
                        str(project / "pyproject.toml"), str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "F401" in r.stdout
