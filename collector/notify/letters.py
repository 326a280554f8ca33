"""A mail's content before it is a message: what both its parts, plain text and HTML, say.

Every text in it may hold what an agent or a customer supplied (a host name, a process, a
comment): ``one_line`` escapes control characters in all of it, so no value can start a line
of its own in the plain text. The HTML part escapes markup on top (``collector.notify.mail_html``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from collector.domain.control_characters import escape_control_characters

#: The badge's colour, named as the dashboard's stylesheet names its colours.
Tone = Literal["bad", "warn", "ok", "ack", "unknown"]


@dataclass(frozen=True)
class Letter:
    subject: str
    label: str  # "FAULT", "RESOLVED": the subject's first word, the HTML part's badge
    headline: str  # "Disk / is 97% full on Harbor file server"
    tone: Tone
    lead: tuple[str, ...]  # opening paragraphs, one line each
    facts: tuple[tuple[str, str], ...]  # (label, value)
    explained: tuple[str, ...] = ()  # what else the outage explains, one line each
    closing: tuple[str, ...] = ()  # what happens next, whom to call
    ack_url: str | None = None

    def one_line(self) -> Letter:
        """The letter with control characters escaped in every text."""
        values = [value for _, value in self.facts]
        whole = "".join([self.subject, self.headline, *self.lead, *values, *self.explained])
        whole += "".join(self.closing)
        # Printable ASCII holds no control character (``escape_control_characters``), and
        # every text is, when all of them together are: each stays as it is. The usual letter.
        if whole.isascii() and whole.isprintable():
            return self
        line = escape_control_characters
        return Letter(
            line(self.subject),
            self.label,
            line(self.headline),
            self.tone,
            tuple(map(line, self.lead)),
            tuple((label, line(value)) for label, value in self.facts),
            tuple(map(line, self.explained)),
            tuple(map(line, self.closing)),
            self.ack_url,
        )


#: How the plain text introduces the ack link (the HTML part shows it as a button).
ACK_INVITATION = "If you are dealing with this, acknowledge it here (you will be asked to confirm)"
EXPLAINED_HEADING = "Also affected, explained by this fault (not mailed separately)"


def plain_text(letter: Letter) -> str:
    """The letter as the plain-text part: paragraphs, then the facts aligned as a table."""
    return escaped_plain_text(letter.one_line())


def escaped_plain_text(letter: Letter) -> str:
    """``plain_text`` of a letter escaped already (``Letter.one_line``): a mail's two parts
    are written from one escaped letter."""
    # List comprehensions, not generators: a generator costs a call for every item it yields.
    text = "\n\n".join(letter.lead) + "\n\n"
    width = max([len(label) + 1 for label, _ in letter.facts], default=0)  # "Reference:"
    text += "".join([f"{label + ':':<{width}} {value}\n" for label, value in letter.facts])
    if letter.explained:
        text += f"\n{EXPLAINED_HEADING}:\n" + "".join(
            [f"  - {line}\n" for line in letter.explained]
        )
    if letter.closing:
        text += "\n" + "".join([f"{paragraph}\n" for paragraph in letter.closing])
    if letter.ack_url:
        text += f"\n{ACK_INVITATION}:\n{letter.ack_url}\n"
    return text
