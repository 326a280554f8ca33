"""Only what migrates imports alembic: a command that reads configuration or the store must not
set it up, or alembic's own INFO lines land in the command's output (``check-config``)."""

from __future__ import annotations

import subprocess
import sys


def test_the_store_and_configuration_readers_load_without_alembic() -> None:
    modules = [
        "collector.store.watch_states",
        "collector.store.probe_results",
        "collector.store.reports",
        "collector.store.series",
        "collector.config.inventory_file",
        "collector.config.dependencies",
        "collector.config.tiers",
    ]
    loaded = "sorted(m for m in sys.modules if m.startswith('alembic'))"
    code = f"import sys, {', '.join(modules)}; print({loaded})"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
