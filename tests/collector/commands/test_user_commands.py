"""``faultdesk-collector user add|list|reset`` and customer tokens, through the CLI."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from collector.store import customer_users, operators, schema, sessions
from collector.store.audit import entries
from tests.support.cli import Cli

CUSTOMER_TOKEN = re.compile(r"^    (fdc_\S+)$", re.MULTILINE)


@pytest.fixture
def acme(cli: Cli) -> Cli:
    assert cli("customer", "add", "acme", "--name", "Acme Ltd").code == 0
    return cli


def test_it_invites_a_customer_user_by_mail(acme: Cli) -> None:
    done = acme("user", "add", "Pat@Acme.example", "--customer", "acme", "--role", "customer-admin")
    assert done.code == 0, done.err
    assert "User pat@acme.example added to customer acme as customer-admin." in done.out
    query = select(schema.outbox.c.recipient, schema.outbox.c.subject, schema.outbox.c.body)
    [(recipient, subject, body)] = acme.query(lambda conn: conn.execute(query).all())
    assert (recipient, subject) == (
        "pat@acme.example",
        "Your access to the Acme Ltd support portal",
    )
    assert re.search(r"/portal/password/\S+", body)
    [added] = acme.query(entries)
    assert (added.action, added.customer_id, added.detail) == (
        "user.added",
        "acme",
        {"role": "customer-admin", "invited_by_mail": True},
    )
    listed = acme("user", "list").out.splitlines()
    assert listed[1].split()[:4] == ["pat@acme.example", "acme", "customer-admin", "invited"]


def test_it_sets_a_password_from_stdin_without_mail(
    acme: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    done = acme("user", "add", "jo@acme.example", "--customer", "acme", "--password-stdin")
    assert done.code == 0, done.err
    found = acme.query(lambda conn: customer_users.login_record(conn, "jo@acme.example"))
    assert found is not None and found[0].has_password
    assert acme.query(lambda conn: conn.execute(select(schema.outbox)).all()) == []


def test_it_refuses_an_unknown_customer_and_a_bad_role(acme: Cli) -> None:
    missing = acme("user", "add", "x@globex.example", "--customer", "globex")
    assert (missing.code, missing.err.strip()) == (1, "faultdesk-collector: no customer 'globex'")
    bad_role = acme("user", "add", "x@acme.example", "--customer", "acme", "--role", "admin")
    assert bad_role.code == 2 and "invalid choice: 'admin'" in bad_role.err


def test_it_makes_a_customer_token_that_names_its_customer(acme: Cli) -> None:
    acme("user", "add", "pat@acme.example", "--customer", "acme")
    done = acme("token", "create", "pat@acme.example", "--name", "grafana")
    assert done.code == 0, done.err
    assert "for customer user pat@acme.example (sees only that customer)" in done.out
    match = CUSTOMER_TOKEN.search(done.out)
    assert match
    user = acme.query(lambda conn: customer_users.user_for_token(conn, match.group(1)))
    assert user is not None and user.customer_id == "acme"


def test_it_adds_an_operator_with_a_role(acme: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    done = acme("operator", "add", "otto", "--role", "operator", "--password-stdin")
    assert done.code == 0, done.err
    found = acme.query(lambda conn: operators.login_record(conn, "otto"))
    assert found is not None and found[0].role == "operator" and not found[0].is_admin


def test_it_mails_a_reset_link(acme: Cli) -> None:
    acme("user", "add", "pat@acme.example", "--customer", "acme")
    done = acme("user", "reset", "pat@acme.example")
    assert done.code == 0, done.err
    kinds = acme.query(lambda conn: conn.scalars(select(schema.outbox.c.kind)).all())
    assert kinds == ["account_invite", "account_reset"]
    assert acme("user", "reset", "nobody@acme.example").code == 1


def test_it_turns_an_operators_second_factor_on_and_off(
    acme: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    acme("operator", "add", "otto", "--password-stdin")
    done = acme("operator", "totp", "otto")
    assert done.code == 0, done.err
    assert re.search(
        r"^    otpauth://totp/Faultdesk:otto\?secret=[A-Z2-7]+", done.out, re.MULTILINE
    )
    found = acme.query(lambda conn: operators.login_record(conn, "otto"))
    assert found is not None and found[0].totp_secret
    assert acme("operator", "totp", "otto", "--off").code == 0
    found = acme.query(lambda conn: operators.login_record(conn, "otto"))
    assert found is not None and found[0].totp_secret is None
    assert acme("operator", "totp", "nobody").code == 1


def test_it_signs_an_operator_out_everywhere_when_the_password_changes(
    acme: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    acme("operator", "add", "otto", "--password-stdin")
    found = acme.query(lambda conn: operators.login_record(conn, "otto"))
    assert found is not None
    otto = found[0].id
    now = datetime.now(UTC)
    secret = acme.query(
        lambda conn: sessions.start_session(conn, "operator", otto, now, now + timedelta(hours=1))
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    done = acme("operator", "passwd", "otto", "--password-stdin")
    assert "1 session(s) signed out" in done.out
    assert acme.query(lambda conn: sessions.live_session(conn, secret, now)) is None


def test_it_lists_and_revokes_customer_tokens(acme: Cli) -> None:
    acme("user", "add", "pat@acme.example", "--customer", "acme")
    [token] = CUSTOMER_TOKEN.findall(
        acme("token", "create", "pat@acme.example", "--name", "bi").out
    )
    listing = acme("token", "list", "pat@acme.example").out.splitlines()
    assert listing[1].split()[:3] == ["c1", "pat@acme.example", "bi"]
    assert token not in "".join(listing)
    done = acme("token", "revoke", "c1")
    assert done.code == 0, done.err
    assert "API token c1 'bi' of pat@acme.example revoked" in done.out
    assert acme.query(lambda conn: customer_users.user_for_token(conn, token)) is None
    assert acme("token", "revoke", "c1").code == 1
    assert acme("token", "revoke", "x1").code == 2
