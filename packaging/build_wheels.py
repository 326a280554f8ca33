"""Build Faultdesk's two wheels from this checkout: ``faultdesk`` and ``faultdesk-agent``.

Each is built from a staging copy that holds only what that wheel ships, never in the working
tree: setuptools' in-tree ``build/`` folder would otherwise carry a deleted module into the next
wheel. The build backend comes from the venv (installed from requirements/build.txt), so a build
uses the locked setuptools, not whatever is newest that day.

    python packaging/build_wheels.py [--out dist] [--only faultdesk|faultdesk-agent]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What never goes into a staging copy of the whole tree.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "var", "*.egg-info", "__pycache__", "*.pyc",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "node_modules",
)  # fmt: skip

#: The agent wheel's files, as (source in this checkout, place in the staging folder).
_AGENT_FILES = (
    ("packaging/agent/pyproject.toml", "pyproject.toml"),
    ("packaging/agent/README.md", "README.md"),
    ("LICENSE", "LICENSE"),
    ("config/agent.example.yaml", "config/agent.example.yaml"),
    ("config/systemd/faultdesk-agent.service", "config/systemd/faultdesk-agent.service"),
)


def stage_faultdesk(stage: Path) -> None:
    shutil.copytree(ROOT, stage, ignore=_NOT_SOURCE)


def stage_agent(stage: Path) -> None:
    shutil.copytree(ROOT / "agent", stage / "agent", ignore=_NOT_SOURCE)
    for source, place in _AGENT_FILES:
        (stage / place).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / source, stage / place)


STAGERS = {"faultdesk": stage_faultdesk, "faultdesk-agent": stage_agent}


def build(name: str, out: Path) -> Path:
    """Build one wheel into ``out`` and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{name}-wheel-") as tmp:
        stage = Path(tmp) / "src"
        STAGERS[name](stage)
        built = Path(tmp) / "wheel"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
             "--no-build-isolation", "--wheel-dir", str(built), str(stage)],
            check=True,
        )  # fmt: skip
        (wheel,) = built.glob("*.whl")
        target = out / wheel.name
        shutil.copy2(wheel, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Faultdesk's wheels from this checkout.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the wheels")
    parser.add_argument("--only", choices=sorted(STAGERS), help="build just this wheel")
    args = parser.parse_args(argv)
    for name in [args.only] if args.only else sorted(STAGERS):
        sys.stdout.write(f"{build(name, args.out)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
