"""How deeply a decoded JSON document nests, measured without recursion.

Nothing the collector accepts nests more than a few levels, but a document a thousand levels
deep decodes fine and then overflows the stack of whatever walks it next (validation, the
serializer that stores it). Refusing it up front keeps that a 400.
"""

from __future__ import annotations

from typing import Any

#: Deeper than any report or API body needs: a report is body → probes → probe → metrics → value.
MAX_JSON_DEPTH = 32


def deeper_than(document: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``document`` has objects or arrays nested more than ``limit`` levels."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
