"""Starts the whole demo and stops it cleanly: files, mail catcher, collector, agent, fleet.

Everything lives under ``<var>/demo/``, which the demo owns and starts afresh each run (a
marker file proves a directory is the demo's before anything in it is removed). The collector
runs in this process on this event loop; the real agent is a child process, stopped with
SIGTERM (then SIGKILL) on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml
from aiohttp import web
from sqlalchemy import Connection

from collector.app import create_app
from collector.config.settings import ConfigError, load_config
from collector.demo import fleet
from collector.demo.mailcatcher import Mailbox, MailCatcher, add_inbox_routes
from collector.demo.mitel import MITELS, RunningMitel, run_all, running_mitels
from collector.demo.mitel import timeline as mitel_timeline
from collector.demo.simulator import simulate_fleet
from collector.security.passwords import hash_password
from collector.store import customer_users
from collector.store.operators import add_operator
from collector.web.appkeys import DATABASE

log = logging.getLogger(__name__)

MARKER = ".faultdesk-demo"
OPERATOR = "operator"
LOCAL_HOST_ID = "this-machine"
DEFAULT_SMTP_PORT = 8025


class DemoError(Exception):
    """The demo cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class DemoOptions:
    port: int = 8080
    var_dir: Path = Path("var")
    #: Time runs this many times faster than at speed 1 (reports every 10 s).
    speed: float = 1.0
    smtp_port: int = DEFAULT_SMTP_PORT

    @property
    def interval_s(self) -> float:
        return fleet.BASE_INTERVAL_S / self.speed

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def run_demo(options: DemoOptions, out: TextIO) -> int:
    """Run until Ctrl-C or SIGTERM; returns the exit code."""
    try:
        return asyncio.run(_run(options, out))
    except DemoError as exc:
        sys.stderr.write(f"faultdesk demo: {exc}\n")
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the demo's own handlers were in place
        return 130


async def _run(options: DemoOptions, out: TextIO) -> int:
    stop = _stop_on_signals()
    demo_dir = fresh_directory(options.var_dir / "demo")
    mailbox = Mailbox(lambda: datetime.now(UTC), save_dir=demo_dir / "mail")
    catcher = await _start_catcher(mailbox, options.smtp_port)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(catcher.stop)
        keys = {host.id: secrets.token_hex(32) for host in fleet.FLEET}
        local_key = secrets.token_hex(32)
        trap_port = _free_udp_port()
        mitels = await stack.enter_async_context(
            running_mitels(("127.0.0.1", trap_port), options.interval_s)
        )
        config_path = write_collector_files(
            demo_dir, options, catcher.port, keys, local_key, mitels, trap_port
        )
        runner, password = await _start_collector(config_path, mailbox, options)
        stack.push_async_callback(runner.cleanup)
        mitel_task = asyncio.create_task(run_all(mitels))
        stack.push_async_callback(_cancel, mitel_task)
        agent = await _start_agent(write_agent_files(demo_dir, options, local_key), demo_dir)
        stack.push_async_callback(_stop_agent, agent)
        fleet_task = asyncio.create_task(simulate_fleet(options.url, keys, options.interval_s))
        stack.push_async_callback(_cancel, fleet_task)
        out.write(banner(options, password, catcher.port, demo_dir))
        out.flush()
        await _until_stopped(stop, agent, demo_dir)
        out.write("\nStopping the demo…\n")
        out.flush()
    out.write("Demo stopped.\n")
    out.flush()
    return 0


def fresh_directory(path: Path) -> Path:
    """Empty the demo's directory (only if the demo made it) and return it, absolute."""
    path = path.absolute()
    if path.exists():
        if not (path / MARKER).exists() and any(path.iterdir()):
            raise DemoError(f"{path} exists and is not the demo's; pass --var to use another place")
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o700)
    (path / MARKER).write_text("Made by `faultdesk demo`; emptied at every start.\n")
    return path


def write_collector_files(
    demo_dir: Path,
    options: DemoOptions,
    smtp_port: int,
    keys: dict[str, str],
    local_key: str,
    mitels: Sequence[RunningMitel] = (),
    trap_port: int = 0,
) -> Path:
    """``inventory.yaml`` and ``collector.yaml``; returns the collector config's path."""
    local = {
        "id": "vendor",
        "name": "Faultdesk demo vendor (this machine)",
        "contacts": [{"name": "Support desk", "email": "desk@faultdesk-demo.example"}],
        "contract": {"tier": "standard", "starts_on": date.today()},
        "hosts": [
            {
                "id": LOCAL_HOST_ID,
                "name": f"{socket.gethostname()} (real agent)",
                "interval_s": options.interval_s,
                "key": local_key,
            }
        ],
    }
    mitel_hosts: dict[str, list[dict[str, Any]]] = {}
    for system in mitels:
        mitel_hosts.setdefault(system.mitel.customer_id, []).append(system.inventory_host())
    inventory = fleet.inventory(keys, options.interval_s, date.today(), [local], mitel_hosts)
    _write_yaml(demo_dir / "inventory.yaml", inventory, private=True)
    interval = options.interval_s
    config: dict[str, Any] = {
        "secret_key": secrets.token_urlsafe(32),
        "http": {
            "host": "127.0.0.1",
            "port": options.port,
            "public_url": options.url,
            "secure_cookies": False,
        },  # plain HTTP on loopback
        "database": {"url": f"sqlite:///{demo_dir / 'faultdesk.db'}"},
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "sender": "faultdesk@faultdesk-demo.example",
        },
        "mail": {
            "noc": "noc@faultdesk-demo.example",
            "sales": "sales@faultdesk-demo.example",
            "send_interval_s": max(0.5, min(2.0, interval / 2)),
        },
        "monitoring": {"sweep_interval_s": max(0.5, interval / 2)},
        "inventory_file": "inventory.yaml",
    }
    if mitels:
        config["snmp"] = {
            "listen": f"127.0.0.1:{trap_port}",
            "poll_interval_s": 2 * interval,  # a lost trap is found within two reports
            "poll_timeout_s": 1.0,
            "restart_fault_s": 8 * interval,
        }
    path = demo_dir / "collector.yaml"
    _write_yaml(path, config, private=True)
    return path


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_agent_files(demo_dir: Path, options: DemoOptions, key: str) -> Path:
    """The real agent's ``agent.yaml`` and its key file (mode 0600, as the agent requires)."""
    agent_dir = demo_dir / "agent"
    agent_dir.mkdir(mode=0o700)
    key_file = agent_dir / "host.key"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    config = {
        "collector_url": options.url,
        "host_id": LOCAL_HOST_ID,
        "key_file": str(key_file),
        "interval_s": options.interval_s,
        "spool_dir": str(agent_dir / "spool"),
        "log_level": "info",
    }
    path = demo_dir / "agent.yaml"
    _write_yaml(path, config, private=False)
    return path


def _write_yaml(path: Path, data: dict[str, Any], *, private: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Written by `faultdesk demo`; rewritten at every start.\n")
        yaml.safe_dump(data, handle, sort_keys=False)


async def _start_catcher(mailbox: Mailbox, port: int) -> MailCatcher:
    catcher = MailCatcher(mailbox, port=port)
    try:
        await catcher.start()
    except OSError as exc:
        if port != DEFAULT_SMTP_PORT:
            raise DemoError(f"cannot listen for SMTP on 127.0.0.1:{port}: {exc.strerror}") from exc
        catcher.port = 0  # the usual port is taken: any free one will do, nobody types it
        await catcher.start()
    return catcher


async def _start_collector(
    config_path: Path, mailbox: Mailbox, options: DemoOptions
) -> tuple[web.AppRunner, str]:
    """The collector serving on the demo's port, with a fresh operator; returns its password."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise DemoError(str(exc)) from exc
    app = create_app(config)
    add_inbox_routes(app, mailbox)
    runner = web.AppRunner(app, access_log=None)
    try:
        await runner.setup()  # migrates the database and loads the inventory
    except ConfigError as exc:  # the inventory file, read at start-up
        raise DemoError(str(exc)) from exc
    try:
        password = secrets.token_urlsafe(12)
        now = datetime.now(UTC)
        await app[DATABASE].write(add_operator, OPERATOR, password, now)
        await app[DATABASE].write(_add_portal_user, password, now)
        await web.TCPSite(runner, "127.0.0.1", options.port).start()
    except OSError as exc:
        await runner.cleanup()
        raise DemoError(
            f"cannot listen on 127.0.0.1:{options.port} ({exc.strerror}); try --port"
        ) from exc
    return runner, password


def portal_user() -> str:
    """The demo's customer user, of the fleet's first customer."""
    return f"it@{fleet.CUSTOMERS[0].id}.example"


def _add_portal_user(conn: Connection, password: str, now: datetime) -> None:
    """A customer-admin of the first customer, with the operator's password, so the portal
    can be tried at once."""
    user = customer_users.add_user(
        conn, fleet.CUSTOMERS[0].id, portal_user(), "customer-admin", now
    )
    customer_users.set_password_hash(conn, user.id, hash_password(password))


async def _start_agent(config_path: Path, demo_dir: Path) -> asyncio.subprocess.Process:
    """The real agent for this machine, logging to ``agent.log``."""
    log_fd = os.open(demo_dir / "agent.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "agent.cli", "run", "--config", str(config_path)),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_fd,
            stderr=log_fd,
            cwd=demo_dir,
            env=_agent_environment(),
        )
    finally:
        os.close(log_fd)  # the agent has its own copy


def _agent_environment() -> dict[str, str]:
    """This environment, with the agent package importable even from a source checkout."""
    spec = importlib.util.find_spec("agent")  # where it is, without importing it
    assert spec is not None and spec.origin is not None
    source_root = str(Path(spec.origin).resolve().parent.parent)
    paths = [source_root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


async def _stop_agent(agent: asyncio.subprocess.Process) -> None:
    if agent.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # Ctrl-C reached it too and it is gone
            agent.terminate()
        try:
            await asyncio.wait_for(agent.wait(), timeout=10)
        except TimeoutError:
            log.warning("the agent did not stop within 10 s; killing it")
            agent.kill()
            await agent.wait()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, from the very start: a Ctrl-C during start-up lets
    start-up finish and then stops everything in order. The handlers stay until the loop
    closes, so a second Ctrl-C cannot interrupt the shutdown half-way."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _until_stopped(
    stop: asyncio.Event, agent: asyncio.subprocess.Process, demo_dir: Path
) -> None:
    """Wait for the stop signal; a real agent that dies meanwhile is reported, not fatal."""

    async def watch_agent() -> None:
        code = await agent.wait()
        if not stop.is_set():
            log.warning("the real agent exited (code %s); see %s", code, demo_dir / "agent.log")

    watcher = asyncio.create_task(watch_agent())
    try:
        await stop.wait()
    finally:
        watcher.cancel()


def banner(options: DemoOptions, password: str, smtp_port: int, demo_dir: Path) -> str:
    """The start-up text: where to look, how to log in, and what is about to happen."""
    pbxs = sum(1 for host in fleet.FLEET if host.kind == "pbx")
    tiers = ", ".join(customer.tier for customer in fleet.CUSTOMERS)
    told = fleet.timeline(options.interval_s) + mitel_timeline(options.interval_s)
    happenings = "\n".join(f"    {line}" for line in told)
    cycle = fleet.CYCLE * options.interval_s
    mitels = ", ".join(m.id for m in MITELS)
    return f"""
Faultdesk demo is running. Press Ctrl-C to stop it.

  Dashboard    {options.url}/
  Log in as    {OPERATOR} / {password}
  Portal       {options.url}/portal/ as {portal_user()} / the same password (a customer's view)
  Demo inbox   {options.url}/demo/inbox   (every email sent; open one and click its ack link)
  SMTP         127.0.0.1:{smtp_port} (catches the collector's mail)
  Files        {demo_dir} (configs, database, agent.log, mail/)

  Fleet: {len(fleet.CUSTOMERS)} customers ({tiers}), {len(fleet.FLEET)} simulated hosts \
({pbxs} PBXs) reporting every {options.interval_s:g} s,
  {len(MITELS)} simulated Mitel 3300s sending SNMP traps and polled ({mitels}),
  and this machine ({LOCAL_HOST_ID}) watched by a real agent.
  Coming up:
{happenings}
    ...then the same on other hosts; it all repeats every {cycle:.0f} s.

"""
