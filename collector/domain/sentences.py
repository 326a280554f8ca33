"""What a fault says in a sentence: "Disk / is 97% full", and once it clears, "sshd is running
again". Mail subjects read as these sentences, "… on Harbor file server", rather than as a
check key and its title.

The name after a check key's colon is the agent's (a process, mount, trunk): control characters
in it are escaped, since a sentence is mailed on one line.
"""

from __future__ import annotations

from collections.abc import Callable

from collector.domain.control_characters import escape_control_characters
from collector.domain.dependencies import HOST_DOWN, UNREACHABLE
from collector.domain.describe import describe_check

#: check key (or prefix before the colon) → (the fault's sentence, its recovery's); ``{}`` is the
#: name after the colon.
_WHOLE = {
    "agent.heartbeat": ("The agent has stopped reporting", "The agent is reporting again"),
    # The host is the sentence's subject: "pbx1 is down" (``HOST_FIRST``).
    "host.down": ("is down", "is back up"),
    "site.down": ("The whole site is down", "The site is back up"),
    "asterisk.ami": ("The PBX is not answering (Asterisk AMI)", "The PBX is answering again"),
    "sip": ("SIP is not answering", "SIP is answering again"),
    "ssh.hostkey": ("The SSH host key has changed", "The SSH host key is as expected again"),
    "snmp.restart": ("The PBX has restarted", "The PBX is up since its restart"),
    "remote.snmp": ("SNMP is not answering", "SNMP is answering again"),
    "host.many_problems": ("Many checks are failing at once", "Most checks are passing again"),
}
_NAMED = {
    "service": ("{} is not running", "{} is running again"),
    "unit": ("Service {} has stopped", "Service {} is running again"),
    "port": ("Port {} is not listening", "Port {} is listening again"),
    "probe": ("Agent probe {} is failing", "Agent probe {} is working again"),
    "asterisk.registration": ("Trunk {} is not registered", "Trunk {} is registered again"),
    "asterisk.trunk": ("Trunk {} is unreachable", "Trunk {} is reachable again"),
    "asterisk.endpoint": ("Phone {} is unavailable", "Phone {} is available again"),
    "remote.ssh": ("SSH access ({}) is lost", "SSH access ({}) is back"),
    "remote.http": ("HTTP access ({}) is lost", "HTTP access ({}) is back"),
    "remote.sip": ("SIP access ({}) is lost", "SIP access ({}) is back"),
    "remote.tcp": ("TCP port ({}) is closed", "TCP port ({}) is open again"),
    "cert.http": ("TLS certificate {} is expiring", "TLS certificate {} is renewed"),
    "site.down": ("Site {} is down", "Site {} is back up"),
    "snmp.restart": ("PBX {} has restarted", "PBX {} is up since its restart"),
}


def _level(mount: str, detail: str) -> str:
    """The level in a detail that starts with its mount ("/var 97% full" → "97% full")."""
    return detail[len(mount) + 1 :] if detail.startswith(mount + " ") else ""


def _disk(mount: str, detail: str) -> tuple[str, str]:
    level = _level(mount, detail) or "nearly full"
    return f"Disk {mount} is {level}", f"Disk {mount} has room again"


def _inodes(mount: str, detail: str) -> tuple[str, str]:
    level = _level(mount, detail).replace(" of inodes used", "") or "nearly all"
    return f"Inodes on {mount} are {level} used", f"Inodes on {mount} are free again"


#: Checks whose sentence carries the level the agent saw, taken from the fault's detail.
_LEVELS: dict[str, Callable[[str, str], tuple[str, str]]] = {"disk": _disk, "inodes": _inodes}


def _sentences(check_key: str, detail: str) -> tuple[str, str]:
    if check_key == HOST_DOWN and detail.startswith(UNREACHABLE):
        # Every access check fails but the agent reports: the host is up, out of our reach.
        return "cannot be reached for remote support", "can be reached again"
    if check_key in _WHOLE:
        return _WHOLE[check_key]
    prefix, _, name = check_key.partition(":")
    name = escape_control_characters(name)
    if prefix in _LEVELS and name:
        return _LEVELS[prefix](name, escape_control_characters(detail))
    if prefix in _NAMED:
        fault, recovery = _NAMED[prefix]
        return _tidy(fault.format(name)), _tidy(recovery.format(name))
    title = describe_check(check_key)
    return title, f"{title}: cleared"


def _tidy(sentence: str) -> str:
    """An unnamed check ("remote.ssh") leaves empty brackets where its name would be."""
    return " ".join(sentence.replace("()", "").split())


#: Checks whose sentence has the host as its subject, to be put before it.
HOST_FIRST = frozenset({"host.down"})


def knows(check_key: str) -> bool:
    """Whether the check has sentences of its own, rather than its description."""
    prefix = check_key.partition(":")[0]
    return check_key in _WHOLE or prefix in _NAMED or prefix in _LEVELS


def fault_sentence(check_key: str, detail: str = "", title: str = "") -> str:
    """``"disk:/", "/ 97% full"`` → ``"Disk / is 97% full"``. A check with no sentence of its
    own reads as ``title`` when one is given: a customer's own report says what they wrote."""
    if title and not knows(check_key):
        return escape_control_characters(title)
    return _sentences(check_key, detail)[0]


def recovery_sentence(check_key: str, detail: str = "", title: str = "") -> str:
    """``"service:sshd"`` → ``"sshd is running again"``; a check with no sentence of its own
    reads as ``title`` cleared, when one is given, as ``fault_sentence`` does."""
    if title and not knows(check_key):
        return f"{escape_control_characters(title)}: cleared"
    return _sentences(check_key, detail)[1]
