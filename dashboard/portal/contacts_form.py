"""The named-contacts form of the portal's People page: its rows as typed, and the contacts they
give, or why they give none (naming the row, so the page can send the form back as typed)."""

from __future__ import annotations

from dataclasses import dataclass

from multidict import MultiMapping
from pydantic import ValidationError

from collector.operations.inventory import ContactIn, repeated_email

#: Rows of the contacts form; a tier may allow fewer, and the form says how many.
CONTACT_ROWS = 6


class RefusedContacts(ValueError):
    """The form cannot be saved; ``field`` is the input to blame (None: the form as a whole)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True)
class Typed:
    """A refused form as it came, to be shown again as typed, the blamed input marked."""

    rows: list[tuple[str, str]]
    field: str | None


def typed_rows(form: MultiMapping[object]) -> list[tuple[str, str]]:
    """Each row's ``(name, email)`` as typed, blank when absent."""
    return [(_text(form, f"name{row}"), _text(form, f"email{row}")) for row in range(CONTACT_ROWS)]


def _text(form: MultiMapping[object], field: str) -> str:
    value = form.get(field)
    return value.strip() if isinstance(value, str) else ""


def contacts_from(rows: list[tuple[str, str]]) -> list[ContactIn]:
    """The contacts the rows name, blank rows skipped. Refused: a name without an address, an
    address given twice, and no contact at all, since fault mail goes to the named contacts
    alone (``collector.notify.fanout``) and a customer left with none is told of nothing."""
    people: list[ContactIn] = []
    row_of: list[int] = []
    for row, (name, email) in enumerate(rows):
        if not (name or email):
            continue
        if not email:
            raise RefusedContacts(
                f"Contact {row + 1}: give an email address, or clear the name.", f"email{row}"
            )
        people.append(_contact(row, name or email, email))
        row_of.append(row)
    twice = repeated_email([p.email for p in people])
    if twice is not None:
        first, again = (row_of[index] for index in twice)
        raise RefusedContacts(
            f"Contact {again + 1}: {rows[again][1]} is contact {first + 1} already; give each "
            "contact their own address.",
            f"email{again}",
        )
    if not people:
        raise RefusedContacts(
            "Not saved: keep at least one contact. Fault mail goes to the named contacts, so "
            "with none nobody at your organisation would be told of a fault."
        )
    return people


def _contact(row: int, name: str, email: str) -> ContactIn:
    try:
        return ContactIn.model_validate({"name": name, "email": email})
    except ValidationError as exc:
        blamed = str(exc.errors()[0]["loc"][0])
        wanted = (
            "an email address like jo@example.com" if blamed == "email" else "a name on one line"
        )
        raise RefusedContacts(f"Contact {row + 1}: give {wanted}.", f"{blamed}{row}") from None
