"""The agent's config file: defaults, validation, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import AgentConfig, ConfigError, PortCheck, is_loopback_host, load_config

BASE = """\
collector_url: https://collector.example.net
host_id: pbx-1
key_file: /etc/faultdesk/host.key
"""


def _load(tmp_path: Path, text: str) -> AgentConfig:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return load_config(path)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    return str(caught.value)


def test_it_fills_defaults_and_turns_only_the_system_probe_on(tmp_path: Path) -> None:
    config = _load(tmp_path, BASE)
    assert config.collector_url == "https://collector.example.net"
    assert config.interval_s == 60.0
    assert config.spool_dir == Path("/var/lib/faultdesk-agent/spool")
    assert config.system is not None
    assert (config.services, config.asterisk, config.sip) == (None, None, None)


def test_it_reads_every_documented_key_of_the_example(tmp_path: Path) -> None:
    example = (Path(__file__).parents[2] / "config" / "agent.example.yaml").read_text()
    ca_bundle = tmp_path / "ca.pem"
    ca_bundle.write_text("")
    example = example.replace(
        "# ca_bundle: /etc/faultdesk/collector-ca.pem", f"ca_bundle: {ca_bundle}"
    )
    config = _load(tmp_path, example)
    assert config.ca_bundle == ca_bundle
    assert config.services is not None and config.services.units
    assert config.asterisk is not None and config.sip is not None


def test_it_refuses_a_missing_ca_bundle(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE + "ca_bundle: /nonexistent/ca.pem\n")
    assert message.endswith("agent.yaml:4: ca_bundle: no such file: /nonexistent/ca.pem")


def test_it_reads_services_with_tcp_and_udp_ports(tmp_path: Path) -> None:
    text = BASE + "probes:\n  services:\n    processes: [asterisk]\n    ports: [5038, 5060/udp]\n"
    config = _load(tmp_path, text)
    assert config.services is not None
    assert config.services.processes == ("asterisk",)
    assert config.services.ports == (PortCheck(5038, "tcp"), PortCheck(5060, "udp"))


def test_it_names_file_line_and_field_of_a_bad_value(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE + "interval_s: -5\n")
    assert message == f"{tmp_path / 'agent.yaml'}:4: interval_s: must be a number > 0"


def test_it_names_a_nested_field(tmp_path: Path) -> None:
    text = BASE + "probes:\n  services:\n    ports:\n      - 22\n      - 70000\n"
    message = _error(tmp_path, text)
    assert message.endswith(
        ":8: probes.services.ports[1]: must be a whole number between 1 and 65535"
    )


def test_it_refuses_unknown_keys(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE + "intervall_s: 30\n")
    assert "agent.yaml:4: intervall_s: unknown key" in message


def test_it_refuses_a_key_given_twice(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE + "interval_s: 30\ninterval_s: 60\n")
    assert message.endswith("agent.yaml:5: interval_s: duplicate key")


def test_it_requires_the_basic_keys(tmp_path: Path) -> None:
    message = _error(tmp_path, "collector_url: https://c.example\nhost_id: h\n")
    assert message.endswith("agent.yaml: key_file: is required")


def test_it_refuses_plain_http_to_a_remote_collector(tmp_path: Path) -> None:
    text = BASE.replace("https://collector.example.net", "http://collector.example.net")
    assert "collector_url: must be an https:// URL" in _error(tmp_path, text)


def test_it_allows_plain_http_to_loopback(tmp_path: Path) -> None:
    text = BASE.replace("https://collector.example.net", "http://127.0.0.1:8080")
    assert _load(tmp_path, text).collector_url == "http://127.0.0.1:8080"


def test_it_reports_yaml_syntax_errors_with_the_line(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE + "probes: [unclosed\n")
    assert "agent.yaml:5: not valid YAML" in message


def test_it_turns_the_system_probe_off_on_request(tmp_path: Path) -> None:
    assert _load(tmp_path, BASE + "probes:\n  system:\n    enabled: false\n").system is None


def test_it_refuses_a_host_id_with_spaces(tmp_path: Path) -> None:
    assert "host_id: must be at most 64" in _error(tmp_path, BASE.replace("pbx-1", "'pbx 1'"))


def test_it_says_when_the_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read config file"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("127.0.0.1.example.com", False),
        ("10.0.0.1", False),
        ("::2", False),
        ("collector.example.net", False),
    ],
)
def test_it_knows_which_hosts_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
