"""A small synchronous Asterisk Manager Interface (AMI) client over a plain TCP socket.

Standard library only: it runs on customer PBXs. ``wire`` cuts messages out of the stream and
writes actions, ``lines`` reads the socket under a deadline, ``client`` is the session (login,
actions, lists, CLI commands), ``message`` the values it hands back, ``errors`` what it raises.
"""

from agent.probes.ami.client import AmiClient, md5_key
from agent.probes.ami.errors import AmiAuthError, AmiConnectionError, AmiError
from agent.probes.ami.message import AmiList, AmiMessage
from agent.probes.ami.wire import BANNER_MARK, END_COMMAND, parse_header_line

__all__ = [
    "BANNER_MARK",
    "END_COMMAND",
    "AmiAuthError",
    "AmiClient",
    "AmiConnectionError",
    "AmiError",
    "AmiList",
    "AmiMessage",
    "md5_key",
    "parse_header_line",
]
