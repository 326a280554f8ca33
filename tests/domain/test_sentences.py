"""What a fault and its recovery say in a mail subject's sentence."""

from __future__ import annotations

import pytest

from collector.domain.sentences import fault_sentence, recovery_sentence


@pytest.mark.parametrize(
    ("check_key", "detail", "fault", "recovery"),
    [
        ("disk:/", "/ 97% full", "Disk / is 97% full", "Disk / has room again"),
        ("disk:/var", "", "Disk /var is nearly full", "Disk /var has room again"),
        ("inodes:/var", "/var 95% of inodes used", "Inodes on /var are 95% used",
         "Inodes on /var are free again"),
        ("service:sshd", "process sshd not running", "sshd is not running",
         "sshd is running again"),
        ("port:5060/udp", "", "Port 5060/udp is not listening", "Port 5060/udp is listening again"),
        ("remote.ssh", "", "SSH access is lost", "SSH access is back"),
        ("remote.sip:tcp", "", "SIP access (tcp) is lost", "SIP access (tcp) is back"),
        ("agent.heartbeat", "", "The agent has stopped reporting", "The agent is reporting again"),
        ("site.down", "", "The whole site is down", "The site is back up"),
        ("host.down", "host down: agent silent and not reachable (remote.ssh)", "is down",
         "is back up"),
        ("host.down", "host unreachable from the vendor (remote.ssh); the agent still reports",
         "cannot be reached for remote support", "can be reached again"),
        ("asterisk.trunk:BT", "", "Trunk BT is unreachable", "Trunk BT is reachable again"),
    ],
)  # fmt: skip
def test_it_says_what_is_wrong_and_what_is_right_again(
    check_key: str, detail: str, fault: str, recovery: str
) -> None:
    assert (fault_sentence(check_key, detail), recovery_sentence(check_key, detail)) == (
        fault,
        recovery,
    )


def test_it_falls_back_to_the_checks_title_for_a_key_it_has_no_words_for() -> None:
    assert fault_sentence("custom.thing") == "custom.thing"
    assert recovery_sentence("custom.thing") == "custom.thing: cleared"


def test_it_reads_a_customers_own_report_as_what_they_wrote() -> None:
    title = "Phones say\nNo service"
    assert fault_sentence("customer-report:1a2b", title=title) == "Phones say\\nNo service"
    assert fault_sentence("service:sshd", title="sshd") == "sshd is not running"
    assert (
        recovery_sentence("customer-report:1a2b", title=title) == "Phones say\\nNo service: cleared"
    )
    assert recovery_sentence("service:sshd", title="sshd") == "sshd is running again"


def test_it_keeps_an_agents_name_on_one_line() -> None:
    assert fault_sentence("service:nginx\r\nBcc: x@y") == "nginx\\r\\nBcc: x@y is not running"
