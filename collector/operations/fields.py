"""Input rules shared by every use case: strict models, identifiers, email addresses.

What people send through the JSON API, the dashboard's forms, the CLI or an inventory file is
checked against the same models, so the three refuse the same things the same way, naming the
field (``contacts.1.email``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from collector.domain.control_characters import (
    refuse_control_characters,
    refuse_control_characters_but_layout,
)

#: Ids appear in URLs and mail subjects: letters, digits, dot, dash and underscore.
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
EMAIL = r"^[^@\s<>]+@[^@\s<>]+$"
#: Addresses go into mail headers: the pattern, and no control characters either.
Email = Annotated[str, AfterValidator(refuse_control_characters)]


def _not_a_number(value: object) -> object:
    """Pydantic would read a number as a Unix timestamp; a date or time is written out."""
    if isinstance(value, int | float):
        raise ValueError("must be written as a date or time (RFC 3339), not a number")
    return value


#: A date or date-time field: text (or the object), never a number.
Written = BeforeValidator(_not_a_number)

#: Names appear in mail subjects and on one line of the dashboard: no line breaks, no tabs.
Name = Annotated[str, AfterValidator(refuse_control_characters)]

#: Free text (a description, a comment, a note, a reason): lines and tabs, no other control.
Text = Annotated[str, AfterValidator(refuse_control_characters_but_layout)]


class StrictInput(BaseModel):
    """Unknown fields are refused and surrounding white space is dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
