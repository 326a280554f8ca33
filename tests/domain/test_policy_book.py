"""A ``PolicyBook`` keeps each check's policy once found: asked again, a book answers what a
fresh scan of its prefixes answers, whatever was asked before, and books with other overrides
keep answers of their own."""

from __future__ import annotations

import pytest

from collector.domain import policy as policy_module
from collector.domain.policy import CheckPolicy, PolicyBook, Severity

KEYS = ("service:asterisk", "disk:/var", "agent.heartbeat", "remote.ssh", "something.new", "")


def test_a_policy_found_before_is_the_one_a_fresh_scan_finds() -> None:
    book = PolicyBook()
    first = [book.for_check(key) for key in KEYS]
    again = [book.for_check(key) for key in reversed(KEYS)]
    assert first == again[::-1] == [PolicyBook()._scan(key) for key in KEYS]


def test_a_book_with_other_overrides_has_answers_of_its_own() -> None:
    default = PolicyBook()
    assert default.for_check("service:asterisk").critical_severity is Severity.MAJOR
    own = PolicyBook.from_json({"checks": {"service:": {"critical_severity": "critical"}}})
    assert own.for_check("service:asterisk").critical_severity is Severity.CRITICAL
    assert default.for_check("service:asterisk").critical_severity is Severity.MAJOR
    assert own == PolicyBook.from_json({"checks": {"service:": {"critical_severity": "critical"}}})


def test_a_full_book_forgets_and_still_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "_FOUND_KEPT", 2)
    book = PolicyBook()
    for key in KEYS * 2:
        assert book.for_check(key) == book._scan(key)
    assert book.for_check("nothing.known") == CheckPolicy()
