"""The HTML part's template, compiled with the fixed colours written into it, renders exactly
what the template file renders with every colour looked up in the palette."""

from __future__ import annotations

import pytest

from collector.notify import mail_html
from collector.notify.letters import ACK_INVITATION, EXPLAINED_HEADING, Letter, Tone

_TONES: tuple[Tone, ...] = ("bad", "warn", "ok", "ack", "unknown")


def _letter(tone: Tone) -> Letter:
    return Letter(
        "FAULT: <b>pbx1</b> is down [INC-2026-0001]",
        "FAULT",
        "pbx1 & co is down",
        tone,
        ("Avon has found a fault.", "It <matters>."),
        (("Reference", "INC-2026-0001"), ("Host", "<script>pbx1</script>"), ("Due", "soon")),
        ("Port 5038 is not listening", "Trunk 'b' is \"down\""),
        ("What happens next: call us.",),
        "https://desk.example/ack/a.b?c=1&d=2",
    )


def _as_the_file_reads(letter: Letter) -> str:
    template = mail_html._environment().get_template("fault_mail.html")
    return template.render(
        letter=letter,
        colour=mail_html.PALETTE,
        ack_invitation=ACK_INVITATION,
        explained_heading=EXPLAINED_HEADING,
    )


@pytest.mark.parametrize("tone", _TONES)
def test_it_renders_the_same_bytes_as_the_template_file(tone: Tone) -> None:
    letter = _letter(tone).one_line()
    assert mail_html.render(letter) == _as_the_file_reads(letter)


def test_it_renders_a_letter_without_its_optional_parts_the_same_too() -> None:
    letter = Letter("RESOLVED: x", "RESOLVED", "x", "ok", ("Cleared.",), (("Host", "pbx1"),))
    assert mail_html.render(letter) == _as_the_file_reads(letter)
