"""``faultdesk-collector page ack``: an engineer takes an incident from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, select, update

from collector import cli
from collector.store import faults, incidents, inventory
from collector.store.engines import make_engine, migrate
from collector.store.schema import incidents as incident_table

OPENED = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)


def _incident(conn: Connection) -> int:
    inventory.add_customer(conn, "acme", "Acme Ltd", OPENED)
    inventory.add_host(conn, "acme-pbx", "acme", OPENED, name="pbx1", kind="pbx")
    fault_id = faults.open_fault(
        conn, host_id="acme-pbx", check_key="asterisk.ami", severity="critical",
        title="PBX not answering", detail="", at=OPENED,
    )  # fmt: skip
    return incidents.open_incident(
        conn, fault_id=fault_id, customer_id="acme", tier="premium", covered=True,
        severity="critical", opened_at=OPENED, response_due_at=None,
        policy={"tier": "premium", "pages_on_call": True},
    )  # fmt: skip


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, int]:
    url = f"sqlite:///{tmp_path / 'fd.db'}"
    config = tmp_path / "collector.yaml"
    config.write_text(f"secret_key: 0123456789abcdef0123\ndatabase:\n  url: {url}\n")
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        incident_id = _incident(conn)
    engine.dispose()
    return config, incident_id


def _taken_by(config: Path) -> str | None:
    engine = make_engine(f"sqlite:///{config.parent / 'fd.db'}")
    try:
        with engine.begin() as conn:
            return conn.scalar(select(incident_table.c.engineer_acknowledged_by))
    finally:
        engine.dispose()


def test_it_acknowledges_the_page_and_then_says_who_already_has_it(
    setup: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    config, incident_id = setup
    args = ["page", "ack", str(incident_id), "--config", str(config)]
    assert cli.main([*args, "--by", "alice"]) == 0
    assert (
        f"incident #{incident_id} acknowledged by alice: paging stopped" in capsys.readouterr().out
    )
    assert _taken_by(config) == "alice"

    assert cli.main([*args, "--by", "bob"]) == 0
    assert "already acknowledged by alice" in capsys.readouterr().out
    assert _taken_by(config) == "alice"


def test_it_exits_1_for_an_incident_that_does_not_exist(
    setup: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = setup
    assert cli.main(["page", "ack", "999", "--by", "alice", "--config", str(config)]) == 1
    assert "no incident #999" in capsys.readouterr().err


def test_it_does_not_claim_to_stop_paging_for_an_incident_that_never_paged(
    setup: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    config, incident_id = setup
    engine = make_engine(f"sqlite:///{config.parent / 'fd.db'}")
    with engine.begin() as conn:
        quiet = {"tier": "cat1", "pages_on_call": False}
        conn.execute(update(incident_table).values(tier="cat1", policy=quiet))
    engine.dispose()
    args = ["page", "ack", str(incident_id), "--by", "alice", "--config", str(config)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "paging stopped" not in out and "does not page on-call" in out
    assert _taken_by(config) == "alice"
