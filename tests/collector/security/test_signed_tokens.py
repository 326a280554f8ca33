"""Signed tokens: each verifies only for its own purpose, only unaltered, only until it expires."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from collector.notify.ack_links import InvalidLink, make_token, read_token
from collector.notify.page_links import make_page_token, read_page_token
from collector.security import tokens
from collector.security.tokens import Purpose
from dashboard import sessions

SECRET = "signing-secret-0123456789abcdef"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


@pytest.mark.parametrize(("minted", "presented"), list(itertools.permutations(Purpose, 2)))
def test_it_never_accepts_a_token_signed_for_another_purpose(
    minted: Purpose, presented: Purpose
) -> None:
    token = tokens.issue(SECRET, minted, {"f": 1}, LATER)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, presented, token, NOW)


def test_it_refuses_a_token_with_any_character_changed() -> None:
    token = tokens.issue(SECRET, Purpose.ACK_LINK, {"f": 1, "r": "jo@acme.example"}, LATER)
    for i in range(len(token)):
        swapped = "A" if token[i] != "A" else "B"
        altered = token[:i] + swapped + token[i + 1 :]
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(SECRET, Purpose.ACK_LINK, altered, NOW)


def test_it_refuses_a_token_signed_with_another_secret() -> None:
    token = tokens.issue("another-secret", Purpose.ACK_LINK, {"f": 1}, LATER)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, Purpose.ACK_LINK, token, NOW)


def test_it_tells_an_expired_token_from_a_forged_one() -> None:
    token = tokens.issue(SECRET, Purpose.PAGE_LINK, {"i": 3}, NOW)
    with pytest.raises(tokens.ExpiredToken) as expired:
        tokens.verify(SECRET, Purpose.PAGE_LINK, token, NOW)
    assert expired.value.claim == {"i": 3}
    with pytest.raises(InvalidLink) as link:
        read_page_token(SECRET, token, NOW)
    assert link.value.expired
    with pytest.raises(InvalidLink) as forged:
        read_page_token(SECRET, token + "x", NOW - timedelta(days=1))
    assert not forged.value.expired


def test_it_keeps_ack_links_page_links_and_sessions_apart() -> None:
    ack = make_token(SECRET, 7, "jo@acme.example", LATER)
    page = make_page_token(SECRET, 7, "alice", LATER)
    session = sessions.encode(SECRET, sessions.new_session(NOW))
    assert read_token(SECRET, ack, NOW).fault_id == 7
    assert read_page_token(SECRET, page, NOW).person == "alice"
    assert sessions.decode(SECRET, session, NOW) is not None
    for not_an_ack in (page, session):
        with pytest.raises(InvalidLink):
            read_token(SECRET, not_an_ack, NOW)
    for not_a_page in (ack, session):
        with pytest.raises(InvalidLink):
            read_page_token(SECRET, not_a_page, NOW)
    assert sessions.decode(SECRET, ack, NOW) is None
    assert sessions.decode(SECRET, page, NOW) is None


def test_it_binds_a_form_signature_to_one_link_and_one_purpose() -> None:
    field = tokens.bound_signature(SECRET, Purpose.ACK_FORM, "link-1")
    assert tokens.bound_signature_matches(SECRET, Purpose.ACK_FORM, "link-1", field)
    assert not tokens.bound_signature_matches(SECRET, Purpose.ACK_FORM, "link-2", field)
    assert not tokens.bound_signature_matches(SECRET, Purpose.PAGE_ACK_FORM, "link-1", field)
    assert not tokens.bound_signature_matches(SECRET, Purpose.ACK_FORM, "link-1", None)


def test_it_issues_the_token_itsdangerous_would_make() -> None:
    # The serializer and signer are made once per secret and purpose: the token is unchanged.
    made = URLSafeSerializer(
        SECRET, salt=Purpose.ACK_LINK.value, signer_kwargs={"digest_method": hashlib.sha256}
    ).dumps({"f": 7, "r": "jo@acme.example", "x": int(LATER.timestamp())})
    for _ in range(2):
        assert (
            tokens.issue(SECRET, Purpose.ACK_LINK, {"f": 7, "r": "jo@acme.example"}, LATER) == made
        )
