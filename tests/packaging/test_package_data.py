"""What a wheel of Faultdesk carries: every data file the packages read at run time."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_in_the_packages_is_declared_as_package_data() -> None:
    # An editable install (make demo, make test) reads the source tree, so a file missing from
    # package-data only fails on a real install: `pip install 'faultdesk[collector]'` once
    # served a 500 for GET /api/v1/openapi.json.
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = settings["package-data"]
    undeclared = []
    for package in ("agent", "collector", "dashboard"):
        for path in (ROOT / package).rglob("*"):
            if not path.is_file() or path.suffix in {".py", ".pyc"}:
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            if not any(fnmatch(relative, glob) for glob in declared.get(package, [])):
                undeclared.append(f"{package}/{relative}")
    assert undeclared == []
