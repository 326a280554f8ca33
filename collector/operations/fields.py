"""Input rules shared by every use case: strict models, identifiers, email addresses.

What people send through the JSON API, the dashboard's forms, the CLI or an inventory file is
checked against the same models, so the three refuse the same things the same way, naming the
field (``contacts.1.email``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from collector.domain.control_characters import refuse_control_characters

#: Ids appear in URLs and mail subjects: letters, digits, dot, dash and underscore.
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
EMAIL = r"^[^@\s<>]+@[^@\s<>]+$"
#: Names appear in mail subjects and on one line of the dashboard: no line breaks, no tabs.
Name = Annotated[str, AfterValidator(refuse_control_characters)]


class StrictInput(BaseModel):
    """Unknown fields are refused and surrounding white space is dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
