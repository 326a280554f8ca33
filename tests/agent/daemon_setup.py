"""What the daemon tests share: the host key, an agent's config in tmp_path, its spool, a wait."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.config import AgentConfig, load_config
from agent.daemon import Agent

KEY = "cd" * 32
WAIT_S = 60.0  # only a guard against hanging; nothing in the tests depends on speed


def write_config(tmp_path: Path, url: str, **extra: Any) -> Path:
    key_file = tmp_path / "host.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    lines = {
        "collector_url": url,
        "host_id": "pbx-1",
        "key_file": str(key_file),
        "spool_dir": str(tmp_path / "spool"),
        "interval_s": 0.2,
        "timeout_s": 5,
        **extra,
    }
    path = tmp_path / "agent.yaml"
    path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in lines.items()))
    return path


def configured_agent(tmp_path: Path, url: str, **extra: Any) -> Agent:
    path = write_config(tmp_path, url, **extra)
    config: AgentConfig = load_config(path)
    return Agent(path, config, KEY.encode())


def spooled(agent: Agent) -> list[dict[str, Any]]:
    return [json.loads(agent.spool.read(seq)) for seq in agent.spool.seqs()]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)
