"""Where a file that ships in ``config/`` is found: the source tree, else the installed copy.

A wheel installs ``config/*.yaml`` under ``share/faultdesk/config`` in its prefix, so a
collector run from a checkout and one installed from the wheel find the same files.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

_SHARE = Path("share", "faultdesk", "config")


def shipped_file(name: str, what: str) -> Path:
    """The shipped ``config/NAME``; FileNotFoundError listing where it looked, naming ``what``."""
    candidates = [
        Path(__file__).resolve().parents[2] / "config" / name,
        Path(sysconfig.get_path("data")) / _SHARE / name,
        Path(sys.prefix) / _SHARE / name,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"no {what} found (tried {tried}); pass one explicitly")
