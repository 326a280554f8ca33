"""The suite's warning filters: ours fail a run, a third party's are shown and counted.

Runs pytest in a scratch folder with this project's ``filterwarnings`` and two packages: a
stand-in for a third-party library that warns at import (as asyncssh did with cryptography's
DSA deprecation), and one named ``collector`` whose warning must fail its test.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_scratch_suite(folder: Path, tests: dict[str, str]) -> subprocess.CompletedProcess[str]:
    filters = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "filterwarnings"
    ]
    lines = "\n".join(f"    {f}" for f in filters)
    (folder / "pytest.ini").write_text(f"[pytest]\nfilterwarnings =\n{lines}\n")
    (folder / "vendored_lib.py").write_text(
        "import warnings\nwarnings.warn('old API', DeprecationWarning, stacklevel=1)\n"
    )
    (folder / "collector").mkdir()
    (folder / "collector" / "__init__.py").write_text(
        "import warnings\n\ndef deprecated_path():\n"
        "    warnings.warn('ours to fix', DeprecationWarning, stacklevel=1)\n"
    )
    for name, body in tests.items():
        (folder / name).write_text(body)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_shows_a_third_party_warning_without_failing_collection(tmp_path: Path) -> None:
    result = run_scratch_suite(
        tmp_path, {"test_third.py": "import vendored_lib\n\ndef test_x():\n    pass\n"}
    )
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 warning" in result.stdout
    assert "old API" in result.stdout


def test_it_fails_a_test_when_our_own_code_warns(tmp_path: Path) -> None:
    result = run_scratch_suite(
        tmp_path,
        {"test_ours.py": "import collector\n\ndef test_x():\n    collector.deprecated_path()\n"},
    )
    assert result.returncode == 1, result.stdout
    assert "DeprecationWarning: ours to fix" in result.stdout
