"""Human titles for check keys: what a fault is about, in a subject line's few words."""

from __future__ import annotations

from collector.domain.control_characters import escape_control_characters

_TITLES = {
    "agent.heartbeat": "Agent not reporting",
    "host.down": "Host down",
    "site.down": "Site down",
    "asterisk.ami": "PBX not answering (Asterisk AMI)",
    "sip": "SIP service",
    "ssh.hostkey": "SSH host key changed",
    "snmp.restart": "PBX restarted",
    "remote.snmp": "SNMP not answering",
    "host.many_problems": "Many problems at once",
}

_PREFIXES = {
    "disk": "Disk space {}",
    "inodes": "Inodes {}",
    "service": "Process {} not running",
    "unit": "Service {}",
    "port": "Port {} not listening",
    "probe": "Agent probe {} failing",
    "asterisk.registration": "Trunk registration {}",
    "asterisk.trunk": "Trunk {} unreachable",
    "asterisk.endpoint": "Phone {} unavailable",
    "remote.ssh": "SSH access lost {}",
    "remote.http": "HTTP access lost {}",
    "remote.sip": "SIP access lost {}",
    "remote.tcp": "TCP port closed {}",
    "cert.http": "TLS certificate expiring {}",
    "site.down": "Site {} down",
    "snmp.alarm": "{}",  # the profile's label: "Mitel alarm level"
    "snmp.restart": "PBX restarted {}",
}


#: Titles are a subject line's few words; an agent's name can be long, and longer escaped.
TITLE_MAX = 200


def describe_check(check_key: str) -> str:
    """``"disk:/var"`` → ``"Disk space /var"``; unknown keys come back as they are.

    The name after the colon is the agent's (a process, unit, mount, trunk): control
    characters in it are escaped, since the title is shown and mailed on one line."""
    if check_key in _TITLES:
        return _TITLES[check_key]
    prefix, _, name = check_key.partition(":")
    if prefix in _PREFIXES:
        title = _PREFIXES[prefix].format(escape_control_characters(name)).strip()
    else:
        title = escape_control_characters(check_key)
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"
