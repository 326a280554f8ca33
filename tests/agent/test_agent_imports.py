"""The agent stays small: psutil, PyYAML and the standard library, heavy parts imported late."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
ALLOWED_THIRD_PARTY = {"psutil", "yaml", "_yaml", "agent"}


def _modules_after(code: str) -> set[str]:
    """Modules the code loads, beyond what the interpreter had at start (site, .pth hooks)."""
    script = (
        "import sys, json\nbefore = set(sys.modules)\n"
        f"{code}\nprint(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def _third_party(modules: set[str]) -> set[str]:
    tops = {name.partition(".")[0] for name in modules}
    # PyYAML's compiled loader brings its Cython runtime along.
    pyyaml_runtime = {t for t in tops if t == "cython_runtime" or t.startswith("_cython_")}
    return {t for t in tops - pyyaml_runtime if t not in sys.stdlib_module_names}


def test_it_imports_the_entry_point_without_the_daemon_or_http_stack() -> None:
    modules = _modules_after("import agent.cli")
    assert _third_party(modules) <= {"agent"}
    assert not {"agent.daemon", "psutil", "yaml", "urllib.request", "ssl"} & modules


def test_it_runs_every_agent_module_on_psutil_yaml_and_the_standard_library() -> None:
    code = (
        "import agent.cli, agent.daemon, agent.sender, agent.spool, agent.keyfile\n"
        "import agent.probes.system, agent.probes.services\n"
        "import importlib.util\n"
        "for name in ('agent.probes.asterisk', 'agent.probes.sip'):\n"
        "    if importlib.util.find_spec(name): __import__(name)\n"
    )
    modules = _modules_after(code)
    assert _third_party(modules) <= ALLOWED_THIRD_PARTY, _third_party(modules)
    forbidden = {"aiohttp", "sqlalchemy", "pydantic", "alembic", "jinja2", "collector", "requests"}
    assert not forbidden & {m.partition(".")[0] for m in modules}


def test_it_checks_every_probe_without_anything_else(tmp_path: Path) -> None:
    key = tmp_path / "host.key"
    key.write_text("k" * 64)
    key.chmod(0o600)
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"collector_url: http://127.0.0.1:9\nhost_id: h\nkey_file: {key}\n"
        "probes:\n  services:\n    processes: [init]\n    ports: [22]\n"
    )
    code = (
        "import contextlib, io\nfrom agent.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main(['check', '--config', '{config}'])"
    )
    modules = _modules_after(code)
    assert {"psutil", "yaml", "agent"} <= _third_party(modules) <= ALLOWED_THIRD_PARTY
