"""Control characters in names: refused where people type names, escaped where agents report them.
Free text people type (a description, a comment) may hold tabs and line breaks, no other.

A line break in a name would end a mail header early and start another of the sender's
choosing (``"nginx\\r\\nBcc: someone@elsewhere"``), or forge a line of a mail's facts; a
bidirectional override would show a name as something it is not. Names given to the collector
(the JSON API, the CLI, the inventory file) are refused with them; names an agent reports are
whatever the customer's machine calls things, so they are kept and shown escaped instead.
"""

from __future__ import annotations

import unicodedata

#: Embeddings, overrides and isolates: they reorder the text shown after them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: C0 and C1 controls with DEL (tab, CR, LF, NEL, ESC...), line and paragraph separators.
_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def is_control_character(char: str) -> bool:
    return unicodedata.category(char) in _CATEGORIES or char in _BIDI_CONTROLS


def escaped(char: str) -> str:
    """``"\\n"`` → ``"\\\\n"``, ``"\\x1b"`` → ``"\\\\x1b"``: the character as Python writes it."""
    return char.encode("unicode_escape").decode("ascii")


def escape_control_characters(text: str) -> str:
    """``text`` on one line, each control character written as its escape, so what an agent
    reported stays readable and nothing in it can break a header or a line."""
    # Printable ASCII (the usual case, checked in C) holds no control character: the controls
    # below 0x20 and DEL are not printable, and the separators and bidi controls are not ASCII.
    if text.isascii() and text.isprintable():
        return text
    if not any(is_control_character(char) for char in text):
        return text
    return "".join(escaped(c) if is_control_character(c) else c for c in text)


#: What free text (a description, a comment) may hold of the controls: it has lines and tabs.
_LAYOUT = frozenset("\t\n\r")


def refuse_control_characters_but_layout(text: str) -> str:
    """``text`` as it is, or ValueError naming the first control character in it other than
    a tab or a line break: a NUL (which PostgreSQL cannot store), an escape sequence that
    would drive the terminal of whoever lists it, an override that reorders what follows."""
    for char in text:
        if char not in _LAYOUT and is_control_character(char):
            raise ValueError(
                f"must not contain control characters other than tabs and line breaks "
                f"(found {escaped(char)})"
            )
    return text


def refuse_control_characters(text: str) -> str:
    """``text`` as it is, or ValueError naming the first control character in it."""
    for char in text:
        if is_control_character(char):
            raise ValueError(
                f"must not contain control characters such as line breaks or tabs "
                f"(found {escaped(char)})"
            )
    return text
