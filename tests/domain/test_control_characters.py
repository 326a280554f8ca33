"""Control characters in names: escaped when agents report them, refused when people type them."""

from __future__ import annotations

import pytest

from collector.domain.control_characters import (
    escape_control_characters,
    refuse_control_characters,
)
from collector.domain.describe import describe_check

INJECTION = "nginx\r\nBcc: attacker@evil.example"


def test_it_escapes_line_breaks_and_other_controls_onto_one_line() -> None:
    assert escape_control_characters(INJECTION) == "nginx\\r\\nBcc: attacker@evil.example"
    assert escape_control_characters("a\tb\x1b[31mc\x7f") == "a\\tb\\x1b[31mc\\x7f"
    # Line breaks str.splitlines() honours beyond CR and LF, and a right-to-left override.
    assert escape_control_characters("a\x85b\u2028c\u2029d\u202ee") == (
        "a\\x85b\\u2028c\\u2029d\\u202ee"
    )
    assert len(escape_control_characters("x\n" * 100).splitlines()) == 1


def test_it_leaves_ordinary_names_alone() -> None:
    for name in ("Acme Ltd", "Société Générale", "東京 PBX", "/var/lib", "trunk 👩\u200d💻", ""):
        assert escape_control_characters(name) == name
        assert refuse_control_characters(name) == name


def test_it_refuses_a_name_with_a_control_character_and_says_which() -> None:
    for name, shown in ((INJECTION, "\\r"), ("a\tb", "\\t"), ("x\u2028", "\\u2028")):
        with pytest.raises(ValueError, match="control characters") as refused:
            refuse_control_characters(name)
        assert str(refused.value).endswith(f"(found {shown})")


def test_it_titles_a_check_on_one_line_whatever_the_agent_named_it() -> None:
    assert describe_check(f"service:{INJECTION}") == (
        "Process nginx\\r\\nBcc: attacker@evil.example not running"
    )
    assert describe_check("unit:a\nb.service") == "Service a\\nb.service"
    assert describe_check("odd\nkey") == "odd\\nkey"
    assert describe_check("disk:/var") == "Disk space /var"


def test_it_keeps_a_title_short_however_long_the_escaped_name() -> None:
    title = describe_check("service:" + "\x01" * 190)
    assert len(title) == 200 and title.startswith("Process \\x01") and title.endswith("…")
