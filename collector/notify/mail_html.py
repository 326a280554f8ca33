"""The HTML part of a fault mail, rendered from its ``Letter`` with Jinja2, autoescaped.

Mail clients ignore stylesheets and ``var()``, so the template styles each element inline with
the dashboard's colours (``PALETTE``, the ``:root`` of ``dashboard/static/style.css``, which a
test keeps equal): the mail looks like the page its link opens. Every value is escaped, so a
host named ``<script>`` is shown, never run.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from collector.notify.letters import ACK_INVITATION, EXPLAINED_HEADING, Letter

#: The dashboard's colours by their stylesheet names (``--fg`` is ``fg``).
PALETTE = {
    "fg": "#1d232b",
    "muted": "#68717d",
    "bg": "#f4f5f7",
    "card": "#ffffff",
    "line": "#dde1e6",
    "accent": "#1f5fbf",
    "ok": "#1d7a3a",
    "warn": "#a86400",
    "bad": "#b3261e",
    "unknown": "#6b6f76",
    "ack": "#5a3fa0",
}


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("collector.notify", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


#: A fixed colour in the template: ``colour['bg']``, a palette name in quotes.
_FIXED_COLOUR = re.compile(r"\{\{ colour\['(\w+)'\] \}\}")


@cache
def _template() -> Template:
    """Loaded and compiled once per process: asking the environment each time would check
    the file for changes on every mail. The fixed colours are written into the source before
    it is compiled, so that the template carries them as text instead of looking each one up
    and escaping it on every mail (an escaped palette colour is itself: ``#`` and hex digits);
    only the badge's colour, chosen by the letter's tone, is looked up as it renders."""
    environment = _environment()
    source, _, _ = environment.loader.get_source(environment, _NAME)  # type: ignore[union-attr]
    fixed = _FIXED_COLOUR.sub(lambda found: PALETTE[found[1]], source)
    return environment.from_string(fixed)


_NAME = "fault_mail.html"


def render(letter: Letter) -> str:
    """The letter as HTML; ``letter`` with its control characters escaped already
    (``Letter.one_line``), as ``collector.notify.messages.letter_mail`` hands it over."""
    # The template reads the palette as colour['bg'], not colour.bg: Jinja looks an attribute
    # up on the dict first and falls back to its key only after that fails, which cost more
    # than the rest of the rendering together (268 -> 112 us a mail).
    return _template().render(
        letter=letter,
        colour=PALETTE,
        ack_invitation=ACK_INVITATION,
        explained_heading=EXPLAINED_HEADING,
    )
