"""A real net-snmp ``snmpd`` on a loopback UDP port, answering as a Mitel 3300.

The Mitel alarm objects come from its ``pass`` extension (``tests/support/mitel_pass.py``),
which reads a JSON file the test rewrites (``MitelAgent.set_alarm``); ``sysDescr`` is fixed.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SNMPD = Path("/usr/sbin/snmpd")
HOST = "127.0.0.1"
COMMUNITY = "mitel-ro"
SYS_DESCR = "Mitel 3300 ICP (faultdesk test)"
_PASS = Path(__file__).with_name("mitel_pass.py")

_CONFIG = """\
rocommunity {community} {host}
sysDescr {descr}
pass .1.3.6.1.4.1.1027.4.1.1.2.2 {python} {script} {state}
"""


@dataclass
class MitelAgent:
    host: str
    port: int
    community: str
    state_file: Path

    def set_alarm(self, level: int, categories: list[tuple[str, int]] = ()) -> None:  # type: ignore[assignment]
        state = {"level": level, "categories": [{"name": n, "level": v} for n, v in categories]}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.state_file)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_snmpd(workdir: Path) -> Iterator[MitelAgent]:
    port = free_udp_port()
    agent = MitelAgent(HOST, port, COMMUNITY, workdir / "mitel.json")
    agent.set_alarm(1)
    config = workdir / "snmpd.conf"
    config.write_text(
        _CONFIG.format(host=HOST, port=port, community=COMMUNITY, descr=SYS_DESCR,
                       python=sys.executable, script=_PASS, state=agent.state_file),
        encoding="utf-8",
    )  # fmt: skip
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(workdir / "persist"), "MIBS": ""}
    process = subprocess.Popen(
        [str(SNMPD), "-f", "-C", "-c", str(config), "-Lf", str(workdir / "snmpd.log"),
         "-p", str(workdir / "snmpd.pid"), f"udp:{HOST}:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_ready(agent, process)
        yield agent
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(agent: MitelAgent, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"snmpd exited with {process.returncode}")
        answer = subprocess.run(
            ["snmpget", "-v2c", "-c", agent.community, "-t", "0.5", "-r", "0",
             f"{agent.host}:{agent.port}", "1.3.6.1.2.1.1.1.0"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if answer.returncode == 0:
            return
    raise RuntimeError("snmpd did not answer within 10 s")
