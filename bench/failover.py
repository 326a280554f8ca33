"""Failover mid-send: two collectors on one PostgreSQL database, a full outbox, and the leader
killed with SIGKILL while it sends. What a real deployment sees: the other collector's takeover,
mail lost (goal 0) and mail sent twice (goal at most 1 per crash, under the same Message-ID).

    .venv/bin/python bench/failover.py                 # 300 mails, kill after 120 (mid-batch)
    .venv/bin/python bench/failover.py --mails 1000 --kill-after 400 --relay-delay 0.01

Two ``faultdesk-collector run`` processes share a throwaway schema on the PostgreSQL server at
127.0.0.1:5432 (``FAULTDESK_TEST_PG``), with the shipped settings: followers ask for the
leader's lock every ``database.leader_retry_s`` (5 s), the sender looks every
``mail.send_interval_s`` (2 s) and holds what it sends under a 30 s claim it renews every
10 s. The mail is queued from outside them (as the CLI or a third collector would), to a real
SMTP server (aiosmtpd) that takes ``--relay-delay`` seconds over each message. Each collector
sends under its own From address, so the catcher tells who sent what.

The figures, from the kill: the other collector leading, its first mail, the last mail the
dead leader had claimed (retaken once its claims lapse), and the outbox drained. The baseline,
in the same run, is the outbox drained at the pace the leader kept before the crash.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.notify import outbox  # noqa: E402
from collector.store.database import Database  # noqa: E402
from collector.store.engines import make_engine  # noqa: E402
from tests.support.postgres import postgres_schema_url  # noqa: E402
from tests.support.processes import (  # noqa: E402
    free_port,
    start_collector,
    stop_process,
    write_collector_config,
)

SENDERS = {"a": "collector-a@vendor.example", "b": "collector-b@vendor.example"}


class SlowRelay:
    """Takes ``delay_s`` over each message, and notes when it took it, its Message-ID and
    which collector sent it (by its From address)."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.taken: list[tuple[float, str, str]] = []  # (time, Message-ID, From)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay_s)
        head = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        fields = dict(_header(line) for line in head.split("\r\n") if ":" in line)
        self.taken.append((time.time(), fields.get("message-id", ""), fields.get("from", "")))
        return "250 OK"

    def by(self, sender: str, since: float = 0.0) -> list[float]:
        return [at for at, _, sent_by in self.taken if sender in sent_by and at >= since]


def _header(line: str) -> tuple[str, str]:
    name, value = line.split(":", 1)
    return name.strip().lower(), value.strip()


def _configure(directory: Path, url: str, smtp_port: int, who: str) -> tuple[Path, int]:
    """A collector's config on the shared database, with its own port and From address."""
    directory.mkdir()
    (directory / "inventory.yaml").write_text("customers: []\n")
    port = free_port()
    path = write_collector_config(directory, port, smtp_port)
    config = yaml.safe_load(path.read_text())
    config["database"]["url"] = url
    config["smtp"]["sender"] = SENDERS[who]
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, port


def _leads(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return bool(json.load(response)["leader"])
    except OSError:
        return False


def _fill_outbox(url: str, mails: int) -> list[int]:
    db = Database(make_engine(url))

    def queue(conn: Any) -> list[int]:
        now = datetime.now(UTC)
        return [
            outbox.enqueue(conn, kind="report", recipient=f"jo{n}@acme.example",
                           subject=f"Bench mail {n}", body="Failover bench.\n", now=now)
            for n in range(mails)
        ]  # fmt: skip

    try:
        return db.transaction(queue)
    finally:
        db.close()


def _claimed_by_a(url: str, kill_at: datetime) -> set[int]:
    """Mail still pending with a claim that outlives the kill: what the dead leader held."""
    from sqlalchemy import select

    from collector.store.schema import outbox as table

    db = Database(make_engine(url))
    query = select(table.c.id).where(table.c.status == "pending", table.c.attempts > 0)
    query = query.where(table.c.next_attempt_at > kill_at)
    try:
        return {row.id for row in db.transaction(lambda conn: list(conn.execute(query)))}
    finally:
        db.close()


async def _until(condition: Any, timeout_s: float, what: str, *, required: bool = True) -> float:
    """When ``condition`` first held (wall clock); NaN if it did not within ``timeout_s`` and
    it was not ``required``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            if required:
                raise RuntimeError(f"{what}: not within {timeout_s:g}s")
            return float("nan")
        await asyncio.sleep(0.02)
    return time.time()


def run(args: argparse.Namespace) -> dict[str, Any]:
    relay = SlowRelay(args.relay_delay)
    smtp_port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    schema = f"bench_failover_{uuid.uuid4().hex[:8]}"
    try:
        with postgres_schema_url(schema) as url, tempfile.TemporaryDirectory() as tmp:
            return _crash(Path(tmp), url, smtp_port, relay, args)
    finally:
        controller.stop()


def _crash(
    tmp: Path, url: str, smtp_port: int, relay: SlowRelay, args: argparse.Namespace
) -> dict[str, Any]:
    config_a, port_a = _configure(tmp / "a", url, smtp_port, "a")
    config_b, port_b = _configure(tmp / "b", url, smtp_port, "b")
    leader = start_collector(config_a, port_a, tmp / "a.log")
    follower = None
    try:
        asyncio.run(_until(lambda: _leads(port_a), 30, "the first collector leading"))
        follower = start_collector(config_b, port_b, tmp / "b.log")
        assert not _leads(port_b), "two leaders"
        ids = _fill_outbox(url, args.mails)
        a_mail = SENDERS["a"]
        asyncio.run(_until(lambda: len(relay.by(a_mail)) >= 1, 30, "the leader's first mail"))
        asyncio.run(
            _until(lambda: len(relay.by(a_mail)) >= args.kill_after, 60, "mail before the kill")
        )
        leader.kill()  # SIGKILL, mid-send
        leader.wait()
        killed = time.time()
        before = relay.by(a_mail)
        pace_s = (before[-1] - before[0]) / max(1, len(before) - 1)
        claimed = _claimed_by_a(url, datetime.fromtimestamp(killed, UTC))
        leads = asyncio.run(_until(lambda: _leads(port_b), 60, "the other collector leading"))
        b_mail = SENDERS["b"]
        asyncio.run(_until(lambda: relay.by(b_mail), 60, "mail from the new leader"))
        first_b = relay.by(b_mail)[0]
        everything = set(ids)
        drained = asyncio.run(
            _until(lambda: _rows_taken(relay) >= everything, args.timeout, "", required=False)
        )
        retaken = max(
            (at for at, mid, _ in relay.taken if _message_id_row(mid) in claimed), default=None
        )
    finally:
        stop_process(leader)
        if follower is not None:
            stop_process(follower)
    copies = Counter(mid for _, mid, _ in relay.taken)
    row_copies = Counter(_message_id_row(mid) for _, mid, _ in relay.taken)
    return {
        "mails": len(ids),
        "before_kill": len(before),
        "claimed_by_dead_leader": len(claimed),
        "takeover_s": leads - killed,
        "first_mail_s": first_b - killed,
        "retaken_s": None if retaken is None else retaken - killed,
        "drained_s": drained - killed,
        "pace_s": pace_s,
        "baseline_drain_s": (len(ids) - len(before)) * pace_s,
        "lost": len(everything - _rows_taken(relay)),
        "duplicates": sum(n - 1 for n in row_copies.values()),
        "same_message_id": sum(n - 1 for n in copies.values()),
    }


def _message_id_row(message_id: str) -> int:
    """The outbox row of ``<outbox-ROW.CREATED@DOMAIN>``."""
    return int(message_id.strip("<>").split("@")[0].split(".")[0].removeprefix("outbox-"))


def _rows_taken(relay: SlowRelay) -> set[int]:
    return {_message_id_row(mid) for _, mid, _ in relay.taken}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=300, help="mail in the outbox (300)")
    parser.add_argument("--kill-after", type=int, default=120, help="kill after this many sent")
    parser.add_argument("--relay-delay", type=float, default=0.02, help="relay's s per message")
    parser.add_argument("--timeout", type=float, default=120, help="give up draining after, s")
    args = parser.parse_args()
    figures = run(args)
    print(
        f"Leader killed (SIGKILL) after {figures['before_kill']} of {figures['mails']} mails; "
        f"it held {figures['claimed_by_dead_leader']} under claim (PostgreSQL, 2 collectors)"
    )
    print(f"{'seconds from the kill':48} {'seconds':>8}")
    print(f"{'  the other collector leads (takeover)':48} {figures['takeover_s']:8.2f}")
    print(f"{'  its first mail':48} {figures['first_mail_s']:8.2f}")
    retaken = figures["retaken_s"]
    shown = "-" if retaken is None else f"{retaken:.2f}"
    print(f"{'  the last mail the dead leader held, retaken':48} {shown:>8}")
    print(f"{'  outbox drained':48} {figures['drained_s']:8.2f}")
    print(
        f"{'baseline: the rest at the pre-crash pace':48} {figures['baseline_drain_s']:8.2f}"
        f"   ({figures['pace_s'] * 1000:.0f} ms a mail)"
    )
    print(f"ratio (drained / baseline): {figures['drained_s'] / figures['baseline_drain_s']:.1f}")
    print(f"mails lost: {figures['lost']} (goal 0)")
    print(
        f"duplicates: {figures['duplicates']} (goal <= 1 per crash), "
        f"{figures['same_message_id']} of them under the first copy's Message-ID"
    )


if __name__ == "__main__":
    main()
