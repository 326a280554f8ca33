"""What can go wrong talking to AMI, split by what the caller can do about it:

AmiError                 Asterisk answered ``Response: Error``: report it, carry on
├── AmiAuthError         the login was refused: Asterisk has closed the socket
└── AmiConnectionError   no usable connection (refused, timed out, closed, not AMI):
                         nothing more can be asked in this session
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.probes.ami.message import AmiMessage


class AmiError(Exception):
    """Asterisk answered ``Response: Error``; ``message`` is its ``Message:`` text."""

    def __init__(self, message: str, response: AmiMessage | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.response = response


class AmiAuthError(AmiError):
    """The manager user or its secret was refused."""


class AmiConnectionError(AmiError):
    """No usable AMI connection: refused, timed out, closed early, or not an AMI server."""
